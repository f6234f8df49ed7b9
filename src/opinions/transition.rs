//! The body of `POST /opinions/{id}/transitions`: one schema per step, told apart by `action`,
//! each with the fields its step needs. The server parses exactly these types, so the published
//! `oneOf` cannot drift from what it accepts.

use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationErrors};

use super::domain::{Channel, FeedBackMethod, Outcome};
use super::dto::TransitionAction;
use crate::request::not_blank;

/// Refer a received opinion to a lead body (and assisting ones).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferStep {
    pub handling_body_id: Uuid,
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 assisting bodies"))]
    #[schema(max_items = 20)]
    pub assisting_body_ids: Vec<Uuid>,
    pub channel: Channel,
    /// Overrides the policy's due date for the answer; must be in the future.
    pub due_at: Option<DateTime<Utc>>,
    /// The note is for staff only; the voter does not see this timeline entry.
    #[serde(default)]
    pub internal: bool,
}

/// The lead body hands the opinion on (its referral is returned, with the reason).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferStep {
    /// The new lead body.
    pub handling_body_id: Uuid,
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub reason: String,
    pub channel: Option<Channel>,
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub internal: bool,
}

/// The lead body's answer, or the deputy's on the spot to a received opinion.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerStep {
    pub outcome: Outcome,
    #[validate(
        length(min = 1, max = 10000, message = "must be 1 to 10000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 10000)]
    pub text: String,
    /// On the spot only: the voter heard the answer in person (default true), so the opinion is
    /// `fed_back` at once with no feedback due; `false` when recorded after the voter left.
    pub in_person: Option<bool>,
    #[serde(default)]
    pub internal: bool,
}

/// The answer passed back to the voter.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedBackStep {
    pub method: FeedBackMethod,
    #[validate(
        length(min = 1, max = 10000, message = "must be 1 to 10000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 10000)]
    pub text: String,
    /// The station's liaison officer who passed it back (station rules §6).
    pub officer_id: Option<Uuid>,
    #[serde(default)]
    pub internal: bool,
}

/// Not an opinion for this channel: the reason, and where the voter was pointed.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineStep {
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub reason: String,
    /// Where the voter was pointed: petition office, court, …
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub guidance: String,
    #[serde(default)]
    pub internal: bool,
}

/// A new round after an unsatisfied rating; by default to the last lead body and channel.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenStep {
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
    pub handling_body_id: Option<Uuid>,
    pub channel: Option<Channel>,
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub internal: bool,
}

/// Hand a received opinion up to the parent committee.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateStep {
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub reason: String,
    #[serde(default)]
    pub internal: bool,
}

/// One step of the lifecycle, told apart by `action`; each carries the fields its step needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
#[schema(example = json!({"action": "refer", "handling_body_id": "0190f5a0-0000-7000-8000-000000000051", "channel": "recess_suggestion"}))]
pub enum TransitionRequest {
    Refer(ReferStep),
    Transfer(TransferStep),
    Answer(AnswerStep),
    FeedBack(FeedBackStep),
    Decline(DeclineStep),
    Reopen(ReopenStep),
    Escalate(EscalateStep),
}

impl TransitionRequest {
    pub fn internal(&self) -> bool {
        match self {
            Self::Refer(s) => s.internal,
            Self::Transfer(s) => s.internal,
            Self::Answer(s) => s.internal,
            Self::FeedBack(s) => s.internal,
            Self::Decline(s) => s.internal,
            Self::Reopen(s) => s.internal,
            Self::Escalate(s) => s.internal,
        }
    }
}

impl Validate for TransitionRequest {
    fn validate(&self) -> Result<(), ValidationErrors> {
        match self {
            Self::Refer(s) => s.validate(),
            Self::Transfer(s) => s.validate(),
            Self::Answer(s) => s.validate(),
            Self::FeedBack(s) => s.validate(),
            Self::Decline(s) => s.validate(),
            Self::Reopen(s) => s.validate(),
            Self::Escalate(s) => s.validate(),
        }
    }
}

/// The step's own fields, with a failing field's path kept in the message
/// (`request::field_error` reads it back), as serde's tagged enums would lose it.
fn step<T: DeserializeOwned, E: serde::de::Error>(rest: serde_json::Value) -> Result<T, E> {
    serde_path_to_error::deserialize(rest).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path.is_empty() || path == "." {
            E::custom(inner)
        } else {
            E::custom(format!("at `{path}`: {inner}"))
        }
    })
}

impl<'de> Deserialize<'de> for TransitionRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut fields = serde_json::Map::deserialize(d)?;
        let action = fields
            .remove("action")
            .ok_or_else(|| D::Error::missing_field("action"))?;
        let action: TransitionAction = serde_json::from_value(action)
            .map_err(|e| D::Error::custom(format!("at `action`: {e}")))?;
        let rest = serde_json::Value::Object(fields);
        Ok(match action {
            TransitionAction::Refer => Self::Refer(step(rest)?),
            TransitionAction::Transfer => Self::Transfer(step(rest)?),
            TransitionAction::Answer => Self::Answer(step(rest)?),
            TransitionAction::FeedBack => Self::FeedBack(step(rest)?),
            TransitionAction::Decline => Self::Decline(step(rest)?),
            TransitionAction::Reopen => Self::Reopen(step(rest)?),
            TransitionAction::Escalate => Self::Escalate(step(rest)?),
        })
    }
}
