use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::Change;
use crate::calendar::to_local;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous page; absent to start from the oldest change kept.
    #[param(pattern = r"^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub after: Option<String>,
    /// Comma-separated subject kinds (`opinion`, `activity`, `appointment`) or exact types
    /// (`opinion.referred`); absent for every change.
    #[param(pattern = r"^([a-z_]+(\.[a-z_]+)?(,[a-z_]+(\.[a-z_]+)?)*)?$")]
    pub types: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    /// Seconds (0 to 30) to hold the request open when there is nothing new; it answers as
    /// soon as a change is committed.
    #[param(minimum = 0, maximum = 30)]
    pub wait: Option<u32>,
}

/// What a change is about: fetch the record by `id` for its details.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeSubject {
    /// `opinion`, `activity` or `appointment`.
    pub kind: String,
    pub id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// Unique and increasing in commit order within this feed.
    pub id: i64,
    /// `<kind>.<what happened>`, e.g. `opinion.referred`, `activity.held`.
    #[serde(rename = "type")]
    pub change_type: String,
    pub subject: ChangeSubject,
    pub occurred_at: DateTime<FixedOffset>,
    /// Ids, states and dates of the change; never personal data.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeList {
    /// Oldest first.
    pub items: Vec<ChangeView>,
    /// Pass as `after` for the next page. It stays where it was when there is nothing new, so
    /// a consumer keeps it and asks again; null only when nothing was ever served.
    pub next_cursor: Option<String>,
}

impl From<Change> for ChangeView {
    fn from(c: Change) -> Self {
        Self {
            id: c.seq,
            change_type: c.topic,
            subject: ChangeSubject {
                kind: c.subject_kind,
                id: c.aggregate_id,
            },
            occurred_at: to_local(c.created_at),
            data: c.payload,
        }
    }
}
