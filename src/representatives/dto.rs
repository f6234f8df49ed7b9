use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::domain::{Gender, Level, RepresentativeStatus};
use super::model::Representative;
use crate::access::Caller;
use crate::pii::{PhoneNumber, mask_phone};
use crate::request::{double_option, not_blank};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "张明", "gender": "male", "level": "district", "term": 16,
    "constituency_id": "0190f5a0-0000-7000-8000-000000000031",
    "liaison_group_id": "0190f5a0-0000-7000-8000-000000000012",
    "employer": "石景山区八宝山街道社区卫生服务中心", "position": "主任",
    "public_contact": "八宝山街道代表联络站 010-68880001", "phone": "13800000001"
}))]
pub struct CreateRepresentative {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: String,
    pub gender: Gender,
    pub level: Level,
    /// The People's Congress term (届), e.g. 16.
    #[validate(range(min = 1, max = 99, message = "must be between 1 and 99"))]
    #[schema(minimum = 1, maximum = 99)]
    pub term: i32,
    /// Required for district deputies.
    pub constituency_id: Option<Uuid>,
    pub liaison_group_id: Uuid,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    pub employer: Option<String>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    pub position: Option<String>,
    /// Published contact channel (shown on the public list).
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    pub public_contact: Option<String>,
    /// Private phone: staff in scope and the deputy only.
    #[schema(value_type = Option<String>, example = "13800000001", pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$")]
    pub phone: Option<PhoneNumber>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRepresentative {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub level: Option<Level>,
    #[validate(range(min = 1, max = 99, message = "must be between 1 and 99"))]
    #[schema(minimum = 1, maximum = 99)]
    pub term: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub constituency_id: Option<Option<Uuid>>,
    pub liaison_group_id: Option<Uuid>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub employer: Option<Option<String>>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub position: Option<Option<String>>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    #[schema(max_length = 200)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub public_contact: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$")]
    pub phone: Option<Option<PhoneNumber>>,
    pub status: Option<RepresentativeStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepresentativeView {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub level: Level,
    pub term: i32,
    pub constituency_id: Option<Uuid>,
    pub liaison_group_id: Uuid,
    pub employer: Option<String>,
    pub position: Option<String>,
    pub public_contact: Option<String>,
    /// In full for staff in scope and the deputy; masked (138****1234) otherwise.
    pub phone: Option<String>,
    pub status: RepresentativeStatus,
    /// The account linked to this deputy, if any.
    pub account_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RepresentativeView {
    pub fn for_caller(r: Representative, account_id: Option<Uuid>, caller: &Caller) -> Self {
        let phone = r.phone.map(|p| {
            if caller.sees_representative_phones() {
                p
            } else {
                mask_phone(&p)
            }
        });
        Self {
            id: r.id,
            name: r.name,
            gender: r.gender,
            level: r.level,
            term: r.term,
            constituency_id: r.constituency_id,
            liaison_group_id: r.liaison_group_id,
            employer: r.employer,
            position: r.position,
            public_contact: r.public_contact,
            phone,
            status: r.status,
            account_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRef {
    pub id: Uuid,
    pub name: String,
}

/// The published (公示) profile of a serving deputy: no private contact data.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRepresentativeView {
    pub id: Uuid,
    pub name: String,
    pub employer: Option<String>,
    pub position: Option<String>,
    pub public_contact: Option<String>,
    pub level: Level,
    pub term: i32,
    pub constituency: Option<NamedRef>,
    pub liaison_group: NamedRef,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeListQuery {
    pub constituency_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    /// Deputies of groups anywhere in this committee's subtree.
    pub committee_id: Option<Uuid>,
    pub level: Option<Level>,
    pub term: Option<i32>,
    pub status: Option<RepresentativeStatus>,
    /// Substring of the name, employer or position.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicRepresentativeListQuery {
    pub constituency_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    /// Substring of the name, employer or position.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
