use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::dto::{CreateHandlingBody, HandlingBodyListQuery, HandlingBodyView, UpdateHandlingBody};
use super::model::{self, HandlingBodyChanges, NewHandlingBody};
use crate::access::{Action, Authed};
use crate::committees;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;

fn name_taken(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "handling_bodies_committee_name_key",
        ErrorCode::AlreadyExists,
        "this committee already has a handling body with this name",
    )
}

/// Create a handling body serving a committee in your scope.
#[utoipa::path(
    tag = "handling-bodies",
    operation_id = "create_handling_body",
    request_body = CreateHandlingBody,
    responses(
        (status = 201, description = "Created", body = HandlingBodyView),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_handling_body(
    authed: Authed,
    body: ValidJson<CreateHandlingBody>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageHandlingBodies)?;
    let body = body.0;
    committees::model::attachable(&mut conn, &caller, body.committee_id, "committee_id").await?;
    let id = Uuid::now_v7();
    let created = model::insert(
        &mut conn,
        NewHandlingBody {
            id,
            name: body.name.trim(),
            kind: body.kind,
            committee_id: body.committee_id,
            contact: body.contact.as_deref().map(str::trim),
        },
    )
    .await
    .map_err(name_taken)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/handling-bodies/{id}")))
        .json(HandlingBodyView::from(created)))
}

/// List handling bodies in your scope (a handling-body account sees its own).
#[utoipa::path(
    tag = "handling-bodies",
    operation_id = "list_handling_bodies",
    params(HandlingBodyListQuery),
    responses((status = 200, description = "A page of handling bodies", body = Page<HandlingBodyView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_handling_bodies(
    authed: Authed,
    query: web::Query<HandlingBodyListQuery>,
) -> ApiResult<web::Json<Page<HandlingBodyView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadHandlingBodies)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |b| b.id,
        HandlingBodyView::from,
    )))
}

/// Get a handling body: one in your scope, or one above it that your opinions may be referred
/// to.
#[utoipa::path(
    tag = "handling-bodies",
    operation_id = "get_handling_body",
    params(("id" = Uuid, Path, description = "Handling body id")),
    responses((status = 200, description = "The handling body", body = HandlingBodyView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_handling_body(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<HandlingBodyView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadHandlingBodies)?;
    Ok(web::Json(
        model::find_readable(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Update a handling body.
#[utoipa::path(
    tag = "handling-bodies",
    operation_id = "update_handling_body",
    params(("id" = Uuid, Path, description = "Handling body id")),
    request_body = UpdateHandlingBody,
    responses(
        (status = 200, description = "Updated", body = HandlingBodyView),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_handling_body(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateHandlingBody>,
) -> ApiResult<web::Json<HandlingBodyView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageHandlingBodies)?;
    let body = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let updated = model::update(
        &mut conn,
        current.id,
        HandlingBodyChanges {
            name: body.name.as_deref().map(str::trim),
            kind: body.kind,
            contact: body.contact.as_ref().map(|c| c.as_deref().map(str::trim)),
        },
    )
    .await
    .map_err(name_taken)?;
    Ok(web::Json(updated.into()))
}

/// Delete a handling body nothing refers to; otherwise 409.
#[utoipa::path(
    tag = "handling-bodies",
    operation_id = "delete_handling_body",
    params(("id" = Uuid, Path, description = "Handling body id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Still in use", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_handling_body(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageHandlingBodies)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    model::delete(&mut conn, current.id).await.map_err(|e| {
        ApiError::on_delete(e, "accounts or records still refer to this handling body")
    })?;
    Ok(HttpResponse::NoContent().finish())
}
