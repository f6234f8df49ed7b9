//! Per-committee rules that differ between districts. A committee without its own value
//! inherits the nearest ancestor's, then the defaults from the seed texts.

use actix_web::{get, put, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::model;
use crate::db::schema::committee_policies;
use crate::error::{ApiError, ApiResult};
use crate::request::ValidJson;
use crate::scope::{self, Action, Caller};
use crate::startup::AppState;

pub const DEFAULT_MAX_FIXED_HOUSEHOLDS: i32 = 3;
pub const DEFAULT_MAX_VOTER_LIAISONS: i32 = 5;

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct EffectivePolicy {
    /// Fixed-contact households (定点联系户) per deputy.
    pub max_fixed_households: i32,
    /// Voter liaisons (选民联络员) per deputy.
    pub max_voter_liaisons: i32,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutPolicy {
    /// Null (or absent) inherits from the parent committee.
    #[validate(range(min = 0, max = 1000, message = "must be between 0 and 1000"))]
    pub max_fixed_households: Option<i32>,
    #[validate(range(min = 0, max = 1000, message = "must be between 0 and 1000"))]
    pub max_voter_liaisons: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub committee_id: Uuid,
    /// Values set on this committee itself (null: inherited).
    pub own: OwnPolicy,
    /// What applies here after inheritance and defaults.
    pub effective: EffectivePolicy,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnPolicy {
    pub max_fixed_households: Option<i32>,
    pub max_voter_liaisons: Option<i32>,
}

/// (committee, max fixed households, max voter liaisons) as stored.
type PolicyRow = (Uuid, Option<i32>, Option<i32>);

/// The policy in force for a committee whose path (root first) is `ancestors`.
pub async fn effective(
    conn: &mut AsyncPgConnection,
    ancestors: &[Uuid],
) -> ApiResult<EffectivePolicy> {
    let rows: Vec<PolicyRow> = committee_policies::table
        .filter(committee_policies::committee_id.eq_any(ancestors))
        .select((
            committee_policies::committee_id,
            committee_policies::max_fixed_households,
            committee_policies::max_voter_liaisons,
        ))
        .load(conn)
        .await?;
    let nearest = |pick: fn(&PolicyRow) -> Option<i32>| {
        ancestors
            .iter()
            .rev()
            .find_map(|c| rows.iter().find(|r| r.0 == *c).and_then(pick))
    };
    Ok(EffectivePolicy {
        max_fixed_households: nearest(|r| r.1).unwrap_or(DEFAULT_MAX_FIXED_HOUSEHOLDS),
        max_voter_liaisons: nearest(|r| r.2).unwrap_or(DEFAULT_MAX_VOTER_LIAISONS),
    })
}

async fn view(conn: &mut AsyncPgConnection, committee: &model::Committee) -> ApiResult<PolicyView> {
    let own: Option<(Option<i32>, Option<i32>)> = committee_policies::table
        .find(committee.id)
        .select((
            committee_policies::max_fixed_households,
            committee_policies::max_voter_liaisons,
        ))
        .first(conn)
        .await
        .optional()?;
    let (fixed, liaisons) = own.unwrap_or((None, None));
    Ok(PolicyView {
        committee_id: committee.id,
        own: OwnPolicy {
            max_fixed_households: fixed,
            max_voter_liaisons: liaisons,
        },
        effective: effective(conn, &committee.ancestors).await?,
    })
}

/// The committee's rules: its own values and what applies after inheritance.
#[utoipa::path(
    tag = "committees",
    operation_id = "get_committee_policy",
    params(("id" = Uuid, Path, description = "Committee id")),
    responses((status = 200, description = "The policy", body = PolicyView)),
)]
#[get("/committees/{id}/policy")]
pub async fn get_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<PolicyView>> {
    caller.require(Action::ReadCommittees)?;
    let mut conn = state.pool.get().await?;
    let committee = model::find_visible(&mut conn, &caller, *id).await?;
    Ok(web::Json(view(&mut conn, &committee).await?))
}

/// Set the committee's own rules; they apply to its whole subtree unless a committee below
/// sets its own. Committee staff set them for their committee and below.
#[utoipa::path(
    tag = "committees",
    operation_id = "put_committee_policy",
    params(("id" = Uuid, Path, description = "Committee id")),
    request_body = PutPolicy,
    responses((status = 200, description = "The policy now", body = PolicyView)),
)]
#[put("/committees/{id}/policy")]
pub async fn put_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: ValidJson<PutPolicy>,
) -> ApiResult<web::Json<PolicyView>> {
    caller.require(Action::ManageCommittees)?;
    let mut conn = state.pool.get().await?;
    let committee = model::find_visible(&mut conn, &caller, *id).await?;
    if !scope::may_attach_to_committee(&caller, &committee.ancestors) {
        return Err(ApiError::forbidden(
            "you may not set this committee's rules",
        ));
    }
    let values = (
        committee_policies::committee_id.eq(committee.id),
        committee_policies::max_fixed_households.eq(body.0.max_fixed_households),
        committee_policies::max_voter_liaisons.eq(body.0.max_voter_liaisons),
        committee_policies::updated_at.eq(diesel::dsl::now),
    );
    diesel::insert_into(committee_policies::table)
        .values(values)
        .on_conflict(committee_policies::committee_id)
        .do_update()
        .set(values)
        .execute(&mut conn)
        .await?;
    Ok(web::Json(view(&mut conn, &committee).await?))
}
