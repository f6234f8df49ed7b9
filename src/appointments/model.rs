use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::AppointmentListQuery;
use super::states::{self, AppointmentState, Step};
use crate::access::Caller;
use crate::access::filters::appointment_filter;
use crate::db::schema::appointments;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appointments, check_for_backend(Pg))]
pub struct Appointment {
    pub id: Uuid,
    pub voter_id: Uuid,
    pub representative_id: Uuid,
    pub committee_id: Uuid,
    pub liaison_group_id: Uuid,
    pub topic: String,
    pub preferred_times: serde_json::Value,
    pub state: AppointmentState,
    pub decline_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub activity_id: Option<Uuid>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = appointments)]
pub struct NewAppointment {
    pub id: Uuid,
    pub voter_id: Uuid,
    pub representative_id: Uuid,
    pub committee_id: Uuid,
    pub liaison_group_id: Uuid,
    pub topic: String,
    pub preferred_times: serde_json::Value,
    pub created_by: Option<Uuid>,
}

pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Appointment> {
    appointments::table
        .filter(appointments::id.eq(id))
        .filter(appointment_filter(caller))
        .select(Appointment::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("appointment"))
}

pub async fn lock_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Appointment> {
    appointments::table
        .filter(appointments::id.eq(id))
        .filter(appointment_filter(caller))
        .select(Appointment::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("appointment"))
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    q: &AppointmentListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Appointment>> {
    let mut query = appointments::table
        .filter(appointment_filter(caller))
        .into_boxed();
    if let Some(state) = q.state {
        query = query.filter(appointments::state.eq(state.as_str()));
    }
    if let Some(r) = q.representative_id {
        query = query.filter(appointments::representative_id.eq(r));
    }
    if let Some(after) = page.after {
        query = query.filter(appointments::id.lt(after));
    }
    Ok(query
        .select(Appointment::as_select())
        .order(appointments::id.desc())
        .limit(page.fetch_limit())
        .load(conn)
        .await?)
}

/// What a step writes besides the state: the reason given, the activity it became.
#[derive(Debug, Default)]
pub struct StepDetails<'a> {
    pub decline_reason: Option<&'a str>,
    pub cancel_reason: Option<&'a str>,
    pub activity_id: Option<Uuid>,
}

#[derive(AsChangeset)]
#[diesel(table_name = appointments)]
struct Changes<'a> {
    state: &'static str,
    decline_reason: Option<&'a str>,
    cancel_reason: Option<&'a str>,
    activity_id: Option<Uuid>,
    updated_at: DateTime<Utc>,
}

/// Writes a step already allowed by `states::next`, bumps the version and announces it in the
/// outbox (`appointment.<state>`), all in the caller's transaction.
pub async fn advance(
    conn: &mut AsyncPgConnection,
    a: &Appointment,
    to: AppointmentState,
    details: StepDetails<'_>,
) -> ApiResult<Appointment> {
    let updated: Appointment = diesel::update(appointments::table.find(a.id))
        .set((
            Changes {
                state: to.as_str(),
                decline_reason: details.decline_reason,
                cancel_reason: details.cancel_reason,
                activity_id: details.activity_id,
                updated_at: Utc::now(),
            },
            appointments::version.eq(appointments::version + 1),
        ))
        .returning(Appointment::as_returning())
        .get_result(conn)
        .await?;
    announce(conn, &updated).await?;
    Ok(updated)
}

pub async fn announce(conn: &mut AsyncPgConnection, a: &Appointment) -> ApiResult<()> {
    let payload = serde_json::json!({
        "appointment_id": a.id,
        "state": a.state,
        "representative_id": a.representative_id,
        "activity_id": a.activity_id,
        "version": a.version,
    });
    let topic = format!("appointment.{}", a.state);
    crate::outbox::enqueue(conn, &topic, a.id, a.committee_id, payload).await
}

/// The request an activity answers follows it: held when the activity is held, cancelled
/// when it is cancelled. No request, or one already past that step, is left alone.
pub async fn follow_activity(
    conn: &mut AsyncPgConnection,
    activity: Uuid,
    step: Step,
    reason: Option<&str>,
) -> ApiResult<()> {
    let found: Option<Appointment> = appointments::table
        .filter(appointments::activity_id.eq(activity))
        .select(Appointment::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some(a) = found else {
        return Ok(());
    };
    if let Some(to) = states::next(a.state, step) {
        let details = StepDetails {
            cancel_reason: reason,
            ..StepDetails::default()
        };
        advance(conn, &a, to, details).await?;
    }
    Ok(())
}
