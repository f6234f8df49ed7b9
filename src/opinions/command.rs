//! The steps of the lifecycle as typed commands: a request is parsed into one at the edge, so
//! the workflow never sees a step without the fields it needs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::domain::{Channel, FeedBackMethod, Outcome};
use super::dto::{TransitionAction, TransitionRequest, UpdateOpinion};
use super::lifecycle::{self, Action, Rating, State};
use crate::error::ApiError;

/// A validated step, built from a request by `Command::try_from(TransitionRequest)`.
#[derive(Debug, Clone)]
pub enum Command {
    Refer {
        lead: Uuid,
        assisting: Vec<Uuid>,
        channel: Channel,
        due_at: Option<DateTime<Utc>>,
    },
    Transfer {
        to: Uuid,
        reason: String,
        channel: Option<Channel>,
        due_at: Option<DateTime<Utc>>,
    },
    Answer {
        outcome: Outcome,
        text: String,
        /// None: the default for the state (in person when on the spot).
        in_person: Option<bool>,
    },
    FeedBack {
        method: FeedBackMethod,
        text: String,
        officer: Option<Uuid>,
    },
    Decline {
        reason: String,
        guidance: String,
    },
    Reopen {
        reason: Option<String>,
        body: Option<Uuid>,
        channel: Option<Channel>,
        due_at: Option<DateTime<Utc>>,
    },
    Rate {
        rating: Rating,
        comment: Option<String>,
    },
    Accept {
        referral: Uuid,
    },
    Edit(UpdateOpinion),
    Escalate {
        reason: String,
    },
}

impl Command {
    /// The state this command lands on from `from`, given that the state machine allows its
    /// action: only an answer in person differs from `lifecycle::next`.
    pub fn lands_on(&self, from: State, allowed: State) -> State {
        match self {
            Command::Answer { in_person, .. } => {
                lifecycle::answer_lands_on(from, in_person.unwrap_or(true))
            }
            _ => allowed,
        }
    }

    pub fn action(&self) -> Action {
        match self {
            Command::Refer { .. } => Action::Refer,
            Command::Transfer { .. } => Action::Transfer,
            Command::Answer { .. } => Action::Answer,
            Command::FeedBack { .. } => Action::FeedBack,
            Command::Decline { .. } => Action::Decline,
            Command::Reopen { .. } => Action::Reopen,
            Command::Rate { .. } => Action::Rate,
            Command::Accept { .. } => Action::Accept,
            Command::Edit(_) => Action::Edit,
            Command::Escalate { .. } => Action::Escalate,
        }
    }
}

fn required<T>(value: Option<T>, field: &str, action: TransitionAction) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::invalid_field(field, format!("is required for {}", action.as_str()))
    })
}

impl TryFrom<TransitionRequest> for Command {
    type Error = ApiError;

    /// The typed step, with the fields its action needs; fields other actions use are ignored.
    fn try_from(request: TransitionRequest) -> Result<Command, ApiError> {
        let r = request;
        let a = r.action;
        Ok(match a {
            TransitionAction::Refer => Command::Refer {
                lead: required(r.handling_body_id, "handling_body_id", a)?,
                assisting: r.assisting_body_ids.unwrap_or_default(),
                channel: required(r.channel, "channel", a)?,
                due_at: r.due_at,
            },
            TransitionAction::Transfer => Command::Transfer {
                to: required(r.handling_body_id, "handling_body_id", a)?,
                reason: required(r.reason, "reason", a)?.trim().to_owned(),
                channel: r.channel,
                due_at: r.due_at,
            },
            TransitionAction::Answer => Command::Answer {
                outcome: required(r.outcome, "outcome", a)?,
                text: required(r.text, "text", a)?.trim().to_owned(),
                in_person: r.in_person,
            },
            TransitionAction::FeedBack => Command::FeedBack {
                method: required(r.method, "method", a)?,
                text: required(r.text, "text", a)?.trim().to_owned(),
                officer: r.officer_id,
            },
            TransitionAction::Decline => Command::Decline {
                reason: required(r.reason, "reason", a)?.trim().to_owned(),
                guidance: required(r.guidance, "guidance", a)?.trim().to_owned(),
            },
            TransitionAction::Escalate => Command::Escalate {
                reason: required(r.reason, "reason", a)?.trim().to_owned(),
            },
            TransitionAction::Reopen => Command::Reopen {
                reason: r.reason.map(|r| r.trim().to_owned()),
                body: r.handling_body_id,
                channel: r.channel,
                due_at: r.due_at,
            },
        })
    }
}
