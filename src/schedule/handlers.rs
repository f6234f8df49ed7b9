use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{Days, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::dto::{
    CreateReceptionRule, EndReceptionRule, ReceptionRuleList, ReceptionRuleView, Schedule,
    ScheduleQuery, UpdateReceptionRule,
};
use super::model::{self, NewReceptionRule};
use super::public::{self, Window};
use super::recurrence::Recurrence;
use super::rota::{RotaVersion, earliest_change, version_on};
use crate::access::{Action, Authed};
use crate::calendar::working_days::local_date;
use crate::conditional::IfNoneMatch;
use crate::db::schema::reception_rules;
use crate::error::{ApiError, ApiResult, Problem};
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
#[post("/{id}/reception-rules")]
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
    let rule = NewReceptionRule {
        id: rule_id,
        liaison_group_id: group.id,
        rrule: recurrence.rule().to_owned(),
        dtstart: b.dtstart,
        start_time: b.start_time.0,
        end_time: b.end_time.0,
        created_by: Some(caller.account_id),
    };
    let first = RotaVersion {
        effective_from: b.dtstart,
        // The client's order is the rota's order.
        representative_ids: deputies,
        exdates: sorted_dates(b.exdates),
    };
    crate::db::in_transaction(&mut conn, async |conn| {
        diesel::insert_into(reception_rules::table)
            .values(&rule)
            .execute(conn)
            .await?;
        model::insert_version(conn, rule_id, &first, caller.account_id).await
    })
    .await?;
    let created = model::find_in_group(&mut conn, group.id, rule_id).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!(
                "/api/v1/liaison-groups/{}/reception-rules/{rule_id}",
                group.id
            ),
        ))
        .json(ReceptionRuleView::of(created, local_date(Utc::now()))))
}

/// The reception rules of a home or station in your scope.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_reception_rules",
    params(("id" = Uuid, Path, description = "Liaison group id")),
    responses((status = 200, description = "The rules", body = ReceptionRuleList)),
)]
#[get("/{id}/reception-rules")]
#[tracing::instrument(skip_all)]
pub async fn list_reception_rules(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ReceptionRuleList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let group = liaison_groups::model::find_visible(&mut conn, &caller, *id).await?;
    let today = local_date(Utc::now());
    let items = model::rules_of_group(&mut conn, group.id)
        .await?
        .into_iter()
        .map(|r| ReceptionRuleView::of(r, today))
        .collect();
    Ok(web::Json(ReceptionRuleList { items }))
}

/// Change the deputies on duty (the month's rota) or call off dates, from `effective_from` on
/// (default today, never before the first day of the current month). Receptions before that
/// day keep the rota they had, on the public schedule and in the obligations report.
#[utoipa::path(
    tag = "activities",
    operation_id = "update_reception_rule",
    params(
        ("id" = Uuid, Path, description = "Liaison group id"),
        ("rule_id" = Uuid, Path, description = "Reception rule id"),
    ),
    request_body = UpdateReceptionRule,
    responses(
        (status = 200, description = "The rule now, with every version", body = ReceptionRuleView),
        (status = 422, description = "effective_from before this month or after the rule ends", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}/reception-rules/{rule_id}")]
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
    let today = local_date(Utc::now());
    let from = change_date(b.effective_from, today)?;
    let group = liaison_groups::model::find_visible(&mut conn, &caller, group).await?;
    let current = model::find_in_group(&mut conn, group.id, rule).await?;
    if let Some(end) = current.rule.ends_on.filter(|end| from >= *end) {
        return Err(ApiError::invalid_field(
            "effective_from",
            format!("the rule ends on {end}: no change after that"),
        ));
    }
    let deputies = b.representative_ids.as_deref().map(deduped_in_order);
    if let Some(ids) = &deputies {
        serving_in_scope(&mut conn, &caller, ids, "representative_ids").await?;
    }
    let base = version_on(&current.versions, from).cloned();
    let version = RotaVersion {
        effective_from: from,
        representative_ids: deputies
            .or_else(|| base.as_ref().map(|v| v.representative_ids.clone()))
            .unwrap_or_default(),
        exdates: b
            .exdates
            .map(sorted_dates)
            .or_else(|| base.map(|v| v.exdates))
            .unwrap_or_default(),
    };
    crate::db::in_transaction(&mut conn, async |conn| {
        model::replace_versions_from(conn, current.rule.id, &version, caller.account_id).await
    })
    .await?;
    let updated = model::find_in_group(&mut conn, group.id, current.rule.id).await?;
    Ok(web::Json(ReceptionRuleView::of(updated, today)))
}

/// The day a change applies from: today by default, never in a month already past.
fn change_date(asked: Option<NaiveDate>, today: NaiveDate) -> ApiResult<NaiveDate> {
    let from = asked.unwrap_or(today);
    let earliest = earliest_change(today);
    if from < earliest {
        return Err(ApiError::invalid_field(
            "effective_from",
            format!("must be on or after {earliest}: months already past keep their rota"),
        ));
    }
    Ok(from)
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

/// End a reception rule from `effective_from` (default today, never before the first day of
/// the current month). It stays listed with `ends_on`; receptions before that day stay on the
/// schedule and in the obligations report.
#[utoipa::path(
    tag = "activities",
    operation_id = "delete_reception_rule",
    params(
        ("id" = Uuid, Path, description = "Liaison group id"),
        ("rule_id" = Uuid, Path, description = "Reception rule id"),
        EndReceptionRule,
    ),
    responses(
        (status = 204, description = "Ended"),
        (status = 422, description = "effective_from before this month", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/{id}/reception-rules/{rule_id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_reception_rule(
    authed: Authed,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<EndReceptionRule>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let (group, rule) = path.into_inner();
    let from = change_date(query.effective_from, local_date(Utc::now()))?;
    let group = liaison_groups::model::find_visible(&mut conn, &caller, group).await?;
    let current = model::find_in_group(&mut conn, group.id, rule).await?;
    // Ending again can only bring the end forward.
    let ends_on = current.rule.ends_on.map_or(from, |end| end.min(from));
    diesel::update(reception_rules::table.find(current.rule.id))
        .set((
            reception_rules::ends_on.eq(ends_on),
            reception_rules::updated_at.eq(Utc::now()),
        ))
        .execute(&mut conn)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The window served: `to` before `from` is an empty window; one longer than
/// `MAX_WINDOW_DAYS` is cut there, and the answer's `to` says where it ended, so a reader of a
/// long span pages on from the day after.
fn window(q: &ScheduleQuery) -> Window {
    let from = q.from.unwrap_or_else(|| local_date(Utc::now()));
    let to = q.to.unwrap_or(from + Days::new(30));
    let last_served = from + Days::new(MAX_WINDOW_DAYS as u64 - 1);
    Window {
        from,
        to: to.min(last_served),
        station: q.station_id.or(q.station),
        constituency: q.constituency_id.or(q.constituency),
    }
}

/// The published reception schedule: every published activity and every recurring reception
/// in the window, with place, time and the deputies on duty, sorted by time. No sign-in; no
/// personal data. Sent gzip-compressed (`Content-Encoding: gzip`, with an ETag of its own) to
/// a client that takes it (`Accept-Encoding: gzip`, HTTP's own negotiation, so not a parameter
/// here): about a tenth of the bytes.
#[utoipa::path(
    tag = "public",
    operation_id = "get_public_schedule",
    params(
        ScheduleQuery,
        ("If-None-Match" = Option<String>, Header, description = "The ETag of the schedule you hold; 304 while it is still the answer"),
    ),
    responses(
        (status = 200, description = "The schedule; its `ETag` names this window's answer until anything it shows changes", body = Schedule,
            headers(
                ("ETag" = String, description = "This window's answer, in this encoding"),
                ("Content-Encoding" = Option<String>, description = "`gzip` when the client asked for it"),
                ("Vary" = String, description = "`Accept-Encoding`"),
            )),
        (status = 304, description = "Unchanged since the ETag you sent: keep the schedule you hold"),
    ),
    security(()),
)]
#[get("/schedule")]
#[tracing::instrument(skip_all)]
pub async fn get_public_schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    cache: web::Data<public::ScheduleCache>,
    query: web::Query<ScheduleQuery>,
    if_none_match: IfNoneMatch,
) -> ApiResult<HttpResponse> {
    let w = window(&query);
    let gzip = takes_gzip(&req);
    // The connection goes back to the pool at once: a kept answer needs none, and a build
    // takes its own once its turn comes, rather than all those waiting holding theirs.
    let generation = public::generation(&mut *state.db().await?).await?;
    // A window's answer changes only with the generation (what the cache is keyed on), and
    // the window's dates are in the tag: a default window moves with the day. The compressed
    // answer is other bytes, so another tag.
    let coding = if gzip { ".gzip" } else { "" };
    let tag = format!("\"{generation}.{}.{}{coding}\"", w.from, w.to);
    let vary = (header::VARY, header::ACCEPT_ENCODING.as_str());
    if if_none_match.holds(&tag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header(vary)
            .finish());
    }
    let answer = cache
        .get_or_build(w, generation, async || public::build(&state, &w).await)
        .await?;
    let mut response = HttpResponse::Ok();
    response
        .content_type(actix_web::http::header::ContentType::json())
        .insert_header((header::ETAG, tag))
        .insert_header(vary);
    let body = if gzip {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        answer.gzip
    } else {
        answer.json
    };
    Ok(response.body(crate::responses::InSlices::new(body)))
}

/// Whether the client takes the schedule gzip-compressed, by its `Accept-Encoding` and the
/// weights there (`gzip;q=0` refuses it). A header that cannot be read is taken as none.
fn takes_gzip(req: &HttpRequest) -> bool {
    use actix_web::http::header::{AcceptEncoding, Encoding, Header};
    let offered = [Encoding::gzip(), Encoding::identity()];
    AcceptEncoding::parse(req)
        .ok()
        .and_then(|accepted| accepted.negotiate(offered.iter()))
        == Some(Encoding::gzip())
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
#[get("/{id}/calendar.ics")]
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
