use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::Voter;
use crate::access::Caller;
use crate::pii::{IdNumber, PhoneNumber, mask_phone};
use crate::request::{double_option, not_blank};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "李华", "constituency_id": "0190f5a0-0000-7000-8000-000000000031", "phone": "13900000002", "address": "鲁谷路 74 号院 3 号楼"}))]
pub struct CreateVoter {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: String,
    pub constituency_id: Uuid,
    #[schema(value_type = String, example = "13900000002", pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$")]
    pub phone: PhoneNumber,
    /// Resident ID number (18 characters). Stored encrypted; never returned except masked.
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{17}[0-9Xx]$")]
    pub id_number: Option<IdNumber>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVoter {
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Staff only.
    pub constituency_id: Option<Uuid>,
    #[schema(value_type = Option<String>, pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$")]
    pub phone: Option<PhoneNumber>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{17}[0-9Xx]$")]
    pub id_number: Option<Option<IdNumber>>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoterView {
    pub id: Uuid,
    pub name: String,
    pub constituency_id: Uuid,
    /// In full for staff in scope and the voter; masked (138****1234) for deputies.
    pub phone: String,
    /// Masked; the full number is never returned.
    pub id_number_masked: Option<String>,
    /// Staff in scope and the voter only.
    pub address: Option<String>,
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub account_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl VoterView {
    pub fn for_caller(v: Voter, account_id: Option<Uuid>, caller: &Caller) -> Self {
        let full = caller.sees_voter_phones();
        Self {
            id: v.id,
            name: v.name,
            constituency_id: v.constituency_id,
            phone: if full { v.phone } else { mask_phone(&v.phone) },
            id_number_masked: v.id_number_masked,
            address: if full { v.address } else { None },
            verified: v.verified_at.is_some(),
            verified_at: v.verified_at,
            account_id,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VoterListQuery {
    pub constituency_id: Option<Uuid>,
    pub verified: Option<bool>,
    /// Substring of the name.
    pub q: Option<String>,
    /// Exact phone number.
    #[param(
        pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$"
    )]
    pub phone: Option<String>,
    /// Exact resident ID number (matched by keyed hash; never stored in clear).
    #[param(pattern = r"^[0-9]{17}[0-9Xx]$")]
    pub id_number: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
