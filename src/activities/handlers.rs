use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::dto::{
    ActivityEventList, ActivityEventView, ActivityListQuery, ActivityView, CancelActivity,
    CreateActivity, EvaluationRequest, HoldActivity, RegistrationList, RegistrationView,
    UpdateActivity,
};
use super::model::{self, Activity};
use super::workflow;
use crate::access::{self, Action, Authed};
use crate::conditional::IfMatch;
use crate::db::Ending;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::external_refs::{self, Holder, Prior};
use crate::idempotency::{self, IdempotencyKey, StoredResponse};
use crate::pagination::{Page, PageRequest};
use crate::request::{FingerprintedJson, ValidJson};

/// Views of several activities in two queries, whatever their number.
pub async fn views(
    conn: &mut AsyncPgConnection,
    rows: Vec<Activity>,
) -> ApiResult<Vec<ActivityView>> {
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let participants = model::participants_of(conn, &ids).await?;
    let evaluations = model::evaluations_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|a| {
            let counts = evaluations.get(&a.id).copied().unwrap_or_default();
            ActivityView::new(a, &participants, counts)
        })
        .collect())
}

/// The view of one activity as an answer: 201 with its Location when just created.
async fn respond(
    conn: &mut AsyncPgConnection,
    a: Activity,
    created: bool,
) -> ApiResult<StoredResponse> {
    let id = a.id;
    let view = views(conn, vec![a])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("view of one activity was empty")))?;
    let (status, location) = match created {
        true => (201, Some(format!("/api/v1/activities/{id}"))),
        false => (200, None),
    };
    StoredResponse::json(status, &view, view.version, location)
}

/// Plan an activity (a work plan entry): person, time and place must all be set (三落实),
/// else 422 `work_plan_incomplete`. Publishing it puts it on the public schedule. A deputy
/// declares their own (naming only themself, at their own home or station or an address,
/// unpublished): it starts `declared` and counts once staff confirm it.
#[utoipa::path(
    tag = "activities",
    operation_id = "create_activity",
    request_body = CreateActivity,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely: a repeat with the same key returns the first answer and writes nothing"),
    ),
    responses(
        (status = 201, description = "Planned; the ETag header carries the version", body = ActivityView),
        (status = 200, description = "The same request, naming the same `external_ref`, made this activity before", body = ActivityView),
        (status = 409, description = "`external_ref_conflict`: the `external_ref` names an activity made by a different request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Incomplete plan (`work_plan_incomplete`) or invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_activity(
    authed: Authed,
    key: IdempotencyKey,
    body: FingerprintedJson<CreateActivity>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    let declaring = access::activities::creates_declaration(&caller)?;
    let FingerprintedJson { value, fingerprint } = body;
    idempotency::run(
        &mut conn,
        caller.account_id,
        key.with(fingerprint),
        // Answered by reads after the writes, so `in_transaction` commits it.
        async |conn, _: Ending| {
            if let Some(reference) = &value.external_ref {
                let prior = external_refs::claim(conn, Holder::Activities, reference, &fingerprint);
                if let Prior::Retry(id) = prior.await? {
                    let made = model::find_visible(conn, &caller, id).await.map_err(|_| {
                        ApiError::conflict(
                            ErrorCode::ExternalRefConflict,
                            "this external_ref already names a record you cannot see",
                        )
                    })?;
                    return respond(conn, made, false).await;
                }
            }
            let mut created = if declaring {
                super::declarations::declare(conn, &caller, value.clone()).await?
            } else {
                workflow::plan(conn, &caller, value.clone()).await?
            };
            if let Some(reference) = &value.external_ref {
                let id = created.id;
                external_refs::attach(conn, Holder::Activities, id, reference, &fingerprint)
                    .await?;
                created.external_system = Some(reference.system.clone());
                created.external_id = Some(reference.id.clone());
            }
            respond(conn, created, true).await
        },
    )
    .await
}

/// Activities in your scope, newest first.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activities",
    params(ActivityListQuery),
    responses((status = 200, description = "A page of activities", body = Page<ActivityView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_activities(
    authed: Authed,
    query: web::Query<ActivityListQuery>,
) -> ApiResult<web::Json<Page<ActivityView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    let (rows, next_cursor) = Page::<ActivityView>::cut(rows, page, |a| a.id);
    Ok(web::Json(Page {
        items: views(&mut conn, rows).await?,
        next_cursor,
    }))
}

/// Get an activity; the `ETag` header is its version.
#[utoipa::path(
    tag = "activities",
    operation_id = "get_activity",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "The activity", body = ActivityView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_activity(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let a = model::find_visible(&mut conn, &caller, *id).await?;
    Ok(respond(&mut conn, a, false).await?.into_response(false))
}

/// Change a planned activity: time, place, deputies, topic, publication. The result must still
/// be a complete plan (三落实); publishing it, or moving it while published, needs the
/// committee's `publish_days_ahead`. Each change goes on the activity's timeline; a published
/// activity's new time shows on the public schedule and in the iCalendar feed (same UID,
/// higher SEQUENCE).
#[utoipa::path(
    tag = "activities",
    operation_id = "update_activity",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    request_body = UpdateActivity,
    responses(
        (status = 200, description = "The activity now; the ETag header carries the version", body = ActivityView),
        (status = 409, description = "Not planned (held or cancelled already)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Incomplete plan (`work_plan_incomplete`) or invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_activity(
    authed: Authed,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateActivity>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let body = body.0;
    let updated = crate::db::in_transaction(&mut conn, async |conn| {
        super::changes::update(conn, &caller, *id, &if_match, body.clone()).await
    })
    .await?;
    Ok(respond(&mut conn, updated, false)
        .await?
        .into_response(false))
}

/// The activity's timeline: planned, each change (with what it was and is), held or cancelled.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activity_events",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "The timeline, oldest first", body = ActivityEventList)),
)]
#[get("/{id}/events")]
#[tracing::instrument(skip_all)]
pub async fn list_activity_events(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ActivityEventList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let a = model::find_visible(&mut conn, &caller, *id).await?;
    let items = model::events_of(&mut conn, a.id)
        .await?
        .into_iter()
        .map(|(id, action, at, actor_id, payload)| ActivityEventView {
            id,
            action,
            at: crate::calendar::to_local(at),
            actor_id,
            payload,
        })
        .collect();
    Ok(web::Json(ActivityEventList { items }))
}

/// Confirm a deputy's declared activity: it becomes planned, to be held like any plan.
#[utoipa::path(
    tag = "activities",
    operation_id = "confirm_activity",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    responses(
        (status = 200, description = "The activity, planned", body = ActivityView),
        (status = 409, description = "Not a declaration waiting for confirmation", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/confirm")]
#[tracing::instrument(skip_all)]
pub async fn confirm_activity(
    authed: Authed,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let confirmed = crate::db::in_transaction(&mut conn, async |conn| {
        super::declarations::confirm(conn, &caller, *id, &if_match).await
    })
    .await?;
    Ok(respond(&mut conn, confirmed, false)
        .await?
        .into_response(false))
}

/// Reject a deputy's declared activity, saying why; it never counts.
#[utoipa::path(
    tag = "activities",
    operation_id = "reject_activity",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    request_body = CancelActivity,
    responses(
        (status = 200, description = "The activity, rejected", body = ActivityView),
        (status = 409, description = "Not a declaration waiting for confirmation", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/reject")]
#[tracing::instrument(skip_all)]
pub async fn reject_activity(
    authed: Authed,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<CancelActivity>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let reason = body.0.reason;
    let rejected = crate::db::in_transaction(&mut conn, async |conn| {
        super::declarations::reject(conn, &caller, *id, &if_match, &reason).await
    })
    .await?;
    Ok(respond(&mut conn, rejected, false)
        .await?
        .into_response(false))
}

/// Record a planned activity as held: the deputies present, voters met, a summary and the
/// reception registrations. Every issue a visitor raised becomes an opinion linked to the
/// activity, in the same transaction: if one is invalid, nothing is recorded.
#[utoipa::path(
    tag = "activities",
    operation_id = "hold_activity",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    request_body = HoldActivity,
    responses(
        (status = 200, description = "The activity, held", body = ActivityView),
        (status = 409, description = "Not planned (held or cancelled already)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/hold")]
#[tracing::instrument(skip_all)]
pub async fn hold_activity(
    kept: web::Data<crate::committees::kept_policies::KeptPolicies>,
    authed: Authed,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<HoldActivity>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let body = body.0;
    body.check_sizes()?;
    let held = crate::db::in_transaction(&mut conn, async |conn| {
        workflow::hold(conn, &caller, &kept, *id, &if_match, body.clone()).await
    })
    .await?;
    Ok(respond(&mut conn, held, false).await?.into_response(false))
}

/// Call off a planned activity, with the reason. A meeting request it answered is cancelled
/// with it.
#[utoipa::path(
    tag = "activities",
    operation_id = "cancel_activity",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    request_body = CancelActivity,
    responses(
        (status = 200, description = "The activity, cancelled", body = ActivityView),
        (status = 409, description = "Not planned (held or cancelled already)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/cancel")]
#[tracing::instrument(skip_all)]
pub async fn cancel_activity(
    authed: Authed,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<CancelActivity>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageActivities)?;
    let reason = body.0.reason;
    let cancelled = crate::db::in_transaction(&mut conn, async |conn| {
        workflow::cancel(conn, &caller, *id, &if_match, &reason).await
    })
    .await?;
    Ok(respond(&mut conn, cancelled, false)
        .await?
        .into_response(false))
}

/// The reception registrations (接访登记) of an activity, with the opinions made from each.
/// Phones are in full for staff, masked for deputies.
#[utoipa::path(
    tag = "activities",
    operation_id = "list_activity_registrations",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "The registrations", body = RegistrationList)),
)]
#[get("/{id}/registrations")]
#[tracing::instrument(skip_all)]
pub async fn list_registrations(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<RegistrationList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadActivities)?;
    let a = model::find_visible(&mut conn, &caller, *id).await?;
    let full = access::activities::sees_visitor_phones(&caller);
    let items = model::registrations_of(&mut conn, a.id)
        .await?
        .into_iter()
        .map(|(r, opinions)| RegistrationView::new(r, opinions, full))
        .collect();
    Ok(web::Json(RegistrationList { items }))
}

/// Evaluate a deputy's report to voters (述职): a voter of the deputy's constituency once, or
/// staff recording a paper form. Answers the report with its counts.
#[utoipa::path(
    tag = "activities",
    operation_id = "evaluate_activity",
    params(("id" = Uuid, Path, description = "Activity id of a held annual report")),
    request_body = EvaluationRequest,
    responses(
        (status = 201, description = "Recorded; the report with its counts", body = ActivityView),
        (status = 409, description = "Not a held report, or you evaluated it already", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/evaluations")]
#[tracing::instrument(skip_all)]
pub async fn evaluate_activity(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<EvaluationRequest>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::EvaluateReports)?;
    let rating = body.0.rating;
    let a = crate::db::in_transaction(&mut conn, async |conn| {
        super::evaluations::evaluate(conn, &caller, *id, rating).await
    })
    .await?;
    // An evaluation is created; the answer is the report it belongs to, which is where
    // `Location` points (an evaluation has no address of its own).
    let report = a.id;
    let mut response = respond(&mut conn, a, false).await?;
    response.status = 201;
    response.location = Some(format!("/api/v1/activities/{report}"));
    Ok(response.into_response(false))
}
