use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{Days, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::dto::{
    CreateReceptionRule, ReceptionRuleList, ReceptionRuleView, Schedule, ScheduleQuery,
    UpdateReceptionRule,
};
use super::model::{self, NewReceptionRule, ReceptionRule, ReceptionRuleChanges};
use super::public::{self, Window};
use super::recurrence::Recurrence;
use crate::access::{Action, Authed};
use crate::calendar::working_days::local_date;
use crate::db::schema::reception_rules;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::liaison_groups;
use crate::representatives::model::serving_in_scope;
use crate::state::AppState;

/// The longest window one schedule request expands.
const MAX_WINDOW_DAYS: i64 = 366;

fn sorted_dates(mut dates: Vec<chrono::NaiveDate>) -> Vec<chrono::NaiveDate> {
    dates.sort_unstable();
    dates.dedup();
    dates
}

/// Publish recurring reception times for a home or station in your scope: an RFC 5545 rule in
/// Beijing time, the hours, the deputies on duty and any dates called off.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_reception_rule",
    params(("id" = Uuid, Path, description = "Liaison group id")),
    request_body = CreateReceptionRule,
    responses(
        (status = 201, description = "Created", body = ReceptionRuleView),
        (status = 422, description = "Not a usable recurrence rule, or invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/liaison-groups/{id}/reception-rules")]
#[tracing::instrument(skip_all)]
pub async fn create_reception_rule(
    authed: Authed,
    id: web::Path<Uuid>,
    body: crate::request::ValidJson<CreateReceptionRule>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let b = body.0;
    let recurrence = Recurrence::parse(
        &b.rrule,
        b.dtstart,
        b.start_time.0,
        b.end_time.0,
        b.exdates.clone(),
    )
    .map_err(|(field, message)| ApiError::invalid_field(field, message))?;
    let group = liaison_groups::model::find_visible(&mut conn, &caller, *id).await?;
    let deputies = deduped_in_order(&b.representative_ids);
    serving_in_scope(&mut conn, &caller, &deputies, "representative_ids").await?;
    let rule_id = Uuid::now_v7();
    let created: ReceptionRule = diesel::insert_into(reception_rules::table)
        .values(&NewReceptionRule {
            id: rule_id,
            liaison_group_id: group.id,
            rrule: recurrence.rule().to_owned(),
            dtstart: b.dtstart,
            start_time: b.start_time.0,
            end_time: b.end_time.0,
            // The client's order is the rota's order.
            representative_ids: deputies,
            exdates: sorted_dates(b.exdates),
            created_by: Some(caller.account_id),
        })
        .returning(ReceptionRule::as_returning())
        .get_result(&mut conn)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!(
                "/api/v1/liaison-groups/{}/reception-rules/{rule_id}",
                group.id
            ),
        ))
        .json(ReceptionRuleView::from(created)))
}

/// The reception rules of a home or station in your scope.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_reception_rules",
    params(("id" = Uuid, Path, description = "Liaison group id")),
    responses((status = 200, description = "The rules", body = ReceptionRuleList)),
)]
#[get("/liaison-groups/{id}/reception-rules")]
#[tracing::instrument(skip_all)]
pub async fn list_reception_rules(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ReceptionRuleList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let group = liaison_groups::model::find_visible(&mut conn, &caller, *id).await?;
    let items = model::rules_of_group(&mut conn, group.id)
        .await?
        .into_iter()
        .map(ReceptionRuleView::from)
        .collect();
    Ok(web::Json(ReceptionRuleList { items }))
}

/// Change the deputies on duty (the month's rota) or call off dates.
#[utoipa::path(
    tag = "activities",
    operation_id = "update_reception_rule",
    params(
        ("id" = Uuid, Path, description = "Liaison group id"),
        ("rule_id" = Uuid, Path, description = "Reception rule id"),
    ),
    request_body = UpdateReceptionRule,
    responses((status = 200, description = "The rule now", body = ReceptionRuleView)),
)]
#[patch("/liaison-groups/{id}/reception-rules/{rule_id}")]
#[tracing::instrument(skip_all)]
pub async fn update_reception_rule(
    authed: Authed,
    path: web::Path<(Uuid, Uuid)>,
    body: crate::request::ValidJson<UpdateReceptionRule>,
) -> ApiResult<web::Json<ReceptionRuleView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let (group, rule) = path.into_inner();
    let b = body.0;
    let group = liaison_groups::model::find_visible(&mut conn, &caller, group).await?;
    let current = model::find_in_group(&mut conn, group.id, rule).await?;
    let deputies = b.representative_ids.as_deref().map(deduped_in_order);
    if let Some(ids) = &deputies {
        serving_in_scope(&mut conn, &caller, ids, "representative_ids").await?;
    }
    let updated: ReceptionRule = diesel::update(reception_rules::table.find(current.id))
        .set(&ReceptionRuleChanges {
            representative_ids: deputies,
            exdates: b.exdates.map(sorted_dates),
            updated_at: Some(Utc::now()),
        })
        .returning(ReceptionRule::as_returning())
        .get_result(&mut conn)
        .await?;
    Ok(web::Json(updated.into()))
}

/// Duplicates dropped, the client's order (the rota's order) kept.
fn deduped_in_order(ids: &[Uuid]) -> Vec<Uuid> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

/// Stop publishing a reception rule.
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_reception_rule",
    params(
        ("id" = Uuid, Path, description = "Liaison group id"),
        ("rule_id" = Uuid, Path, description = "Reception rule id"),
    ),
    responses((status = 204, description = "Deleted")),
)]
#[delete("/liaison-groups/{id}/reception-rules/{rule_id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_reception_rule(
    authed: Authed,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let (group, rule) = path.into_inner();
    let group = liaison_groups::model::find_visible(&mut conn, &caller, group).await?;
    let current = model::find_in_group(&mut conn, group.id, rule).await?;
    diesel::delete(reception_rules::table.find(current.id))
        .execute(&mut conn)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn window(q: &ScheduleQuery) -> ApiResult<Window> {
    let from = q.from.unwrap_or_else(|| local_date(Utc::now()));
    let to = q.to.unwrap_or(from + Days::new(30));
    if to < from {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            "from must not be after to",
        ));
    }
    if (to - from).num_days() >= MAX_WINDOW_DAYS {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("the window is at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    Ok(Window {
        from,
        to,
        station: q.station,
        constituency: q.constituency,
    })
}

/// The published reception schedule: every published activity and every recurring reception
/// in the window, with place, time and the deputies on duty, sorted by time. No sign-in; no
/// personal data.
#[utoipa::path(
    tag = "public",
    operation_id = "get_public_schedule",
    params(ScheduleQuery),
    responses((status = 200, description = "The schedule", body = Schedule)),
    security(()),
)]
#[get("/schedule")]
#[tracing::instrument(skip_all)]
pub async fn get_public_schedule(
    state: web::Data<AppState>,
    query: web::Query<ScheduleQuery>,
) -> ApiResult<web::Json<Schedule>> {
    let w = window(&query)?;
    let mut conn = state.db().await?;
    let items = public::items(&mut conn, &w).await?;
    Ok(web::Json(Schedule {
        from: w.from,
        to: w.to,
        items,
    }))
}

/// A home or station's schedule as an iCalendar feed (`text/calendar`) to subscribe to: the
/// last 30 days and the next 180.
#[utoipa::path(
    tag = "public",
    operation_id = "get_station_calendar",
    params(("id" = Uuid, Path, description = "Home or station id")),
    responses(
        (status = 200, description = "The iCalendar feed", body = String, content_type = "text/calendar"),
        (status = 404, description = "No such home or station", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
#[get("/stations/{id}/calendar.ics")]
#[tracing::instrument(skip_all)]
pub async fn get_station_calendar(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db().await?;
    let name = model::public_station(&mut conn, *id).await?;
    let now = Utc::now();
    let today = local_date(now);
    let w = Window {
        from: today - Days::new(30),
        to: today + Days::new(180),
        station: Some(*id),
        constituency: None,
    };
    let items = public::items(&mut conn, &w).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=900"))
        .body(super::ics::render(&name, &items, now)))
}
