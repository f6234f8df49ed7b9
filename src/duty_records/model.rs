use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::TryFutureExt;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::Caller;
use crate::activities::domain::{ActivityForm, ActivityKind, ActivityStatus};
use crate::activities::dto::EvaluationCounts;
use crate::calendar::to_local;
use crate::calendar::working_days::start_of_local_day;
use crate::db::schema::{activities, activity_participants, opinions};
use crate::error::{ApiError, ApiResult};
use crate::opinions::domain::Outcome;
use crate::opinions::lifecycle::Rating;
use crate::opinions::lifecycle::{State, is_open};
use crate::representatives::model::find_visible;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordActivity {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub form: ActivityForm,
    pub status: ActivityStatus,
    pub starts_at: DateTime<FixedOffset>,
    pub topic: String,
    /// Present at it (recorded when held).
    pub attended: bool,
    pub voters_met: Option<i32>,
    /// For a report to voters.
    pub evaluations: Option<EvaluationCounts>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordOpinion {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub state: State,
    pub outcome: Option<Outcome>,
    pub rating: Option<Rating>,
    pub received_at: DateTime<FixedOffset>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub activities_held: usize,
    pub activities_attended: usize,
    pub voters_met: i64,
    pub reports_to_voters: usize,
    pub opinions: usize,
    pub opinions_by_state: BTreeMap<String, usize>,
    pub opinions_by_outcome: BTreeMap<String, usize>,
    /// Opinions whose answer was fed back to the voter.
    pub fed_back: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DutyRecord {
    pub representative_id: Uuid,
    pub name: String,
    pub year: i32,
    /// Activities the deputy was planned for or present at (cancelled ones left out), by time.
    pub activities: Vec<RecordActivity>,
    /// Opinions the deputy took that year, by time received.
    pub opinions: Vec<RecordOpinion>,
    pub totals: Totals,
}

/// An opinion's row as the record reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = opinions, check_for_backend(diesel::pg::Pg))]
pub struct OpinionRow {
    id: Uuid,
    title: String,
    category: String,
    state: State,
    outcome: Option<Outcome>,
    rating: Option<Rating>,
    received_at: DateTime<Utc>,
    current_due_at: Option<DateTime<Utc>>,
}
type ActivityRow = (
    Uuid,
    ActivityKind,
    ActivityForm,
    ActivityStatus,
    DateTime<Utc>,
    String,
    Option<i32>,
    bool,
);

/// The duty record of deputy `id`, if the caller may see them, whole (for the CSV and the
/// report draft; the JSON is streamed, see `stream`).
pub async fn load(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    year: i32,
) -> ApiResult<DutyRecord> {
    let head = load_head(conn, caller, id, year).await?;
    let rows = opinions_of_year(id, head.period)
        .load::<OpinionRow>(conn)
        .await?;
    let now = Utc::now();
    let opinions: Vec<RecordOpinion> = rows.into_iter().map(|r| record_opinion(r, now)).collect();
    let mut totals = Totals::of_activities(&head.activities);
    opinions.iter().for_each(|o| totals.count(o));
    Ok(DutyRecord {
        representative_id: head.representative_id,
        name: head.name,
        year,
        activities: head.activities,
        opinions,
        totals,
    })
}

/// The part of a duty record read before its opinions: the deputy and their activities.
pub struct RecordHead {
    pub representative_id: Uuid,
    pub name: String,
    pub year: i32,
    pub activities: Vec<RecordActivity>,
    /// The year as [start, end) instants.
    pub period: (DateTime<Utc>, DateTime<Utc>),
}

/// The deputy (if the caller may see them) and their activities in one round trip (what is
/// read for a deputy out of scope is dropped), then the evaluations of their reports to
/// voters, if any.
pub async fn load_head(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    year: i32,
) -> ApiResult<RecordHead> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("year checked by the handler");
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("year checked by the handler");
    let (from, to) = (start_of_local_day(first), start_of_local_day(next));
    let shared: &AsyncPgConnection = conn;
    let (mut a, mut b) = (shared, shared);
    let (deputy, rows) = futures_util::try_join!(
        find_visible(&mut a, caller, id),
        activity_participants::table
            .inner_join(activities::table)
            .filter(activity_participants::representative_id.eq(id))
            // By the participation's copy of the start (migration 000018), so the year is kept
            // before any activity is probed: a deputy's other years are most of their
            // participations.
            .filter(activity_participants::starts_at.ge(from))
            .filter(activity_participants::starts_at.lt(to))
            .filter(activities::status.ne("cancelled"))
            .select((
                activities::id,
                activities::kind,
                activities::form,
                activities::status,
                activities::starts_at,
                activities::topic,
                activities::voters_met,
                activity_participants::attended,
            ))
            .order((activities::starts_at, activities::id))
            .load::<ActivityRow>(&mut b)
            .err_into::<ApiError>(),
    )?;
    let reports: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.1 == ActivityKind::AnnualReport)
        .map(|r| r.0)
        .collect();
    let evaluations: HashMap<Uuid, EvaluationCounts> = if reports.is_empty() {
        HashMap::new()
    } else {
        crate::activities::model::evaluations_of(conn, &reports).await?
    };
    let activities: Vec<RecordActivity> = rows
        .into_iter()
        .map(
            |(aid, kind, form, status, starts_at, topic, voters_met, attended)| RecordActivity {
                id: aid,
                kind,
                form,
                status,
                starts_at: to_local(starts_at),
                topic,
                attended,
                voters_met,
                evaluations: (kind == ActivityKind::AnnualReport)
                    .then(|| evaluations.get(&aid).copied().unwrap_or_default()),
            },
        )
        .collect();
    Ok(RecordHead {
        representative_id: deputy.id,
        name: deputy.name,
        year,
        activities,
        period: (from, to),
    })
}

/// The deputy's opinions received in `period`, by time received.
pub fn opinions_of_year<'a>(
    id: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> opinions::BoxedQuery<
    'a,
    diesel::pg::Pg,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<OpinionRow, diesel::pg::Pg>>,
> {
    opinions::table
        .filter(opinions::representative_id.eq(id))
        .filter(opinions::received_at.ge(from))
        .filter(opinions::received_at.lt(to))
        .select(OpinionRow::as_select())
        .order((opinions::received_at, opinions::id))
        .into_boxed()
}

/// An opinion of the record, as its row was read at `now`.
pub fn record_opinion(row: OpinionRow, now: DateTime<Utc>) -> RecordOpinion {
    RecordOpinion {
        id: row.id,
        title: row.title,
        category: row.category,
        state: row.state,
        outcome: row.outcome,
        rating: row.rating,
        received_at: to_local(row.received_at),
        overdue: is_open(row.state) && row.current_due_at.is_some_and(|d| d < now),
    }
}

impl Totals {
    /// The totals of `activities`, before any opinion is counted.
    pub fn of_activities(activities: &[RecordActivity]) -> Totals {
        let held: Vec<&RecordActivity> = activities
            .iter()
            .filter(|a| a.status == ActivityStatus::Held)
            .collect();
        Totals {
            activities_held: held.len(),
            activities_attended: held.iter().filter(|a| a.attended).count(),
            voters_met: held
                .iter()
                .filter(|a| a.attended)
                .map(|a| i64::from(a.voters_met.unwrap_or(0)))
                .sum(),
            reports_to_voters: held
                .iter()
                .filter(|a| a.attended && a.kind == ActivityKind::AnnualReport)
                .count(),
            ..Totals::default()
        }
    }

    /// Counts one more opinion of the record.
    pub fn count(&mut self, o: &RecordOpinion) {
        self.opinions += 1;
        if o.state == State::FedBack {
            self.fed_back += 1;
        }
        *self
            .opinions_by_state
            .entry(o.state.as_str().to_owned())
            .or_default() += 1;
        if let Some(outcome) = &o.outcome {
            *self
                .opinions_by_outcome
                .entry(outcome.as_str().to_owned())
                .or_default() += 1;
        }
    }
}
