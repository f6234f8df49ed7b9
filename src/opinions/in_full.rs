//! Opinions read with what their views need, in the statement that reads them: their
//! referrals not returned (kept on the opinion's row, migration 000030), and the number that
//! says whether a kept committee policy is still current. GET one opinion and a page of them
//! are then each one statement, which also checks the session.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::dsl::AsSelect;
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::sql_types::Jsonb;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::domain::ReferralRole;
use super::dto::OpinionListQuery;
use super::model::{Opinion, list_query, planned_for};
use crate::access::Caller;
use crate::access::filters::{Filter, opinion_filter, opinion_filter_walks_in_order};
use crate::access::pipelined::SessionCheck;
use crate::committees::kept_policies::{Generation, KeptPolicies, PathAndPolicy, generation};
use crate::db::schema::opinions;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

/// An opinion's referrals not returned, as (body, role, round), in the order they were
/// written: `opinions.live_referrals`, which a trigger keeps as each step updates the opinion
/// (migration 000030), decoded from the column's bytes straight into these (no JSON value in
/// between).
#[derive(Debug, Default, FromSqlRow)]
pub struct LiveReferrals(pub Vec<LiveReferral>);

impl FromSql<Jsonb, Pg> for LiveReferrals {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        // JSONB's binary form: a version byte, then the JSON text.
        match value.as_bytes().split_first() {
            Some((1, json)) => Ok(Self(serde_json::from_slice(json)?)),
            _ => Err("unsupported JSONB encoding".into()),
        }
    }
}

/// Opinions read in full: their rows, their referrals not returned as (opinion, body, role,
/// round), and the policy generation their statement saw.
#[derive(Default)]
pub struct InFull {
    pub rows: Vec<Opinion>,
    pub referrals: Vec<(Uuid, Uuid, ReferralRole, i32)>,
    pub generation: Option<i64>,
}

/// Of opinion `id`'s live referrals, those of `round`, as (body, is lead).
pub fn live_of_round(id: Uuid, referrals: LiveReferrals, round: i32) -> Vec<(Uuid, bool)> {
    let rows = referrals
        .0
        .into_iter()
        .map(|(body, role, r)| (id, body, role, r))
        .collect();
    super::model::of_current_rounds(rows, &[(id, round)].into())
        .remove(&id)
        .unwrap_or_default()
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

/// Opinion `id` if the caller may see it; public so a test can check the statement it is
/// part of stays prepared.
pub fn visible(caller: &Caller, id: Uuid) -> Filter<opinions::table> {
    Box::new(opinions::id.eq(id).and(opinion_filter(caller)))
}

/// (body, role, round) of a referral not returned.
pub type LiveReferral = (Uuid, ReferralRole, i32);

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
    planned_for(conn, f, async |conn| {
        let rows = if f.walks_in_order() && opinion_filter_walks_in_order(caller) {
            // One index gives the page newest first: its rows are read as it is walked.
            list_query(caller, f, page)
                .filter(check.condition())
                .select(in_full_columns())
                .load(conn)
                .await?
        } else {
            // The page's ids first, then its rows: where the matches must be gathered and
            // sorted (a committee's subtree, a search), the ids come from an index alone,
            // and selecting every column fetched the row of each match from the heap before
            // the top of the page was sorted out (thousands of pages for a committee's one
            // state).
            let page_ids = list_query(caller, f, page).select(opinions::id);
            in_full_query(Box::new(opinions::id.eq_any(page_ids)), check)
                .load(conn)
                .await?
        };
        Ok(in_full_of(rows))
    })
    .await
}

/// What `in_full_query` and a page read in order select: the opinion, its live referrals
/// and the policy generation.
#[diesel::dsl::auto_type]
fn in_full_columns() -> _ {
    let opinion: AsSelect<Opinion, Pg> = Opinion::as_select();
    let generation: Generation = generation();
    (opinion, opinions::live_referrals, generation)
}

/// A row of `in_full_columns`.
type InFullRow = (Opinion, LiveReferrals, Option<i64>);

/// The opinions `which` lets through, newest first, each with its referrals not returned
/// (the copy on its row: joining the referrals cost each opinion a probe of their index and a
/// visit to their table, a quarter of a GET's statement), under the session `check`: `None`
/// when nothing is found.
async fn with_live_referrals<C>(
    conn: &mut C,
    which: Filter<opinions::table>,
    check: SessionCheck<'_>,
) -> ApiResult<Option<InFull>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let rows: Vec<InFullRow> = in_full_query(which, check).load(conn).await?;
    Ok(in_full_of(rows))
}

/// The rows read, `None` when there are none (nothing found, or the session check failed).
fn in_full_of(rows: Vec<InFullRow>) -> Option<InFull> {
    let mut read = InFull {
        rows: Vec::with_capacity(rows.len()),
        referrals: Vec::new(),
        generation: None,
    };
    for (opinion, live, generation) in rows {
        read.generation = read.generation.or(generation);
        read.referrals.extend(
            live.0
                .into_iter()
                .map(|(body, role, round)| (opinion.id, body, role, round)),
        );
        read.rows.push(opinion);
    }
    (!read.rows.is_empty()).then_some(read)
}

/// The statement of `with_live_referrals`; public so a test can check it stays prepared.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn in_full_query(which: Filter<opinions::table>, check: SessionCheck<'_>) -> _ {
    let condition: Filter<opinions::table> = check.condition();
    let columns: in_full_columns = in_full_columns();
    opinions::table
        .filter(which)
        .filter(condition)
        .order(opinions::id.desc())
        .select(columns)
}
