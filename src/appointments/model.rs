use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::AppointmentListQuery;
use crate::db::schema::appointments;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;
use crate::scope::{Caller, appointment_filter};

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
    pub state: String,
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
