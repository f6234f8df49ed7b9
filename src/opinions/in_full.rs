//! Opinions read with what their views need, in the statement that reads them: their
//! referrals not returned, and the number that says whether a kept committee policy is still
//! current. GET one opinion and a page of them are then each one statement, which also checks
//! the session.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::dsl::AsSelect;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::domain::ReferralRole;
use super::dto::OpinionListQuery;
use super::model::{Opinion, list_query, planned_for};
use crate::access::Caller;
use crate::access::filters::{Filter, opinion_filter_over};
use crate::access::pipelined::SessionCheck;
use crate::committees::kept_policies::{Generation, KeptPolicies, PathAndPolicy, generation};
use crate::db::schema::{opinions, referrals};
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

diesel::define_sql_function! {
    /// The referrals of an opinion not returned, as JSON `[[body, role, round], …]` (a
    /// function its migration defines).
    fn opinion_live_referrals(opinion: diesel::sql_types::Uuid) -> diesel::sql_types::Jsonb;
}

/// Opinions read in full: their rows, their referrals not returned as (opinion, body, role,
/// round), and the policy generation their statement saw.
#[derive(Default)]
pub struct InFull {
    pub rows: Vec<Opinion>,
    pub referrals: Vec<(Uuid, Uuid, ReferralRole, i32)>,
    pub generation: Option<i64>,
}

/// The referrals `opinion_live_referrals` gave for opinion `id`, as (body, role, round).
fn parse_live(id: Uuid, referrals: serde_json::Value) -> ApiResult<Vec<LiveReferral>> {
    serde_json::from_value(referrals)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("referrals of {id}: {e}")))
}

/// Of the referrals `opinion_live_referrals` gave for opinion `id`, those of `round`, as
/// (body, is lead).
pub fn live_of_round(
    id: Uuid,
    referrals: serde_json::Value,
    round: i32,
) -> ApiResult<Vec<(Uuid, bool)>> {
    let rows = parse_live(id, referrals)?
        .into_iter()
        .map(|(body, role, r)| (id, body, role, r))
        .collect();
    Ok(super::model::of_current_rounds(rows, &[(id, round)].into())
        .remove(&id)
        .unwrap_or_default())
}

impl InFull {
    /// The paths and policies of the rows' committees, kept or read (see `KeptPolicies`).
    pub async fn policies<C>(
        &self,
        conn: &mut C,
        kept: &KeptPolicies,
    ) -> ApiResult<HashMap<Uuid, Arc<PathAndPolicy>>>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        let mut committees: Vec<Uuid> = self.rows.iter().map(|o| o.committee_id).collect();
        committees.sort_unstable();
        committees.dedup();
        kept.of_all(conn, &committees, self.generation).await
    }
}

/// An opinion the caller may see, read in full (one statement).
pub async fn find_visible_in_full<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<InFull>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    find_visible_checked(conn, caller, id, SessionCheck::done())
        .await?
        .ok_or_else(|| ApiError::not_found("opinion"))
}

/// An opinion the caller may see, read in full in one statement that also carries the
/// session check (see `AuthedRead::run`): `None` when nothing is found under it.
pub async fn find_visible_checked<C>(
    conn: &mut C,
    caller: &Caller,
    id: Uuid,
    check: SessionCheck<'_>,
) -> ApiResult<Option<InFull>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    with_live_referrals(conn, visible(caller, id), check).await
}

/// Opinion `id` if the caller may see it, as a condition on the joined rows (on the opinion
/// itself: a subquery of its id read it twice); public so a test can check the statement it
/// is part of stays prepared.
pub fn visible(caller: &Caller, id: Uuid) -> Filter<InFullSource> {
    Box::new(opinions::id.eq(id).and(opinion_filter_in_full(caller)))
}

opinion_filter_over!(fn opinion_filter_in_full(InFullSource));

/// (body, role, round) of a referral not returned.
type LiveReferral = (Uuid, ReferralRole, i32);

/// A page of the opinions the caller may see, newest first (keyset on id descending: ids are
/// UUIDv7, so creation order), in one statement that also carries the session check (see
/// `AuthedRead::run`): `None` when nothing is found under it.
pub async fn list_visible<C>(
    conn: &mut C,
    caller: &Caller,
    f: &OpinionListQuery,
    page: PageRequest,
    check: SessionCheck<'_>,
) -> ApiResult<Option<InFull>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg>
        + diesel_async::SimpleAsyncConnection
        + Send,
{
    // The page's ids first, then its rows: the ids come from an index alone, where
    // selecting every column fetched the row of each match from the heap before the top
    // of the page was sorted out (thousands of pages for a committee's one state).
    let page_ids = list_query(caller, f, page).select(opinions::id);
    planned_for(conn, f, async |conn| {
        with_live_referrals(conn, Box::new(opinions::id.eq_any(page_ids)), check).await
    })
    .await
}

/// The opinions `which` lets through, newest first, each with its referrals not returned
/// joined (a row per referral: calling `opinion_live_referrals` for each of fifty rows halved
/// a page's rate, and for one opinion the join is a fifth faster too), under the session
/// `check`: `None` when nothing is found.
async fn with_live_referrals<C>(
    conn: &mut C,
    which: Filter<InFullSource>,
    check: SessionCheck<'_>,
) -> ApiResult<Option<InFull>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let rows: Vec<(Opinion, Option<LiveReferral>, Option<i64>)> =
        in_full_query(which, check).load(conn).await?;
    let mut read = InFull {
        rows: Vec::with_capacity(rows.len()),
        referrals: Vec::new(),
        generation: None,
    };
    for (opinion, referral, generation) in rows {
        read.generation = read.generation.or(generation);
        if let Some((body, role, round)) = referral {
            read.referrals.push((opinion.id, body, role, round));
        }
        // Rows of one opinion are adjacent (ordered by id): keep its first.
        if read.rows.last().map(|o| o.id) != Some(opinion.id) {
            read.rows.push(opinion);
        }
    }
    Ok((!read.rows.is_empty()).then_some(read))
}

/// The statement of `with_live_referrals`; public so a test can check it stays prepared.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn in_full_query(which: Filter<InFullSource>, check: SessionCheck<'_>) -> _ {
    let condition: Filter<InFullSource> = check.condition();
    let opinion: AsSelect<Opinion, Pg> = Opinion::as_select();
    let generation: Generation = generation();
    opinions::table
        .left_join(referrals::table.on(live_referral()))
        .filter(which)
        .filter(condition)
        .order(opinions::id.desc())
        .select((
            opinion,
            (
                referrals::handling_body_id,
                referrals::role,
                referrals::round,
            )
                .nullable(),
            generation,
        ))
}

/// A referral of the opinion beside it, not returned.
#[diesel::dsl::auto_type]
fn live_referral() -> _ {
    referrals::opinion_id
        .eq(opinions::id)
        .and(referrals::returned_at.is_null())
}

/// Opinions with their referrals not returned joined.
pub type InFullSource =
    diesel::dsl::LeftJoinQuerySource<opinions::table, referrals::table, live_referral>;
