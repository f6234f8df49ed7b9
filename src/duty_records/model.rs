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

type OpinionRow = (
    Uuid,
    String,
    String,
    State,
    Option<Outcome>,
    Option<Rating>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);
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

/// The duty record of deputy `id`, if the caller may see them: the deputy, their activities
/// and their opinions in one round trip (what is read for a deputy out of scope is dropped),
/// then the evaluations of their reports to voters, if any.
pub async fn load(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    year: i32,
) -> ApiResult<DutyRecord> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("year checked by the handler");
    let next = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("year checked by the handler");
    let (from, to) = (start_of_local_day(first), start_of_local_day(next));
    let shared: &AsyncPgConnection = conn;
    let (mut a, mut b, mut c) = (shared, shared, shared);
    let (deputy, rows, opinion_rows) = futures_util::try_join!(
        find_visible(&mut a, caller, id),
        activity_participants::table
            .inner_join(activities::table)
            .filter(activity_participants::representative_id.eq(id))
            .filter(activities::status.ne("cancelled"))
            .filter(activities::starts_at.ge(from))
            .filter(activities::starts_at.lt(to))
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
        opinions::table
            .filter(opinions::representative_id.eq(id))
            .filter(opinions::received_at.ge(from))
            .filter(opinions::received_at.lt(to))
            .select((
                opinions::id,
                opinions::title,
                opinions::category,
                opinions::state,
                opinions::outcome,
                opinions::rating,
                opinions::received_at,
                opinions::current_due_at,
            ))
            .order((opinions::received_at, opinions::id))
            .load::<OpinionRow>(&mut c)
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
    let now = Utc::now();
    let opinions: Vec<RecordOpinion> = opinion_rows
        .into_iter()
        .map(
            |(oid, title, category, state, outcome, rating, received_at, due)| RecordOpinion {
                id: oid,
                title,
                category,
                state,
                outcome,
                rating,
                received_at: to_local(received_at),
                overdue: is_open(state) && due.is_some_and(|d| d < now),
            },
        )
        .collect();
    let totals = totals(&activities, &opinions);
    Ok(DutyRecord {
        representative_id: deputy.id,
        name: deputy.name,
        year,
        activities,
        opinions,
        totals,
    })
}

fn totals(activities: &[RecordActivity], opinions: &[RecordOpinion]) -> Totals {
    let held: Vec<&RecordActivity> = activities
        .iter()
        .filter(|a| a.status == ActivityStatus::Held)
        .collect();
    let mut t = Totals {
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
        opinions: opinions.len(),
        fed_back: opinions
            .iter()
            .filter(|o| o.state == State::FedBack)
            .count(),
        ..Totals::default()
    };
    for o in opinions {
        *t.opinions_by_state
            .entry(o.state.as_str().to_owned())
            .or_default() += 1;
        if let Some(outcome) = &o.outcome {
            *t.opinions_by_outcome
                .entry(outcome.as_str().to_owned())
                .or_default() += 1;
        }
    }
    t
}
