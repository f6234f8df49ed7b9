//! Opinions read with what their views need, in the statement that reads them: their
//! referrals not returned, and the number that says whether a kept committee policy is still
//! current. GET one opinion and a page of them are then one statement beside the session check.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::domain::ReferralRole;
use super::dto::OpinionListQuery;
use super::model::{Opinion, list_query};
use crate::access::Caller;
use crate::access::filters::opinion_filter;
use crate::committees::kept_policies::{KeptPolicies, PathAndPolicy};
use crate::db::schema::{opinions, referrals};
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

diesel::define_sql_function! {
    /// The referrals of an opinion not returned, as JSON `[[body, role, round], …]` (a
    /// function its migration defines).
    fn opinion_live_referrals(opinion: diesel::sql_types::Uuid) -> diesel::sql_types::Jsonb;
}

/// An opinion's row with what its view needs beside it, read in the same statement: its
/// referrals not returned (as `referrals_not_returned`, in JSON) and the number that says
/// whether a kept committee policy is still current (`kept_policies::generation`).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = opinions, check_for_backend(Pg))]
pub struct InFullRow {
    #[diesel(embed)]
    opinion: Opinion,
    #[diesel(
        select_expression = opinion_live_referrals(opinions::id),
        select_expression_type = opinion_live_referrals<opinions::id>
    )]
    referrals: serde_json::Value,
    #[diesel(
        select_expression = crate::committees::kept_policies::generation(),
        select_expression_type = crate::committees::kept_policies::Generation
    )]
    generation: Option<i64>,
}

/// Opinions read in full: their rows, their referrals not returned as (opinion, body, role,
/// round), and the policy generation their statement saw.
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
    fn from_row(row: InFullRow) -> ApiResult<InFull> {
        let id = row.opinion.id;
        let live = parse_live(id, row.referrals)?;
        Ok(InFull {
            rows: vec![row.opinion],
            referrals: live
                .into_iter()
                .map(|(body, role, round)| (id, body, role, round))
                .collect(),
            generation: row.generation,
        })
    }

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

/// An opinion the caller may see, read in full (one statement): the hottest read is then one
/// statement beside the session check.
pub async fn find_visible_in_full<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<InFull>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let row = in_full_query(caller, id)
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("opinion"))?;
    InFull::from_row(row)
}

/// The statement of `find_visible_in_full`; public so a test can check it stays prepared.
pub fn in_full_query<'a>(
    caller: &Caller,
    id: Uuid,
) -> opinions::BoxedQuery<'a, Pg, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<InFullRow, Pg>>> {
    opinions::table
        .filter(opinions::id.eq(id))
        .filter(opinion_filter(caller))
        .select(InFullRow::as_select())
        .into_boxed()
}

/// (body, role, round) of a referral not returned.
type LiveReferral = (Uuid, ReferralRole, i32);

/// Newest first: keyset on id descending (ids are UUIDv7, so creation order).
pub async fn list_visible<C>(
    conn: &mut C,
    caller: &Caller,
    f: &OpinionListQuery,
    page: PageRequest,
) -> ApiResult<InFull>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    // The page's ids first, then its rows: the ids come from an index alone, where
    // selecting every column fetched the row of each match from the heap before the top
    // of the page was sorted out (thousands of pages for a committee's one state).
    // Each row's referrals come joined (a row per referral): calling `opinion_live_referrals`
    // for each of fifty rows halved the statement's rate.
    let page_ids = list_query(caller, f, page).select(opinions::id);
    let rows: Vec<(Opinion, Option<LiveReferral>, Option<i64>)> = opinions::table
        .left_join(
            referrals::table.on(referrals::opinion_id
                .eq(opinions::id)
                .and(referrals::returned_at.is_null())),
        )
        .filter(opinions::id.eq_any(page_ids))
        .order(opinions::id.desc())
        .select((
            Opinion::as_select(),
            (
                referrals::handling_body_id,
                referrals::role,
                referrals::round,
            )
                .nullable(),
            crate::committees::kept_policies::generation(),
        ))
        .load(conn)
        .await?;
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
    Ok(read)
}
