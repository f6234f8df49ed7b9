use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::HandlingBody;
use crate::request::{double_option, not_blank};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlingBodyKind {
    GovernmentDepartment,
    SupervisoryCommission,
    Court,
    Procuratorate,
    TownshipGovernment,
    StandingCommittee,
    CityDeputy,
    Other,
}

impl HandlingBodyKind {
    pub const ALL: [HandlingBodyKind; 8] = [
        Self::GovernmentDepartment,
        Self::SupervisoryCommission,
        Self::Court,
        Self::Procuratorate,
        Self::TownshipGovernment,
        Self::StandingCommittee,
        Self::CityDeputy,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GovernmentDepartment => "government_department",
            Self::SupervisoryCommission => "supervisory_commission",
            Self::Court => "court",
            Self::Procuratorate => "procuratorate",
            Self::TownshipGovernment => "township_government",
            Self::StandingCommittee => "standing_committee",
            Self::CityDeputy => "city_deputy",
            Self::Other => "other",
        }
    }

    pub fn from_db(value: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .unwrap_or(Self::Other)
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "区城市管理委员会", "kind": "government_department", "committee_id": "0190f5a0-0000-7000-8000-000000000001", "contact": "010-68880000"}))]
pub struct CreateHandlingBody {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    pub name: String,
    pub kind: HandlingBodyKind,
    /// The committee whose area the body serves.
    pub committee_id: Uuid,
    /// Office phone or address for referrals (an office, not a person's private number).
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub contact: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateHandlingBody {
    #[validate(
        length(min = 1, max = 200, message = "must be 1 to 200 characters"),
        custom(function = "not_blank")
    )]
    pub name: Option<String>,
    pub kind: Option<HandlingBodyKind>,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
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
            kind: HandlingBodyKind::from_db(&b.kind),
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
