//! The steps of the lifecycle as typed commands: a request is parsed into one at the edge, so
//! the workflow never sees a step without the fields it needs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::domain::{Channel, FeedBackMethod, Outcome};
use super::dto::UpdateOpinion;
use super::lifecycle::{self, Action, Rating, State};
use super::transition::TransitionRequest;

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

impl From<TransitionRequest> for Command {
    /// The typed step: the request types already hold exactly the fields each step needs.
    fn from(request: TransitionRequest) -> Command {
        let trimmed = |s: String| s.trim().to_owned();
        match request {
            TransitionRequest::Refer(r) => Command::Refer {
                lead: r.handling_body_id,
                assisting: r.assisting_body_ids,
                channel: r.channel,
                due_at: r.due_at,
            },
            TransitionRequest::Transfer(r) => Command::Transfer {
                to: r.handling_body_id,
                reason: trimmed(r.reason),
                channel: r.channel,
                due_at: r.due_at,
            },
            TransitionRequest::Answer(r) => Command::Answer {
                outcome: r.outcome,
                text: trimmed(r.text),
                in_person: r.in_person,
            },
            TransitionRequest::FeedBack(r) => Command::FeedBack {
                method: r.method,
                text: trimmed(r.text),
                officer: r.officer_id,
            },
            TransitionRequest::Decline(r) => Command::Decline {
                reason: trimmed(r.reason),
                guidance: trimmed(r.guidance),
            },
            TransitionRequest::Escalate(r) => Command::Escalate {
                reason: trimmed(r.reason),
            },
            TransitionRequest::Reopen(r) => Command::Reopen {
                reason: r.reason.map(trimmed),
                body: r.handling_body_id,
                channel: r.channel,
                due_at: r.due_at,
            },
        }
    }
}
