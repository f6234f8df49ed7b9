use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::deliveries::{self, DeliveryState};
use super::dto::{
    CreateWebhook, DeliveryView, UpdateWebhook, WebhookQuery, WebhookView, WebhookWithSecret,
};
use super::model::{self, EndpointChanges};
use super::{guard, signing};
use crate::access::Authed;
use crate::access::webhooks::check_manage_webhooks;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;
use crate::state::AppState;

async fn checked_url(state: &AppState, url: &str) -> ApiResult<String> {
    guard::check_url(url, state.settings.webhooks.allow_private)
        .await
        .map(|u| u.to_string())
        .map_err(|why| ApiError::invalid_field("url", why))
}

/// Register an endpoint. It receives every change after now that you could read from the
/// changes feed (narrowed by `event_types`), POSTed as Standard Webhooks signed with the
/// `secret` in this answer, which is shown once.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Created, with its signing secret (shown once)", body = WebhookWithSecret),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_webhook(
    authed: Authed,
    state: web::Data<AppState>,
    body: ValidJson<CreateWebhook>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let body = body.0;
    let event_types = match &body.event_types {
        Some(types) => Some(model::parse_event_types(types, "event_types")?),
        None => None,
    };
    let url = checked_url(&state, &body.url).await?;
    let secret = signing::new_secret();
    let sealed = signing::sealer(&state.settings.pii_key).seal(secret.as_bytes());
    let created = model::insert(
        &mut conn,
        &caller,
        model::NewEndpoint {
            url: &url,
            description: body.description.as_deref().unwrap_or("").trim(),
            event_types,
            secret_sealed: sealed,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/webhooks/{}", created.id)))
        .json(WebhookWithSecret {
            webhook: created.into(),
            secret,
        }))
}

/// Endpoints you manage, oldest first.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhooks",
    params(WebhookQuery),
    responses((status = 200, description = "A page of endpoints", body = Page<WebhookView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_webhooks(
    authed: Authed,
    query: web::Query<WebhookQuery>,
) -> ApiResult<web::Json<Page<WebhookView>>> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |e| e.id,
        WebhookView::from,
    )))
}

/// One endpoint you manage (never its secret).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = Uuid, Path, description = "Webhook endpoint id")),
    responses((status = 200, description = "The endpoint", body = WebhookView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_webhook(authed: Authed, id: web::Path<Uuid>) -> ApiResult<web::Json<WebhookView>> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Change an endpoint's URL, types or description, or switch it off and on. Switching a
/// disabled endpoint on resumes its pending deliveries; failed ones wait for a retry.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "update_webhook",
    params(("id" = Uuid, Path, description = "Webhook endpoint id")),
    request_body = UpdateWebhook,
    responses((status = 200, description = "Updated", body = WebhookView)),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_webhook(
    authed: Authed,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateWebhook>,
) -> ApiResult<web::Json<WebhookView>> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let body = body.0;
    let event_types = match &body.event_types {
        Some(Some(types)) => Some(Some(model::parse_event_types(types, "event_types")?)),
        Some(None) => Some(None),
        None => None,
    };
    let url = match &body.url {
        Some(url) => Some(checked_url(&state, url).await?),
        None => None,
    };
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let changes = EndpointChanges {
        url,
        event_types,
        description: body.description.map(|d| d.trim().to_owned()),
        enabled: body.enabled,
    };
    Ok(web::Json(
        model::update(&mut conn, current, changes).await?.into(),
    ))
}

/// Delete an endpoint with its deliveries; nothing more is sent to it.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = Uuid, Path, description = "Webhook endpoint id")),
    responses((status = 204, description = "Deleted")),
)]
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_webhook(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    model::delete(&mut conn, current.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn refuse_if_disabled(endpoint: &model::Endpoint) -> ApiResult<()> {
    if endpoint.enabled {
        return Ok(());
    }
    Err(ApiError::conflict(
        ErrorCode::ConflictsWithRecord,
        "the endpoint is switched off: switch it on (PATCH enabled=true) first",
    ))
}

/// Send the endpoint a `ping` now, signed like every delivery; follow it in the deliveries.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "test_webhook",
    params(("id" = Uuid, Path, description = "Webhook endpoint id")),
    responses(
        (status = 202, description = "Queued, due at once", body = DeliveryView),
        (status = 409, description = "The endpoint is switched off", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/test")]
#[tracing::instrument(skip_all)]
pub async fn test_webhook(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let endpoint = model::find_visible(&mut conn, &caller, *id).await?;
    refuse_if_disabled(&endpoint)?;
    let ping = deliveries::enqueue_ping(&mut conn, endpoint.id).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::new(ping, Vec::new())))
}

/// What was sent to the endpoint, newest first, each with every attempt.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(("id" = Uuid, Path, description = "Webhook endpoint id"), WebhookQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<DeliveryView>)),
)]
#[get("/{id}/deliveries")]
#[tracing::instrument(skip_all)]
pub async fn list_webhook_deliveries(
    authed: Authed,
    id: web::Path<Uuid>,
    query: web::Query<WebhookQuery>,
) -> ApiResult<web::Json<Page<DeliveryView>>> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let endpoint = model::find_visible(&mut conn, &caller, *id).await?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = deliveries::list(&mut conn, endpoint.id, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |(d, _)| d.id,
        |(d, attempts)| DeliveryView::new(d, attempts),
    )))
}

/// Send a delivery again now, with the same `webhook-id`, and put it back on the retry
/// schedule from the start (a delivered one too: the receiver drops what it has seen).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "retry_webhook_delivery",
    params(
        ("id" = Uuid, Path, description = "Webhook endpoint id"),
        ("delivery_id" = Uuid, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "Due at once", body = DeliveryView),
        (status = 409, description = "The endpoint is switched off", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/deliveries/{delivery_id}/retry")]
#[tracing::instrument(skip_all)]
pub async fn retry_webhook_delivery(
    authed: Authed,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    check_manage_webhooks(&caller)?;
    let (id, delivery_id) = path.into_inner();
    let endpoint = model::find_visible(&mut conn, &caller, id).await?;
    let delivery = deliveries::find(&mut conn, endpoint.id, delivery_id).await?;
    refuse_if_disabled(&endpoint)?;
    let retried = deliveries::retry(&mut conn, &delivery).await?;
    debug_assert_eq!(retried.state, DeliveryState::Pending);
    Ok(HttpResponse::Accepted().json(DeliveryView::new(retried, Vec::new())))
}
