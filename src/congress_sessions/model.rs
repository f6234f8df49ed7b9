use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{committees, congress_sessions};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::representatives::domain::Level;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = congress_sessions, check_for_backend(Pg))]
pub struct CongressSession {
    pub id: Uuid,
    pub level: Level,
    pub term: i32,
    pub number: i32,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = congress_sessions)]
pub struct SessionChanges {
    pub term: Option<i32>,
    pub number: Option<i32>,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

fn numbered_twice(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "congress_sessions_key",
        ErrorCode::AlreadyExists,
        "this level already has a session with this term and number",
    )
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    level: Option<Level>,
    opening_in: Option<(NaiveDate, NaiveDate)>,
) -> ApiResult<Vec<CongressSession>> {
    let mut query = congress_sessions::table.into_boxed();
    if let Some(level) = level {
        query = query.filter(congress_sessions::level.eq(level));
    }
    if let Some((from, to)) = opening_in {
        query = query
            .filter(congress_sessions::opens_on.ge(from))
            .filter(congress_sessions::opens_on.lt(to));
    }
    Ok(query
        .select(CongressSession::as_select())
        .order((congress_sessions::opens_on, congress_sessions::id))
        .limit(1000)
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<CongressSession> {
    congress_sessions::table
        .find(id)
        .select(CongressSession::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("congress session"))
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    session: &CongressSession,
) -> ApiResult<CongressSession> {
    diesel::insert_into(congress_sessions::table)
        .values(session)
        .returning(CongressSession::as_returning())
        .get_result(conn)
        .await
        .map_err(numbered_twice)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &SessionChanges,
) -> ApiResult<CongressSession> {
    diesel::update(congress_sessions::table.find(id))
        .set(changes)
        .returning(CongressSession::as_returning())
        .get_result(conn)
        .await
        .map_err(numbered_twice)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<()> {
    let deleted = diesel::delete(congress_sessions::table.find(id))
        .execute(conn)
        .await?;
    if deleted == 0 {
        return Err(ApiError::not_found("congress session"));
    }
    Ok(())
}

/// Is this committee the root of a district's tree (its Standing Committee)?
pub async fn is_root_committee(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<bool> {
    Ok(committees::table
        .find(id)
        .select(committees::parent_id.is_null())
        .first::<bool>(conn)
        .await
        .optional()?
        .unwrap_or(false))
}
