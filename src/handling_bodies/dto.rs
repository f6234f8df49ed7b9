use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use validator::Validate;

use super::domain::HandlingBodyKind;
use super::model::HandlingBody;
use crate::request::{double_option, not_blank};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "区城市管理委员会", "kind": "government_department", "committee_id": "0190f5a0-0000-7000-8000-000000000001", "contact": "010-68880000"}))]
pub struct CreateHandlingBody {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: HandlingBodyKind,
    /// The committee whose area the body serves.
    pub committee_id: Uuid,
    /// Office phone or address for referrals (an office, not a person's private number).
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    pub contact: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateHandlingBody {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub kind: Option<HandlingBodyKind>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub contact: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandlingBodyView {
    pub id: Uuid,
    pub name: String,
    pub kind: HandlingBodyKind,
    pub committee_id: Uuid,
    pub contact: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<HandlingBody> for HandlingBodyView {
    fn from(b: HandlingBody) -> Self {
        Self {
            id: b.id,
            name: b.name,
            kind: b.kind,
            committee_id: b.committee_id,
            contact: b.contact,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HandlingBodyListQuery {
    pub kind: Option<HandlingBodyKind>,
    /// Bodies anywhere in this committee's subtree.
    pub committee_id: Option<Uuid>,
    /// Substring of the name.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
