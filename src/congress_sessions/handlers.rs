use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use super::dto::{
    CongressSessionList, CongressSessionQuery, CongressSessionView, CreateCongressSession,
    UpdateCongressSession,
};
use super::model::{self, CongressSession, SessionChanges};
use crate::access::tree::check_manage_congress_sessions;
use crate::access::{Action, Authed, Caller};
use crate::calendar::year_or_current;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::request::ValidJson;

async fn require_manage(
    conn: &mut diesel_async::AsyncPgConnection,
    caller: &Caller,
) -> ApiResult<()> {
    caller.require(Action::ManageCongressSessions)?;
    let bound_to_root = match caller.committee_root() {
        Some(committee) => model::is_root_committee(conn, committee).await?,
        None => false,
    };
    check_manage_congress_sessions(caller, bound_to_root)
}

fn in_order(opens_on: NaiveDate, closes_on: NaiveDate) -> ApiResult<()> {
    if closes_on < opens_on {
        return Err(ApiError::invalid_field(
            "closes_on",
            "must be on or after opens_on",
        ));
    }
    Ok(())
}

/// Record a congress session and the days it sits (admins and district staff). Deputies of its
/// level are judged on a pre-session consultation in the policy's window before it opens.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_congress_session",
    request_body = CreateCongressSession,
    responses(
        (status = 201, description = "Recorded", body = CongressSessionView),
        (status = 409, description = "This level already has a session of this term and number", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_congress_session(
    authed: Authed,
    body: ValidJson<CreateCongressSession>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    require_manage(&mut conn, &caller).await?;
    let b = body.0;
    in_order(b.opens_on, b.closes_on)?;
    let now = Utc::now();
    let created = model::insert(
        &mut conn,
        &CongressSession {
            id: Uuid::now_v7(),
            level: b.level,
            term: b.term,
            number: b.number,
            opens_on: b.opens_on,
            closes_on: b.closes_on,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/congress-sessions/{}", created.id),
        ))
        .json(CongressSessionView::from(created)))
}

/// Congress sessions, by opening date.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_congress_sessions",
    params(CongressSessionQuery),
    responses((status = 200, description = "The sessions", body = CongressSessionList)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_congress_sessions(
    authed: Authed,
    query: web::Query<CongressSessionQuery>,
) -> ApiResult<web::Json<CongressSessionList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadCongressSessions)?;
    let opening_in = match query.year {
        Some(year) => {
            let year = year_or_current(Some(year))?;
            let first = NaiveDate::from_ymd_opt(year, 1, 1);
            let next = NaiveDate::from_ymd_opt(year + 1, 1, 1);
            first.zip(next)
        }
        None => None,
    };
    let items = model::list(&mut conn, query.level, opening_in)
        .await?
        .into_iter()
        .map(CongressSessionView::from)
        .collect();
    Ok(web::Json(CongressSessionList { items }))
}

/// One congress session.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_congress_session",
    params(("id" = Uuid, Path, description = "Congress session id")),
    responses((status = 200, description = "The session", body = CongressSessionView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_congress_session(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CongressSessionView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadCongressSessions)?;
    Ok(web::Json(model::find(&mut conn, *id).await?.into()))
}

/// Move a session's dates or correct its number (admins and district staff). Obligations are
/// judged afresh on the new dates.
#[utoipa::path(
    tag = "activities",
    operation_id = "update_congress_session",
    params(("id" = Uuid, Path, description = "Congress session id")),
    request_body = UpdateCongressSession,
    responses(
        (status = 200, description = "The session now", body = CongressSessionView),
        (status = 409, description = "This level already has a session of this term and number, or the one date sent crosses the stored other", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_congress_session(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateCongressSession>,
) -> ApiResult<web::Json<CongressSessionView>> {
    let Authed { caller, mut conn } = authed;
    require_manage(&mut conn, &caller).await?;
    let b = body.0;
    let current = model::find(&mut conn, *id).await?;
    // Both dates sent: a request out of order (422). One date sent that crosses the stored
    // other: a conflict with the record (409).
    if let (Some(opens_on), Some(closes_on)) = (b.opens_on, b.closes_on) {
        in_order(opens_on, closes_on)?;
    } else if b.closes_on.unwrap_or(current.closes_on) < b.opens_on.unwrap_or(current.opens_on) {
        return Err(ApiError::conflict(
            ErrorCode::ConflictsWithRecord,
            "the session would close before it opens: send opens_on and closes_on together",
        ));
    }
    let updated = model::update(
        &mut conn,
        current.id,
        &SessionChanges {
            term: b.term,
            number: b.number,
            opens_on: b.opens_on,
            closes_on: b.closes_on,
            updated_at: Utc::now(),
        },
    )
    .await?;
    Ok(web::Json(updated.into()))
}

/// Remove a session recorded in error (admins and district staff).
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_congress_session",
    params(("id" = Uuid, Path, description = "Congress session id")),
    responses((status = 204, description = "Removed")),
)]
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_congress_session(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    require_manage(&mut conn, &caller).await?;
    model::delete(&mut conn, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
