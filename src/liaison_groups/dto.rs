use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use validator::{Validate, ValidationError};

use super::domain::LiaisonGroupKind;
use super::model::LiaisonGroup;
use crate::request::{double_option, not_blank};

fn officer_names(names: &[String]) -> Result<(), ValidationError> {
    if names.len() > 20 {
        let mut e = ValidationError::new("too_many");
        e.message = Some("at most 20 liaison officers".into());
        return Err(e);
    }
    if names
        .iter()
        .any(|n| n.trim().is_empty() || n.chars().count() > 100)
    {
        let mut e = ValidationError::new("length");
        e.message = Some("each name must be 1 to 100 characters".into());
        return Err(e);
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "古城街道代表联络站",
    "kind": "station",
    "committee_id": "0190f5a0-0000-7000-8000-000000000002",
    "address": "石景山区八宝山街道鲁谷路 1 号",
    "opening_hours": "每月 15 日 9:00–11:00",
    "head_name": "王红",
    "liaison_officers": ["李明"]
}))]
pub struct CreateLiaisonGroup {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: LiaisonGroupKind,
    pub committee_id: Uuid,
    #[validate(
        length(min = 1, max = 500, message = "must be 1 to 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500)]
    pub address: String,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub opening_hours: Option<String>,
    /// Head of the group (组长 / 站长).
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    #[schema(max_length = 100)]
    pub head_name: Option<String>,
    #[validate(custom(function = "officer_names"))]
    #[serde(default)]
    pub liaison_officers: Vec<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLiaisonGroup {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub kind: Option<LiaisonGroupKind>,
    /// Move to another committee (admins and committee staff only).
    pub committee_id: Option<Uuid>,
    #[validate(
        length(min = 1, max = 500, message = "must be 1 to 500 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 500)]
    pub address: Option<String>,
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub opening_hours: Option<Option<String>>,
    #[validate(length(max = 100, message = "must be at most 100 characters"))]
    #[schema(max_length = 100)]
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub head_name: Option<Option<String>>,
    #[validate(custom(function = "officer_names"))]
    pub liaison_officers: Option<Vec<String>>,
    /// The head (station rules §2: the deputy-group leader): a deputy of this group; `null`
    /// for none.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub head_representative_id: Option<Option<Uuid>>,
    /// The liaison officers: group-staff accounts of this group (replaces the list).
    #[validate(length(max = 50, message = "at most 50 officers"))]
    #[schema(max_items = 50)]
    pub officer_account_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiaisonGroupView {
    pub id: Uuid,
    pub name: String,
    pub kind: LiaisonGroupKind,
    pub committee_id: Uuid,
    pub address: String,
    pub opening_hours: Option<String>,
    /// Free text, kept for groups recorded before heads were deputies.
    pub head_name: Option<String>,
    /// Free text, kept for groups recorded before officers were accounts.
    pub liaison_officers: Vec<String>,
    /// The head: a deputy of this group.
    pub head_representative_id: Option<Uuid>,
    /// The liaison officers: group-staff accounts of this group.
    pub officer_account_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<LiaisonGroup> for LiaisonGroupView {
    fn from(g: LiaisonGroup) -> Self {
        Self {
            id: g.id,
            name: g.name,
            kind: g.kind,
            committee_id: g.committee_id,
            address: g.address,
            opening_hours: g.opening_hours,
            head_name: g.head_name,
            liaison_officers: g.liaison_officers,
            head_representative_id: g.head_representative_id,
            officer_account_ids: g.officer_account_ids,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// What the public list shows of a home or station: where and when, never who.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStationView {
    pub id: Uuid,
    pub name: String,
    pub kind: LiaisonGroupKind,
    pub committee_id: Uuid,
    pub address: String,
    pub opening_hours: Option<String>,
}

impl From<LiaisonGroup> for PublicStationView {
    fn from(g: LiaisonGroup) -> Self {
        Self {
            id: g.id,
            name: g.name,
            kind: g.kind,
            committee_id: g.committee_id,
            address: g.address,
            opening_hours: g.opening_hours,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LiaisonGroupListQuery {
    pub kind: Option<LiaisonGroupKind>,
    /// Groups of exactly this committee.
    pub committee_id: Option<Uuid>,
    /// Groups anywhere in this committee's subtree.
    pub within: Option<Uuid>,
    /// Substring of the name or address.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PublicStationListQuery {
    /// Homes and stations anywhere in this committee's subtree.
    pub committee_id: Option<Uuid>,
    /// Substring of the name or address.
    pub q: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}
