use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model::CongressSession;
use crate::calendar::to_local;
use crate::representatives::domain::Level;

/// A session of the district or city congress: the 3rd session of the 17th district congress
/// is `{level: "district", term: 17, number: 3}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"level": "district", "term": 17, "number": 3, "opens_on": "2026-01-08", "closes_on": "2026-01-11"}))]
pub struct CreateCongressSession {
    pub level: Level,
    /// The congress's term (届).
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[schema(minimum = 1, maximum = 100)]
    pub term: i32,
    /// The session's number within the term (次).
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[schema(minimum = 1, maximum = 100)]
    pub number: i32,
    pub opens_on: NaiveDate,
    /// On or after `opens_on`.
    pub closes_on: NaiveDate,
}

/// Move a session's dates or renumber it. Absent fields are left alone.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCongressSession {
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[schema(minimum = 1, maximum = 100)]
    pub term: Option<i32>,
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[schema(minimum = 1, maximum = 100)]
    pub number: Option<i32>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CongressSessionQuery {
    pub level: Option<Level>,
    /// Sessions that open in this year.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CongressSessionView {
    pub id: Uuid,
    pub level: Level,
    pub term: i32,
    pub number: i32,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
}

impl From<CongressSession> for CongressSessionView {
    fn from(s: CongressSession) -> Self {
        Self {
            id: s.id,
            level: s.level,
            term: s.term,
            number: s.number,
            opens_on: s.opens_on,
            closes_on: s.closes_on,
            created_at: to_local(s.created_at),
            updated_at: to_local(s.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CongressSessionList {
    /// By opening date.
    pub items: Vec<CongressSessionView>,
}
