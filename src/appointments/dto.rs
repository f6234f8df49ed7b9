use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::Appointment;
use super::states::AppointmentState;
use crate::activities::domain::ActivityForm;
use crate::calendar::{LocalDateTime, to_local};
use crate::request::not_blank;

/// A time the voter could meet.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredTime {
    pub starts_at: LocalDateTime,
    pub ends_at: LocalDateTime,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppointment {
    /// A serving deputy of the voter's constituency.
    pub representative_id: Uuid,
    #[validate(
        length(min = 1, max = 500, message = "must be 1 to 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500)]
    pub topic: String,
    /// One to five times that suit the voter.
    #[validate(length(min = 1, max = 5, message = "must list 1 to 5 times"))]
    #[schema(min_items = 1, max_items = 5)]
    pub preferred_times: Vec<PreferredTime>,
    /// Staff asking on a voter's behalf name them; a voter's own request needs none.
    pub voter_id: Option<Uuid>,
}

/// Accepting fixes time and place: the request becomes a `voter_requested` activity.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptAppointment {
    pub starts_at: LocalDateTime,
    pub ends_at: LocalDateTime,
    /// A home or station …
    pub liaison_group_id: Option<Uuid>,
    /// … or an address.
    #[validate(
        length(min = 1, max = 500, message = "must be 1 to 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500)]
    pub address: Option<String>,
    /// Default `individual_talk`.
    pub form: Option<ActivityForm>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentReason {
    #[validate(
        length(min = 1, max = 2000, message = "must be 1 to 2000 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentView {
    pub id: Uuid,
    pub voter_id: Uuid,
    pub representative_id: Uuid,
    pub liaison_group_id: Uuid,
    pub topic: String,
    pub preferred_times: Vec<PreferredTime>,
    pub state: AppointmentState,
    pub decline_reason: Option<String>,
    pub cancel_reason: Option<String>,
    /// The activity it became, once accepted.
    pub activity_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<Appointment> for AppointmentView {
    fn from(a: Appointment) -> Self {
        Self {
            id: a.id,
            voter_id: a.voter_id,
            representative_id: a.representative_id,
            liaison_group_id: a.liaison_group_id,
            topic: a.topic,
            preferred_times: serde_json::from_value(a.preferred_times).unwrap_or_default(),
            state: a.state,
            decline_reason: a.decline_reason,
            cancel_reason: a.cancel_reason,
            activity_id: a.activity_id,
            version: a.version,
            created_at: to_local(a.created_at),
            updated_at: to_local(a.updated_at),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppointmentListQuery {
    pub state: Option<AppointmentState>,
    pub representative_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
