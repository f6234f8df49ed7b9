use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::{Channel, Outcome, ReferralRole, Source};
use super::dto::OpinionListQuery;
use super::in_full::{LiveReferrals, live_of_round};
use super::lifecycle::{Action, Rating, State};
use crate::access::Caller;
use crate::access::filters::opinion_filter;
use crate::access::pipelined::SessionCheck;
use crate::calendar::working_days::end_of_local_day;
use crate::db::contains_pattern;
use crate::db::prepared::KeepPreparedDsl;
use crate::db::schema::{opinion_events, opinion_search_texts, opinions, referrals};
use crate::db::tree::subtree_of;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opinions, check_for_backend(Pg))]
pub struct Opinion {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub constituency_id: Uuid,
    pub liaison_group_id: Option<Uuid>,
    pub representative_id: Option<Uuid>,
    pub voter_id: Option<Uuid>,
    pub activity_id: Option<Uuid>,
    pub title: String,
    pub content: String,
    pub category: String,
    pub location: Option<String>,
    pub source: Source,
    pub urgent: bool,
    pub public_consent: bool,
    pub state: State,
    pub round: i32,
    pub received_at: DateTime<Utc>,
    pub current_due_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub rating: Option<Rating>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub external_system: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = opinions)]
pub struct NewOpinion {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub constituency_id: Uuid,
    pub liaison_group_id: Option<Uuid>,
    pub representative_id: Option<Uuid>,
    pub voter_id: Option<Uuid>,
    pub activity_id: Option<Uuid>,
    pub title: String,
    pub content: String,
    pub category: String,
    pub location: Option<String>,
    pub source: Source,
    pub urgent: bool,
    pub public_consent: bool,
    pub received_at: DateTime<Utc>,
    pub current_due_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub registration_id: Option<Uuid>,
}

/// What a step changes on the opinion row; `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = opinions)]
pub struct OpinionChanges {
    pub state: Option<State>,
    pub committee_id: Option<Uuid>,
    pub round: Option<i32>,
    pub current_due_at: Option<Option<DateTime<Utc>>>,
    pub outcome: Option<Option<Outcome>>,
    pub rating: Option<Option<Rating>>,
    pub rating_comment: Option<Option<String>>,
    pub rated_at: Option<Option<DateTime<Utc>>>,
    pub title: Option<String>,
    pub content: Option<String>,
    pub category: Option<String>,
    pub location: Option<Option<String>>,
    pub urgent: Option<bool>,
    pub public_consent: Option<bool>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = referrals, check_for_backend(Pg))]
pub struct Referral {
    pub id: Uuid,
    pub opinion_id: Uuid,
    pub handling_body_id: Uuid,
    pub role: ReferralRole,
    pub channel: Channel,
    pub round: i32,
    pub referred_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub return_reason: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
    pub answer_text: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = referrals)]
pub struct NewReferral {
    pub id: Uuid,
    pub opinion_id: Uuid,
    pub handling_body_id: Uuid,
    pub role: ReferralRole,
    pub channel: Channel,
    pub round: i32,
    pub referred_at: DateTime<Utc>,
    pub referred_by: Option<Uuid>,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opinion_events, check_for_backend(Pg))]
pub struct Event {
    pub id: Uuid,
    pub action: Action,
    pub from_state: Option<State>,
    pub to_state: State,
    pub round: i32,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub at: DateTime<Utc>,
    pub payload: serde_json::Value,
    pub internal: bool,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = opinion_events)]
pub struct NewEvent {
    pub id: Uuid,
    pub opinion_id: Uuid,
    pub action: Action,
    pub from_state: Option<State>,
    pub to_state: State,
    pub round: i32,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'static str,
    pub at: DateTime<Utc>,
    pub payload: serde_json::Value,
    pub internal: bool,
}

pub async fn find_visible<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<Opinion>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    opinions::table
        .filter(opinions::id.eq(id))
        .filter(opinion_filter(caller))
        .select(Opinion::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("opinion"))
}

/// As `find_visible`, holding the row lock until the transaction ends: steps on one opinion
/// run one after another, and each sees the state the previous one left. With the row comes
/// the committee policy generation, which says whether a kept policy is still current. A
/// folded `check` finds nothing (404) once the caller's session has changed.
pub async fn lock_visible<C>(
    conn: &mut C,
    caller: &Caller,
    check: SessionCheck<'_>,
    id: Uuid,
) -> ApiResult<(Opinion, Option<i64>)>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    opinions::table
        .filter(opinions::id.eq(id))
        .filter(opinion_filter(caller))
        .filter(check.condition())
        .select((
            Opinion::as_select(),
            crate::committees::kept_policies::generation(),
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("opinion"))
}

/// Runs `work`, which reads what `list_query(_, f, _)` selects, planned as `f` needs: a search
/// for its words (custom plans; two round trips more), where the one generic plan a
/// connection keeps walks the whole table newest first looking for a word no opinion holds
/// (seconds at a million) and the trigram indexes find none at once; and without merge joins
/// (`db::with_text_search_plans` says why). The list and the export both read through it.
pub async fn planned_for<C, R>(
    conn: &mut C,
    f: &OpinionListQuery,
    work: impl AsyncFnOnce(&mut C) -> ApiResult<R>,
) -> ApiResult<R>
where
    C: diesel_async::SimpleAsyncConnection + Send,
{
    if f.search_words().is_some() {
        crate::db::with_text_search_plans(conn, work).await
    } else {
        work(conn).await
    }
}

/// The list query before its select list, public so the query-plan test can `EXPLAIN` it.
pub fn list_query<'a>(
    caller: &Caller,
    f: &OpinionListQuery,
    page: PageRequest,
) -> opinions::BoxedQuery<'a, Pg> {
    let mut query = opinions::table.filter(opinion_filter(caller)).into_boxed();
    if let Some(state) = f.state {
        query = query.filter(opinions::state.eq(state.as_str()));
    }
    if let Some(root) = f.committee_id {
        query = query.filter(opinions::committee_id.eq_any(subtree_of(root)));
    }
    if let Some(g) = f.liaison_group_id {
        query = query.filter(opinions::liaison_group_id.eq(g));
    }
    if let Some(r) = f.representative_id {
        query = query.filter(opinions::representative_id.eq(r));
    }
    if let Some(body) = f.handling_body_id {
        query = query.filter(
            opinions::id.eq_any(
                referrals::table
                    .filter(referrals::handling_body_id.eq(body))
                    .filter(referrals::returned_at.is_null())
                    .select(referrals::opinion_id),
            ),
        );
    }
    if let Some(c) = f.category.as_deref() {
        query = query.filter(opinions::category.eq(c.to_owned()));
    }
    if let Some(c) = f.constituency_id {
        query = query.filter(opinions::constituency_id.eq(c));
    }
    if let Some(v) = f.voter_id {
        query = query.filter(opinions::voter_id.eq(v));
    }
    if let Some(from) = f.received_from {
        let start = end_of_local_day(from - chrono::Days::new(1));
        query = query.filter(opinions::received_at.ge(start));
    }
    if let Some(to) = f.received_to {
        query = query.filter(opinions::received_at.lt(end_of_local_day(to)));
    }
    if let Some(overdue) = f.overdue {
        let past_due = opinions::current_due_at
            .lt(diesel::dsl::now)
            .assume_not_null();
        query = if overdue {
            query.filter(past_due)
        } else {
            query.filter(
                opinions::current_due_at
                    .is_null()
                    .or(opinions::current_due_at
                        .ge(diesel::dsl::now)
                        .assume_not_null()),
            )
        };
    }
    if let Some(system) = f.external_system.as_deref() {
        query = query.filter(opinions::external_system.eq(system.to_owned()));
    }
    if let Some(id) = f.external_id.as_deref() {
        query = query.filter(opinions::external_id.eq(id.to_owned()));
    }
    if let Some(urgent) = f.urgent {
        query = query.filter(opinions::urgent.eq(urgent));
    }
    if let Some(q) = f.search_words() {
        // Read from the texts' own table and its trigram index (migration 000020).
        let p = contains_pattern(q);
        query = query.filter(
            opinions::id.eq_any(
                opinion_search_texts::table
                    .filter(
                        opinion_search_texts::title
                            .ilike(p.clone())
                            .or(opinion_search_texts::content.ilike(p)),
                    )
                    .select(opinion_search_texts::opinion_id),
            ),
        );
    }
    if let Some(before) = page.after {
        query = query.filter(opinions::id.lt(before));
    }
    query.order(opinions::id.desc()).limit(page.fetch_limit())
}

/// The referrals of `rows`' opinions' current rounds, as (body, is lead), from
/// (opinion, body, role, round) rows of referrals not returned.
pub fn of_current_rounds(
    rows: Vec<(Uuid, Uuid, ReferralRole, i32)>,
    rounds: &HashMap<Uuid, i32>,
) -> HashMap<Uuid, Vec<(Uuid, bool)>> {
    let mut out: HashMap<Uuid, Vec<(Uuid, bool)>> = HashMap::new();
    for (opinion, body, role, round) in rows {
        if rounds.get(&opinion) == Some(&round) {
            out.entry(opinion)
                .or_default()
                .push((body, role == ReferralRole::Lead));
        }
    }
    out
}

/// Every referral of an opinion not returned, of any round: a step reads from them both the
/// live referrals of the current round and the latest lead (`Step::load`).
pub async fn referrals_not_returned<C>(conn: &mut C, opinion: Uuid) -> ApiResult<Vec<Referral>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    Ok(referrals::table
        .filter(referrals::opinion_id.eq(opinion))
        .filter(referrals::returned_at.is_null())
        .select(Referral::as_select())
        .load(conn)
        .await?)
}

pub async fn referrals_of(conn: &mut AsyncPgConnection, opinion: Uuid) -> ApiResult<Vec<Referral>> {
    Ok(referrals::table
        .filter(referrals::opinion_id.eq(opinion))
        .order((referrals::referred_at.asc(), referrals::id.asc()))
        .select(Referral::as_select())
        .load(conn)
        .await?)
}

/// The timeline, oldest first; `public_only` leaves out internal notes.
pub async fn events_of(
    conn: &mut AsyncPgConnection,
    opinion: Uuid,
    public_only: bool,
) -> ApiResult<Vec<Event>> {
    let mut query = opinion_events::table
        .filter(opinion_events::opinion_id.eq(opinion))
        .into_boxed();
    if public_only {
        query = query.filter(opinion_events::internal.eq(false));
    }
    Ok(query
        .order(opinion_events::seq.asc())
        .select(Event::as_select())
        .load(conn)
        .await?)
}

pub async fn insert_event<C>(conn: &mut C, event: &NewEvent) -> ApiResult<()>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    diesel::insert_into(opinion_events::table)
        .values(event)
        .keep_prepared()
        .execute(conn)
        .await?;
    Ok(())
}

diesel::define_sql_function! {
    /// True, or an error that fails the statement it is in (migration 000026).
    fn opinion_as_outlined(holds: diesel::sql_types::Bool, opinion: diesel::sql_types::Uuid) -> diesel::sql_types::Bool;
}

/// For the RETURNING clause of a write to `opinions`: true if the row it leaves has these
/// values, an error failing the statement otherwise.
#[diesel::dsl::auto_type]
pub fn left_as(committee: Uuid, state: State, round: i32, urgent: bool, version: i32) -> _ {
    opinion_as_outlined(
        opinions::committee_id
            .eq(committee)
            .and(opinions::state.eq(state))
            .and(opinions::round.eq(round))
            .and(opinions::urgent.eq(urgent))
            .and(opinions::version.eq(version)),
        opinions::id,
    )
}

/// Writes the referrals one step makes and its changes, bumps the version and returns the row
/// as it now is, with the live referrals of its current round as (body, is lead): the update
/// sees the referral rows written before it (and those the step returned): a trigger keeps
/// them on the row as the version moves (`opinions.live_referrals`, migration 000030, which
/// the reads of opinions take instead of joining the referrals), and the update returns them,
/// so the view needs no read of its own. The update
/// fails unless it leaves the row `check` describes (`Outline::check`: what its timeline event
/// records).
pub async fn apply(
    conn: &AsyncPgConnection,
    (id, check): (Uuid, left_as),
    new_referrals: &[NewReferral],
    changes: &OpinionChanges,
    at: DateTime<Utc>,
) -> ApiResult<(Opinion, Vec<(Uuid, bool)>)> {
    // Sent in this order on one connection, in one round trip: diesel-async sends pipelined
    // statements as their futures are first polled, and one still being prepared holds the
    // statement cache's (fair) lock until it is sent.
    let (mut a, mut b) = (conn, conn);
    let update = diesel::update(opinions::table.find(id))
        .set((
            changes,
            opinions::version.eq(opinions::version + 1),
            opinions::updated_at.eq(at),
        ))
        .returning((Opinion::as_returning(), opinions::live_referrals, check))
        .keep_prepared();
    let ((), (opinion, referrals)) = futures_util::try_join!(
        async {
            match new_referrals {
                [] => Ok(()),
                rows => insert_referrals(&mut a, rows).await,
            }
        },
        async {
            let (updated, referrals, _): (Opinion, LiveReferrals, bool) =
                update.get_result(&mut b).await?;
            Ok((updated, referrals))
        },
    )?;
    let live = live_of_round(id, referrals, opinion.round);
    Ok((opinion, live))
}

async fn insert_referrals<C>(conn: &mut C, rows: &[NewReferral]) -> ApiResult<()>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    // A step writes one referral for each body it names, a few at most: few forms to keep.
    diesel::insert_into(referrals::table)
        .values(rows)
        .keep_prepared()
        .execute(conn)
        .await?;
    Ok(())
}

/// A body hands a referral back (on transfer), with the reason.
pub async fn return_referral(
    conn: &mut AsyncPgConnection,
    referral: Uuid,
    at: DateTime<Utc>,
    reason: &str,
) -> ApiResult<()> {
    diesel::update(referrals::table.find(referral))
        .set((
            referrals::returned_at.eq(at),
            referrals::return_reason.eq(reason),
        ))
        .keep_prepared()
        .execute(conn)
        .await?;
    Ok(())
}

/// The lead body's answer, kept on its referral.
pub async fn answer_referral(
    conn: &mut AsyncPgConnection,
    referral: Uuid,
    at: DateTime<Utc>,
    outcome: Outcome,
    text: &str,
    by: Uuid,
) -> ApiResult<()> {
    diesel::update(referrals::table.find(referral))
        .set((
            referrals::answered_at.eq(at),
            referrals::outcome.eq(outcome),
            referrals::answer_text.eq(text),
            referrals::answered_by.eq(by),
        ))
        .keep_prepared()
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a live, unaccepted referral of `opinion` to `body` accepted; false if there is none
/// such (not this body's, accepted already, or returned).
pub async fn accept_referral(
    conn: &mut AsyncPgConnection,
    opinion: Uuid,
    referral: Uuid,
    body: Option<Uuid>,
    at: DateTime<Utc>,
) -> ApiResult<bool> {
    let accepted = diesel::update(
        referrals::table
            .filter(referrals::id.eq(referral))
            .filter(referrals::opinion_id.eq(opinion))
            .filter(referrals::returned_at.is_null())
            .filter(referrals::accepted_at.is_null())
            .filter(referrals::handling_body_id.nullable().eq(body)),
    )
    .set(referrals::accepted_at.eq(at))
    .keep_prepared()
    .execute(conn)
    .await?;
    Ok(accepted == 1)
}
