use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{Duration, Utc};
use uuid::Uuid;

use super::dto::{
    CreateServiceClient, ServiceClientCredentials, ServiceClientQuery, ServiceClientView,
    UpdateServiceClient,
};
use super::{model, secrets};
use crate::access::{self, Action, Authed};
use crate::error::ApiResult;
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;

/// How long a rotated-out secret keeps working, so a client can roll its configuration over.
pub const ROTATION_GRACE_HOURS: i64 = 24;

/// Register a service client. The secret is in this answer only; keep it safe.
#[utoipa::path(
    tag = "service-clients",
    operation_id = "create_service_client",
    request_body = CreateServiceClient,
    responses(
        (status = 201, description = "Created, with its secret (shown once)", body = ServiceClientCredentials),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_service_client(
    authed: Authed,
    body: ValidJson<CreateServiceClient>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageServiceClients)?;
    let body = body.0;
    access::accounts::check_bind_service_client(&caller, body.committee_id)?;
    if let Some(committee) = body.committee_id {
        crate::committees::model::attachable(&mut conn, &caller, committee, "committee_id").await?;
    }
    let client_id = secrets::new_client_id();
    let secret = secrets::new_secret();
    let created = model::insert(
        &mut conn,
        model::NewClient {
            client_id: &client_id,
            name: body.name.trim(),
            scopes: body.scopes,
            committee_id: body.committee_id,
            secret_sha256: secrets::digest(&secret),
            created_by: caller.account_id,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/service-clients/{}", created.id),
        ))
        .json(ServiceClientCredentials {
            client: created.into(),
            client_secret: secret,
        }))
}

/// Service clients you manage (revoked ones are gone from the list).
#[utoipa::path(
    tag = "service-clients",
    operation_id = "list_service_clients",
    params(ServiceClientQuery),
    responses((status = 200, description = "A page of clients", body = Page<ServiceClientView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_service_clients(
    authed: Authed,
    query: web::Query<ServiceClientQuery>,
) -> ApiResult<web::Json<Page<ServiceClientView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageServiceClients)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |c| c.id,
        ServiceClientView::from,
    )))
}

/// One service client you manage (never its secret).
#[utoipa::path(
    tag = "service-clients",
    operation_id = "get_service_client",
    params(("id" = Uuid, Path, description = "Service client id")),
    responses((status = 200, description = "The client", body = ServiceClientView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_service_client(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ServiceClientView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageServiceClients)?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Rename a client or change its scopes; its tokens lose removed scopes at once.
#[utoipa::path(
    tag = "service-clients",
    operation_id = "update_service_client",
    params(("id" = Uuid, Path, description = "Service client id")),
    request_body = UpdateServiceClient,
    responses((status = 200, description = "Updated", body = ServiceClientView)),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_service_client(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateServiceClient>,
) -> ApiResult<web::Json<ServiceClientView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageServiceClients)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let body = body.0;
    let name = body.name.as_deref().map(str::trim);
    let updated = model::update(&mut conn, current, name, body.scopes).await?;
    Ok(web::Json(updated.into()))
}

/// A new secret, shown once. The one it replaces keeps working for 24 hours, so the client
/// can switch without a gap.
#[utoipa::path(
    tag = "service-clients",
    operation_id = "rotate_service_client_secret",
    params(("id" = Uuid, Path, description = "Service client id")),
    responses((status = 200, description = "The new secret (shown once)", body = ServiceClientCredentials)),
)]
#[post("/{id}/rotate-secret")]
#[tracing::instrument(skip_all)]
pub async fn rotate_service_client_secret(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ServiceClientCredentials>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageServiceClients)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let secret = secrets::new_secret();
    let grace = Utc::now() + Duration::hours(ROTATION_GRACE_HOURS);
    let rotated = model::rotate(&mut conn, current.id, secrets::digest(&secret), grace).await?;
    Ok(web::Json(ServiceClientCredentials {
        client: rotated.into(),
        client_secret: secret,
    }))
}

/// Revoke a client: its tokens stop working at once and its secrets never sign in again.
#[utoipa::path(
    tag = "service-clients",
    operation_id = "delete_service_client",
    params(("id" = Uuid, Path, description = "Service client id")),
    responses((status = 204, description = "Revoked")),
)]
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_service_client(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageServiceClients)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    model::revoke(&mut conn, current.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
