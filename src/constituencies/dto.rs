use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::Constituency;
use crate::request::{double_option, not_blank};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "八宝山第三选区", "code": "BBS-03", "committee_id": "0190f5a0-0000-7000-8000-000000000002", "area": "玉泉路以西各社区"}))]
pub struct CreateConstituency {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: String,
    /// Unique code; imports refer to constituencies by it.
    #[validate(
        length(min = 1, max = 50, message = "must be 1 to 50 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 50)]
    pub code: String,
    /// A working committee or township.
    pub committee_id: Uuid,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    pub area: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConstituency {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[validate(
        length(min = 1, max = 50, message = "must be 1 to 50 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 50)]
    pub code: Option<String>,
    #[validate(length(max = 2000, message = "must be at most 2000 characters"))]
    #[schema(max_length = 2000)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub area: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConstituencyView {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub committee_id: Uuid,
    pub area: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Constituency> for ConstituencyView {
    fn from(c: Constituency) -> Self {
        Self {
            id: c.id,
            name: c.name,
            code: c.code,
            committee_id: c.committee_id,
            area: c.area,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// What anyone may know of a constituency, e.g. to register as a voter in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicConstituencyView {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub committee_id: Uuid,
    pub area: Option<String>,
}

impl From<Constituency> for PublicConstituencyView {
    fn from(c: Constituency) -> Self {
        Self {
            id: c.id,
            name: c.name,
            code: c.code,
            committee_id: c.committee_id,
            area: c.area,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConstituencyListQuery {
    /// Constituencies anywhere in this committee's subtree.
    pub committee_id: Option<Uuid>,
    /// Substring of the name or code.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
