//! Loads what the obligation rules judge, for a page of deputies at once: the same few
//! statements in two round trips (after the page itself) whatever the page size.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnectionCore, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::links::Link;
use super::rules::{Attended, DeputyYear, OpenOpinion, Thresholds};
use super::sessions::Session;
use crate::access::Caller;
use crate::access::filters::representative_filter;
use crate::activities::domain::ActivityKind;
use crate::calendar::working_days::{local_date, start_of_local_day};
use crate::committees::policy::{self, EffectivePolicy};
use crate::db::prepared::KeepPreparedDsl;
use crate::db::schema::{
    activity_contacts, activity_participants, congress_sessions, contact_links, liaison_groups,
    representatives,
};
use crate::db::tree::subtree_of;
use crate::error::ApiResult;
use crate::opinions::lifecycle::State;
use crate::pagination::PageRequest;
use crate::representatives::contacts::ContactKind;
use crate::representatives::domain::Level;

/// The widest pre-session window a policy may set.
const MAX_WINDOW_DAYS: u64 = 366;

pub struct DeputyFilter {
    pub committee: Option<Uuid>,
    pub group: Option<Uuid>,
    pub representative: Option<Uuid>,
}

/// A deputy judged: (id, name, liaison group, level).
pub type Deputy = (Uuid, String, Uuid, Level);

/// A page of deputies in scope, by id.
pub async fn deputies(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    f: &DeputyFilter,
    page: PageRequest,
) -> ApiResult<Vec<Deputy>> {
    let mut query = representatives::table
        .filter(representative_filter(caller))
        .into_boxed();
    if let Some(c) = f.committee {
        query = query.filter(
            representatives::liaison_group_id.eq_any(
                liaison_groups::table
                    .filter(liaison_groups::committee_id.eq_any(subtree_of(c)))
                    .select(liaison_groups::id),
            ),
        );
    }
    if let Some(g) = f.group {
        query = query.filter(representatives::liaison_group_id.eq(g));
    }
    if let Some(r) = f.representative {
        query = query.filter(representatives::id.eq(r));
    }
    if let Some(after) = page.after {
        query = query.filter(representatives::id.gt(after));
    }
    Ok(query
        .select((
            representatives::id,
            representatives::name,
            representatives::liaison_group_id,
            representatives::level,
        ))
        .order(representatives::id)
        .limit(page.fetch_limit())
        .load(conn)
        .await?)
}

fn thresholds(p: &EffectivePolicy) -> Thresholds {
    let n = |v: i32| v.max(0) as u32;
    Thresholds {
        annual_reports_per_year: n(p.annual_reports_per_year),
        household_contacts_per_month: n(p.household_contacts_per_month),
        rota_receptions_per_month: n(p.rota_receptions_per_month),
        centralised_contact_by_month: n(p.centralised_contact_by_month),
        pre_session_by_month: n(p.pre_session_by_month),
        pre_session_window_days: n(p.pre_session_window_days),
        min_fixed_households: n(p.min_fixed_households),
        min_voter_liaisons: n(p.min_voter_liaisons),
    }
}

/// Everything the rules need for `deputies` in `year`, with each deputy's thresholds.
pub async fn years_of(
    conn: &mut AsyncPgConnection,
    deputies: &[Deputy],
    year: i32,
    now: DateTime<Utc>,
) -> ApiResult<HashMap<Uuid, (DeputyYear, Thresholds)>> {
    let ids: Vec<Uuid> = deputies.iter().map(|d| d.0).collect();
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("year checked by the handler");
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("year checked by the handler");
    let (from, to) = (start_of_local_day(first), start_of_local_day(next));

    let mut groups: Vec<Uuid> = deputies.iter().map(|d| d.2).collect();
    groups.sort_unstable();
    groups.dedup();
    // A session's window may begin in the year before: consultations from then count too.
    let consultations_from = start_of_local_day(first - Days::new(MAX_WINDOW_DAYS));
    // Two round trips: what depends only on the page's deputies, then what depends on that.
    let shared: &AsyncPgConnection = conn;
    let (mut c1, mut c2, mut c3, mut c4, mut c5, mut c6) =
        (shared, shared, shared, shared, shared, shared);
    let period = (from, to);
    let (committee_of, mut attended_by, contacts, links, rules, sessions, open) = futures_util::try_join!(
        committees_of_groups(&mut c1, &groups),
        attended_in(&mut c2, &ids, period, consultations_from),
        contacts_at_attended(&mut c6, &ids, period, consultations_from),
        links_in_force(&mut c3, &ids, first, next),
        crate::schedule::model::rules_of_deputies(shared, &ids),
        sessions_opening_in(&mut c4, first, next),
        open_opinions_of(&mut c5, &ids, to, now),
    )?;
    let committee_of: HashMap<Uuid, Uuid> = committee_of.into_iter().collect();
    let mut committees: Vec<Uuid> = committee_of.values().copied().collect();
    committees.sort_unstable();
    committees.dedup();
    let policies = crate::committees::model::effective_policies(&mut c1, &committees).await?;
    let sessions: Vec<(Level, Session)> = sessions
        .into_iter()
        .map(|(level, id, opens_on, closes_on)| {
            (
                level,
                Session {
                    id,
                    opens_on,
                    closes_on,
                },
            )
        })
        .collect();

    // Months each deputy is on some station's rota: the months a reception has them on duty,
    // by the rota version in force that day.
    let on_page: HashSet<Uuid> = ids.iter().copied().collect();
    let mut rota: HashMap<Uuid, BTreeSet<u32>> = HashMap::new();
    for rule in &rules {
        for o in rule.occurrences(first, next.pred_opt().unwrap_or(next)) {
            let month = local_date(o.starts_at).month();
            for d in o.representative_ids.iter().filter(|d| on_page.contains(d)) {
                rota.entry(*d).or_default().insert(month);
            }
        }
    }
    // Each read grouped once by whom it belongs to (a page holds thousands of activities).
    let mut contacted: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (activity, voter) in contacts {
        contacted.entry(activity).or_default().push(voter);
    }
    for a in attended_by.values_mut().flatten() {
        if let Some(voters) = contacted.get(&a.id) {
            a.contacted.clone_from(voters);
        }
    }
    let mut links_by: HashMap<(Uuid, ContactKind), Vec<Link>> = HashMap::new();
    for (deputy, kind, voter, from, until) in links {
        links_by
            .entry((deputy, kind))
            .or_default()
            .push(Link { voter, from, until });
    }
    let mut open_by: HashMap<Uuid, Vec<OpenOpinion>> = HashMap::new();
    for (deputy, id, overdue) in open {
        open_by
            .entry(deputy)
            .or_default()
            .push(OpenOpinion { id, overdue });
    }

    let today = local_date(now);
    Ok(deputies
        .iter()
        .map(|(id, _, group, level)| {
            let year = DeputyYear {
                year,
                today,
                attended: attended_by.remove(id).unwrap_or_default(),
                fixed_households: links_by
                    .remove(&(*id, ContactKind::FixedHousehold))
                    .unwrap_or_default(),
                voter_liaisons: links_by
                    .remove(&(*id, ContactKind::VoterLiaison))
                    .unwrap_or_default(),
                rota_months: rota.remove(id).unwrap_or_default(),
                sessions: sessions
                    .iter()
                    .filter(|(l, _)| l == level)
                    .map(|(_, s)| *s)
                    .collect(),
                open_opinions: open_by.remove(id).unwrap_or_default(),
            };
            let policy = committee_of
                .get(group)
                .and_then(|c| policies.get(c))
                .cloned()
                .unwrap_or_else(policy::defaults);
            (*id, (year, thresholds(&policy)))
        })
        .collect())
}

// The loads of `years_of`, each generic over the connection so several go out on one
// (pipelined).

/// (liaison group, its committee) for each of `groups`.
async fn committees_of_groups<C>(conn: &mut C, groups: &[Uuid]) -> ApiResult<Vec<(Uuid, Uuid)>>
where
    C: AsyncConnectionCore<Backend = Pg> + Send,
{
    Ok(liaison_groups::table
        .filter(liaison_groups::id.eq_any(groups))
        .select((liaison_groups::id, liaison_groups::committee_id))
        .load(conn)
        .await?)
}

/// The participations counted for `deputies`: present at a held activity in `[from, to)`, or
/// at a pre-session consultation from `consultations_from` on. The participations carry
/// their activity's start, kind and whether it was held (migrations 000018 and 000029), so
/// these are one range of an index a deputy and no activity is read.
fn attended_filter(
    deputies: &[Uuid],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    consultations_from: DateTime<Utc>,
) -> Box<dyn BoxableExpression<activity_participants::table, Pg, SqlType = Bool> + '_> {
    use activity_participants::dsl as p;
    Box::new(
        p::representative_id
            .eq_any(deputies)
            // Written as columns, not compared with bound values, so the partial index's
            // predicate is proven under a generic plan too.
            .and(p::attended.and(p::activity_held))
            .and(p::starts_at.ge(consultations_from.min(from)))
            .and(p::starts_at.lt(to))
            .and(
                p::starts_at.ge(from).or(p::kind
                    .eq(ActivityKind::PreSessionConsultation)
                    .and(p::starts_at.ge(consultations_from))),
            ),
    )
}

/// The participations `attended_filter` counts, each deputy's by start, with no voters met
/// yet (`contacts_at_attended` gives those). Grouped as the rows arrive: a page's rows
/// collected first (35,000 at the province's scale) were the largest block of the heap's
/// peak under load, a vector doubling as it grew, beside the groups built from it.
async fn attended_in<C>(
    conn: &mut C,
    deputies: &[Uuid],
    period: (DateTime<Utc>, DateTime<Utc>),
    consultations_from: DateTime<Utc>,
) -> ApiResult<HashMap<Uuid, Vec<Attended>>>
where
    C: AsyncConnectionCore<Backend = Pg> + Send,
{
    use futures_util::TryStreamExt;
    let rows = attended_query(deputies, period, consultations_from)
        .load_stream::<(Uuid, Uuid, ActivityKind, DateTime<Utc>)>(conn)
        .await?;
    Ok(rows
        .try_fold(
            HashMap::<Uuid, Vec<Attended>>::with_capacity(deputies.len()),
            |mut by, (deputy, id, kind, starts_at)| {
                by.entry(deputy).or_default().push(Attended {
                    id,
                    kind,
                    day: local_date(starts_at),
                    contacted: Vec::new(),
                });
                std::future::ready(Ok(by))
            },
        )
        .await?)
}

/// The statement of `attended_in`, public for the query-plan test.
pub fn attended_query(
    deputies: &[Uuid],
    period: (DateTime<Utc>, DateTime<Utc>),
    consultations_from: DateTime<Utc>,
) -> AttendedQuery<'_> {
    activity_participants::table
        .filter(attended_filter(deputies, period, consultations_from))
        .select((
            activity_participants::representative_id,
            activity_participants::activity_id,
            activity_participants::kind,
            activity_participants::starts_at,
        ))
        // The index's own order (a deputy's by start): no sort of the page's rows.
        .order((
            activity_participants::representative_id,
            activity_participants::starts_at,
        ))
        .into_boxed()
}

pub type AttendedQuery<'a> = activity_participants::BoxedQuery<
    'a,
    Pg,
    (
        diesel::sql_types::Uuid,
        diesel::sql_types::Uuid,
        diesel::sql_types::Text,
        diesel::sql_types::Timestamptz,
    ),
>;

/// (deputy, kind, voter, from, until) of the contact links of `deputies` in force at some time
/// in `[first, next)`.
async fn links_in_force<C>(
    conn: &mut C,
    deputies: &[Uuid],
    first: NaiveDate,
    next: NaiveDate,
) -> ApiResult<Vec<(Uuid, ContactKind, Uuid, NaiveDate, Option<NaiveDate>)>>
where
    C: AsyncConnectionCore<Backend = Pg> + Send,
{
    Ok(contact_links::table
        .filter(contact_links::representative_id.eq_any(deputies))
        .filter(contact_links::valid_from.lt(next))
        .filter(
            contact_links::valid_until
                .is_null()
                .or(contact_links::valid_until.gt(first)),
        )
        .select((
            contact_links::representative_id,
            contact_links::kind,
            contact_links::voter_id,
            contact_links::valid_from,
            contact_links::valid_until,
        ))
        .load(conn)
        .await?)
}

/// (level, id, opens, closes) of the congress sessions opening in `[first, next)`, by opening.
async fn sessions_opening_in<C>(
    conn: &mut C,
    first: NaiveDate,
    next: NaiveDate,
) -> ApiResult<Vec<(Level, Uuid, NaiveDate, NaiveDate)>>
where
    C: AsyncConnectionCore<Backend = Pg> + Send,
{
    Ok(congress_sessions::table
        .filter(congress_sessions::opens_on.ge(first))
        .filter(congress_sessions::opens_on.lt(next))
        .select((
            congress_sessions::level,
            congress_sessions::id,
            congress_sessions::opens_on,
            congress_sessions::closes_on,
        ))
        .order(congress_sessions::opens_on)
        .load(conn)
        .await?)
}

/// (activity, voter) of the voters contacted at the activities `attended_filter` counts, in
/// the same round trip as those: named by the same condition rather than by the activities'
/// ids, a page's thousands of which were a bind message each connection kept the size of.
async fn contacts_at_attended<C>(
    conn: &mut C,
    deputies: &[Uuid],
    period: (DateTime<Utc>, DateTime<Utc>),
    consultations_from: DateTime<Utc>,
) -> ApiResult<Vec<(Uuid, Uuid)>>
where
    C: AsyncConnectionCore<Backend = Pg> + Send,
{
    Ok(activity_contacts::table
        .filter(
            activity_contacts::activity_id.eq_any(
                activity_participants::table
                    .filter(attended_filter(deputies, period, consultations_from))
                    .select(activity_participants::activity_id)
                    .into_boxed(),
            ),
        )
        .select((activity_contacts::activity_id, activity_contacts::voter_id))
        .load(conn)
        .await?)
}

/// (deputy, opinion, overdue) of what the rule `no_overdue_opinions` judges: each deputy's
/// open opinions received before `before` that are overdue at `now`, or, for a deputy with
/// none overdue, all its open ones. Its evidence is one or the other, so the rest (most of a
/// busy deputy's open opinions) is never read.
async fn open_opinions_of<C>(
    conn: &mut C,
    deputies: &[Uuid],
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<(Uuid, Uuid, bool)>>
where
    C: AsyncConnectionCore<Backend = Pg> + Send,
{
    let rows: Vec<OpenOpinionRow> = open_opinions_query(deputies, before, now)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.representative_id, r.id, r.overdue))
        .collect())
}

type OpenOpinionsQuery<'a> = crate::db::prepared::KeepPrepared<
    diesel::query_builder::BoxedSqlQuery<'a, Pg, diesel::query_builder::SqlQuery>,
>;

#[derive(QueryableByName)]
struct OpenOpinionRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    representative_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    overdue: bool,
}

/// The statement of `open_opinions_of`, public for the query-plan test. Per deputy, the
/// overdue opinions are a range of `opinions_open_by_representative_due_idx` (migration
/// 000027), and whether there are any its first entry; the open states are written out as
/// `lifecycle::is_open` defines them, so the partial index's predicate is proven under a
/// generic plan too (the query-plan test checks the index is read).
pub fn open_opinions_query(
    deputies: &[Uuid],
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> OpenOpinionsQuery<'_> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let open_states = State::ALL
            .iter()
            .filter(|s| crate::opinions::lifecycle::is_open(**s))
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let open = |o: &str| {
            format!(
                "{o}.representative_id = d.id AND {o}.state IN ({open_states}) \
                 AND {o}.received_at < $2"
            )
        };
        format!(
            "SELECT d.id AS representative_id, o.id, o.overdue \
             FROM unnest($1::uuid[]) AS d (id) \
             CROSS JOIN LATERAL ( \
                 SELECT o.id, true AS overdue FROM opinions o \
                 WHERE {o_open} AND o.current_due_at < $3 \
                 UNION ALL \
                 SELECT o.id, false FROM opinions o \
                 WHERE {o_open} AND NOT EXISTS ( \
                     SELECT FROM opinions x WHERE {x_open} AND x.current_due_at < $3) \
             ) AS o",
            o_open = open("o"),
            x_open = open("x"),
        )
    });
    diesel::sql_query(SQL.as_str())
        .into_boxed()
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(deputies)
        .bind::<diesel::sql_types::Timestamptz, _>(before)
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .keep_prepared()
}
