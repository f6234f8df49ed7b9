use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::deliveries::{Attempt, Delivery, DeliveryState};
use super::model::Endpoint;
use crate::calendar::to_local;
use crate::request::double_option;

/// `kind.what` or `kind.*`, as the changes feed names types.
pub const EVENT_TYPE_PATTERN: &str = r"^[a-z_]+\.([a-z_]+|\*)$";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://dbhd.example.gov.cn/hooks/liaison", "event_types": ["opinion.*", "activity.held"], "description": "代表活动服务系统"}))]
pub struct CreateWebhook {
    /// Where to POST: https, on a public address.
    #[validate(length(min = 1, max = 2048, message = "must be 1 to 2048 characters"))]
    #[schema(min_length = 1, max_length = 2048, pattern = r"^https?://\S+$")]
    pub url: String,
    /// Change types (`opinion.referred`) or prefixes (`opinion.*`); omit for every type.
    #[validate(length(min = 1, max = 50, message = "name 1 to 50 types"))]
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Option<Vec<String>>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[validate(length(min = 1, max = 2048, message = "must be 1 to 2048 characters"))]
    #[schema(min_length = 1, max_length = 2048, pattern = r"^https?://\S+$")]
    pub url: Option<String>,
    /// Replaces the types; `null` for every type.
    #[validate(length(min = 1, max = 50, message = "name 1 to 50 types"))]
    #[schema(min_items = 1, max_items = 50, value_type = Option<Vec<String>>)]
    #[serde(default, deserialize_with = "double_option")]
    pub event_types: Option<Option<Vec<String>>>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `true` switches a disabled endpoint back on (its pending deliveries resume); `false`
    /// pauses it.
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    /// Null: every type.
    pub event_types: Option<Vec<String>>,
    pub description: String,
    pub enabled: bool,
    /// Why the endpoint was switched off, when it was.
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<FixedOffset>>,
    /// The service client that owns it, if a client does (otherwise a staff account).
    pub service_client_id: Option<Uuid>,
    /// The committee whose subtree's changes it receives; null for the whole district.
    pub committee_id: Option<Uuid>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

/// A new endpoint and the secret that signs what it receives (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_` and base64: give it to your Standard Webhooks verifier.
    pub secret: String,
}

impl From<Endpoint> for WebhookView {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            event_types: e.event_types,
            description: e.description,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            disabled_at: e.disabled_at.map(to_local),
            service_client_id: e.owner_client_id,
            committee_id: e.committee_id,
            created_at: to_local(e.created_at),
            updated_at: to_local(e.updated_at),
        }
    }
}

/// One try at delivering a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// 1 for the first try.
    pub attempt: i32,
    pub at: DateTime<FixedOffset>,
    /// The endpoint's answer; null when none came (refused, timed out).
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The `webhook-id` header of every attempt.
    pub message_id: String,
    /// The change type, or `ping`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub state: DeliveryState,
    pub next_attempt_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub delivered_at: Option<DateTime<FixedOffset>>,
    /// Oldest first.
    pub attempts: Vec<AttemptView>,
}

impl DeliveryView {
    pub fn new(d: Delivery, attempts: Vec<Attempt>) -> Self {
        Self {
            message_id: super::deliveries::message_id(d.id),
            id: d.id,
            event_type: d.event_type,
            next_attempt_at: (d.state == DeliveryState::Pending)
                .then(|| to_local(d.next_attempt_at)),
            state: d.state,
            last_error: d.last_error,
            created_at: to_local(d.created_at),
            delivered_at: d.delivered_at.map(to_local),
            attempts: attempts
                .into_iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    at: to_local(a.attempted_at),
                    status_code: a.status_code,
                    latency_ms: a.latency_ms,
                    error: a.error,
                })
                .collect(),
        }
    }
}
