use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use validator::Validate;

use super::domain::CommitteeKind;
use super::model::Committee;
use super::policy::{EffectivePolicy, OwnPolicy};
use crate::request::{double_option, not_blank};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "八宝山街道人大工委", "kind": "working_committee", "parent_id": "0190f5a0-0000-7000-8000-000000000001"}))]
pub struct CreateCommittee {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: CommitteeKind,
    /// Required for every kind except `standing_committee`.
    pub parent_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommittee {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Move the committee (with its subtree) under another one. `null` makes it a root
    /// (standing committees only, admins only).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitteeView {
    pub id: Uuid,
    pub name: String,
    pub kind: CommitteeKind,
    pub parent_id: Option<Uuid>,
    /// Ids from the root down to this committee (inclusive).
    pub path: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Committee> for CommitteeView {
    fn from(c: Committee) -> Self {
        Self {
            id: c.id,
            name: c.name,
            kind: c.kind,
            parent_id: c.parent_id,
            path: c.ancestors,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommitteeListQuery {
    pub kind: Option<CommitteeKind>,
    /// Direct children of this committee.
    pub parent_id: Option<Uuid>,
    /// This committee and everything below it.
    pub within: Option<Uuid>,
    /// Substring of the name.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub committee_id: Uuid,
    /// Values set on this committee itself (null: inherited).
    pub own: OwnPolicy,
    /// What applies here after inheritance and defaults.
    pub effective: EffectivePolicy,
}
