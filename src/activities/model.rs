use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::{ActivityEventKind, ActivityForm, ActivityKind, ActivityStatus};
use super::dto::{ActivityListQuery, EvaluationCounts};
use crate::access::Caller;
use crate::access::filters::activity_filter;
use crate::calendar::working_days::{end_of_local_day, start_of_local_day};
use crate::db::schema::{
    activities, activity_evaluations, activity_events, activity_participants, opinions,
    reception_registrations,
};
use crate::db::tree::subtree_of;
use crate::error::{ApiError, ApiResult};
use crate::opinions::lifecycle::Rating;
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activities, check_for_backend(Pg))]
pub struct Activity {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub form: ActivityForm,
    pub committee_id: Uuid,
    pub organiser_committee_id: Option<Uuid>,
    pub organiser_group_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub address: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub topic: String,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub status: ActivityStatus,
    pub voters_met: Option<i32>,
    pub summary: Option<String>,
    pub held_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reject_reason: Option<String>,
    pub rejected_at: Option<DateTime<Utc>>,
    /// The written report to voters, for an annual report.
    pub report_text: Option<String>,
    /// Liaison officers present (station rules §2).
    pub attendee_officer_ids: Vec<Uuid>,
    pub external_system: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = activities)]
pub struct NewActivity {
    pub id: Uuid,
    pub kind: ActivityKind,
    pub form: ActivityForm,
    pub committee_id: Uuid,
    pub organiser_committee_id: Option<Uuid>,
    pub organiser_group_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub address: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub topic: String,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub status: ActivityStatus,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = activity_participants, check_for_backend(Pg))]
pub struct Participant {
    pub activity_id: Uuid,
    pub representative_id: Uuid,
    pub planned: bool,
    pub attended: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reception_registrations, check_for_backend(Pg))]
pub struct Registration {
    pub id: Uuid,
    pub activity_id: Uuid,
    pub visitor_name: String,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn find_visible<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<Activity>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    activities::table
        .filter(activities::id.eq(id))
        .filter(activity_filter(caller))
        .select(Activity::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("activity"))
}

/// The activity, locked for the rest of the transaction: concurrent holds and cancels queue.
pub async fn lock_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Activity> {
    activities::table
        .filter(activities::id.eq(id))
        .filter(activity_filter(caller))
        .select(Activity::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("activity"))
}

/// Locks an activity whatever the caller: only for writes whose scope was decided through
/// another record (a meeting request the caller may act on).
pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<Activity> {
    Ok(activities::table
        .find(id)
        .select(Activity::as_select())
        .for_update()
        .first(conn)
        .await?)
}

pub fn list_query<'a>(
    caller: &Caller,
    q: &ActivityListQuery,
    page: PageRequest,
) -> activities::BoxedQuery<'a, Pg> {
    let mut query = activities::table
        .filter(activity_filter(caller))
        .into_boxed();
    if let Some(kind) = q.kind {
        query = query.filter(activities::kind.eq(kind.as_str()));
    }
    if let Some(status) = q.status {
        query = query.filter(activities::status.eq(status.as_str()));
    }
    if let Some(c) = q.committee_id {
        query = query.filter(activities::committee_id.eq_any(subtree_of(c)));
    }
    if let Some(g) = q.liaison_group_id {
        query = query.filter(
            activities::organiser_group_id
                .assume_not_null()
                .eq(g)
                .or(activities::liaison_group_id.assume_not_null().eq(g)),
        );
    }
    if let Some(r) = q.representative_id {
        query = query.filter(
            activities::id.eq_any(
                activity_participants::table
                    .filter(activity_participants::representative_id.eq(r))
                    .select(activity_participants::activity_id),
            ),
        );
    }
    if let Some(from) = q.from {
        query = query.filter(activities::starts_at.ge(start_of_local_day(from)));
    }
    if let Some(to) = q.to {
        query = query.filter(activities::starts_at.lt(end_of_local_day(to)));
    }
    if let Some(system) = q.external_system.as_deref() {
        query = query.filter(activities::external_system.eq(system.to_owned()));
    }
    if let Some(id) = q.external_id.as_deref() {
        query = query.filter(activities::external_id.eq(id.to_owned()));
    }
    if let Some(after) = page.after {
        query = query.filter(activities::id.lt(after));
    }
    query.order(activities::id.desc()).limit(page.fetch_limit())
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    q: &ActivityListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Activity>> {
    Ok(list_query(caller, q, page)
        .select(Activity::as_select())
        .load(conn)
        .await?)
}

/// The deputies of several activities, in one query.
pub async fn participants_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> ApiResult<Vec<Participant>> {
    Ok(activity_participants::table
        .filter(activity_participants::activity_id.eq_any(ids))
        .select(Participant::as_select())
        .order((
            activity_participants::activity_id,
            activity_participants::representative_id,
        ))
        .load(conn)
        .await?)
}

/// Evaluation counts of several activities, in one query.
pub async fn evaluations_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, EvaluationCounts>> {
    let rows: Vec<(Uuid, Rating, i64)> = activity_evaluations::table
        .filter(activity_evaluations::activity_id.eq_any(ids))
        .group_by((
            activity_evaluations::activity_id,
            activity_evaluations::rating,
        ))
        .select((
            activity_evaluations::activity_id,
            activity_evaluations::rating,
            diesel::dsl::count_star(),
        ))
        .load(conn)
        .await?;
    let mut counts: HashMap<Uuid, EvaluationCounts> = HashMap::new();
    for (id, rating, n) in rows {
        counts.entry(id).or_default().add(rating, n);
    }
    Ok(counts)
}

/// The registrations of an activity with the opinions made from each, in two queries.
pub async fn registrations_of(
    conn: &mut AsyncPgConnection,
    activity: Uuid,
) -> ApiResult<Vec<(Registration, Vec<Uuid>)>> {
    let regs: Vec<Registration> = reception_registrations::table
        .filter(reception_registrations::activity_id.eq(activity))
        .select(Registration::as_select())
        .order(reception_registrations::id)
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = regs.iter().map(|r| r.id).collect();
    let links: Vec<(Option<Uuid>, Uuid)> = opinions::table
        .filter(opinions::registration_id.eq_any(&ids))
        .select((opinions::registration_id, opinions::id))
        .order(opinions::id)
        .load(conn)
        .await?;
    Ok(regs
        .into_iter()
        .map(|r| {
            let mine = links
                .iter()
                .filter(|(reg, _)| *reg == Some(r.id))
                .map(|(_, o)| *o)
                .collect();
            (r, mine)
        })
        .collect())
}

/// One step on an activity's timeline, as stored.
pub type EventRow = (
    Uuid,
    ActivityEventKind,
    DateTime<Utc>,
    Option<Uuid>,
    serde_json::Value,
);

/// Appends a step to the activity's timeline, in the caller's transaction.
pub async fn record_event(
    conn: &mut AsyncPgConnection,
    activity: Uuid,
    action: ActivityEventKind,
    actor: Option<Uuid>,
    payload: serde_json::Value,
) -> ApiResult<()> {
    diesel::insert_into(activity_events::table)
        .values((
            activity_events::id.eq(Uuid::now_v7()),
            activity_events::activity_id.eq(activity),
            activity_events::action.eq(action),
            activity_events::actor_id.eq(actor),
            activity_events::payload.eq(payload),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn events_of(conn: &mut AsyncPgConnection, activity: Uuid) -> ApiResult<Vec<EventRow>> {
    Ok(activity_events::table
        .filter(activity_events::activity_id.eq(activity))
        .order(activity_events::seq)
        .select((
            activity_events::id,
            activity_events::action,
            activity_events::at,
            activity_events::actor_id,
            activity_events::payload,
        ))
        .load(conn)
        .await?)
}
