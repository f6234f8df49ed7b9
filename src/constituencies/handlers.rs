use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::dto::{
    ConstituencyListQuery, ConstituencyView, CreateConstituency, PublicConstituencyView,
    UpdateConstituency,
};
use super::model::{self, ConstituencyChanges, NewConstituency};
use crate::access::{Action, Authed};
use crate::committees;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;
use crate::state::AppState;

fn code_taken(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "constituencies_code_key",
        ErrorCode::AlreadyExists,
        "a constituency with this code already exists",
    )
}

/// Create a constituency under a working committee or township in your scope.
#[utoipa::path(
    tag = "constituencies",
    operation_id = "create_constituency",
    request_body = CreateConstituency,
    responses(
        (status = 201, description = "Created", body = ConstituencyView),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_constituency(
    authed: Authed,
    body: ValidJson<CreateConstituency>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageConstituencies)?;
    let body = body.0;
    let committee =
        committees::model::attachable(&mut conn, &caller, body.committee_id, "committee_id")
            .await?;
    if !matches!(committee.kind.as_str(), "working_committee" | "township") {
        return Err(ApiError::invalid_field(
            "committee_id",
            "no such working committee or township in your scope",
        ));
    }
    let id = Uuid::now_v7();
    let created = model::insert(
        &mut conn,
        NewConstituency {
            id,
            committee_id: body.committee_id,
            name: body.name.trim(),
            code: body.code.trim(),
            area: body.area.as_deref().map(str::trim),
        },
    )
    .await
    .map_err(code_taken)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/constituencies/{id}")))
        .json(ConstituencyView::from(created)))
}

/// List constituencies in your scope.
#[utoipa::path(
    tag = "constituencies",
    operation_id = "list_constituencies",
    params(ConstituencyListQuery),
    responses((status = 200, description = "A page of constituencies", body = Page<ConstituencyView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_constituencies(
    authed: Authed,
    query: web::Query<ConstituencyListQuery>,
) -> ApiResult<web::Json<Page<ConstituencyView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadConstituencies)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |c| c.id,
        ConstituencyView::from,
    )))
}

/// Get a constituency.
#[utoipa::path(
    tag = "constituencies",
    operation_id = "get_constituency",
    params(("id" = Uuid, Path, description = "Constituency id")),
    responses((status = 200, description = "The constituency", body = ConstituencyView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_constituency(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ConstituencyView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadConstituencies)?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Update a constituency.
#[utoipa::path(
    tag = "constituencies",
    operation_id = "update_constituency",
    params(("id" = Uuid, Path, description = "Constituency id")),
    request_body = UpdateConstituency,
    responses(
        (status = 200, description = "Updated", body = ConstituencyView),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_constituency(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateConstituency>,
) -> ApiResult<web::Json<ConstituencyView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageConstituencies)?;
    let body = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let updated = model::update(
        &mut conn,
        current.id,
        ConstituencyChanges {
            name: body.name.as_deref().map(str::trim),
            code: body.code.as_deref().map(str::trim),
            area: body.area.as_ref().map(|a| a.as_deref().map(str::trim)),
        },
    )
    .await
    .map_err(code_taken)?;
    Ok(web::Json(updated.into()))
}

/// Delete a constituency no deputy or voter belongs to; otherwise 409.
#[utoipa::path(
    tag = "constituencies",
    operation_id = "delete_constituency",
    params(("id" = Uuid, Path, description = "Constituency id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Still in use", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_constituency(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageConstituencies)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    model::delete(&mut conn, current.id).await.map_err(|e| {
        ApiError::on_delete(e, "deputies or voters still belong to this constituency")
    })?;
    Ok(HttpResponse::NoContent().finish())
}

/// Public list of constituencies (name, code, area), e.g. for voters registering.
#[utoipa::path(
    tag = "public",
    operation_id = "list_public_constituencies",
    params(ConstituencyListQuery),
    responses((status = 200, description = "A page of constituencies", body = Page<PublicConstituencyView>)),
    security(()),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_public_constituencies(
    state: web::Data<AppState>,
    query: web::Query<ConstituencyListQuery>,
) -> ApiResult<web::Json<Page<PublicConstituencyView>>> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut conn = state.db().await?;
    let rows = model::list_public(&mut conn, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |c| c.id,
        PublicConstituencyView::from,
    )))
}
