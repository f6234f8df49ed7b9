use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::dto::{
    CreateLiaisonGroup, LiaisonGroupListQuery, LiaisonGroupView, PublicStationListQuery,
    PublicStationView, UpdateLiaisonGroup,
};
use super::model::{self, LiaisonGroupChanges, ListFilter, NewLiaisonGroup};
use crate::access::{self, Action, Authed};
use crate::committees;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;
use crate::state::AppState;

fn name_taken(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "liaison_groups_committee_name_key",
        ErrorCode::AlreadyExists,
        "this committee already has a liaison group with this name",
    )
}

/// Create a liaison group, home or station under a committee in your scope.
#[utoipa::path(
    tag = "liaison-groups",
    operation_id = "create_liaison_group",
    request_body = CreateLiaisonGroup,
    responses(
        (status = 201, description = "Created", body = LiaisonGroupView),
        (status = 409, description = "The committee already has a group of this name", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_liaison_group(
    authed: Authed,
    body: ValidJson<CreateLiaisonGroup>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageLiaisonGroups)?;
    let body = body.0;
    committees::model::attachable(&mut conn, &caller, body.committee_id, "committee_id").await?;
    let id = Uuid::now_v7();
    let officers: Vec<String> = body
        .liaison_officers
        .iter()
        .map(|n| n.trim().to_owned())
        .collect();
    let created = model::insert(
        &mut conn,
        NewLiaisonGroup {
            id,
            committee_id: body.committee_id,
            kind: body.kind,
            name: body.name.trim(),
            address: body.address.trim(),
            opening_hours: body.opening_hours.as_deref().map(str::trim),
            head_name: body.head_name.as_deref().map(str::trim),
            liaison_officers: &officers,
        },
    )
    .await
    .map_err(name_taken)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/liaison-groups/{id}")))
        .json(LiaisonGroupView::from(created)))
}

/// List liaison groups in your scope.
#[utoipa::path(
    tag = "liaison-groups",
    operation_id = "list_liaison_groups",
    params(LiaisonGroupListQuery),
    responses((status = 200, description = "A page of liaison groups", body = Page<LiaisonGroupView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_liaison_groups(
    authed: Authed,
    query: web::Query<LiaisonGroupListQuery>,
) -> ApiResult<web::Json<Page<LiaisonGroupView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadLiaisonGroups)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = ListFilter {
        kinds: query.kind.map(|k| vec![k.as_str()]),
        committee_id: query.committee_id,
        within: query.within,
        q: query.q.as_deref(),
    };
    let rows = model::list_visible(&mut conn, &caller, &filter, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |g| g.id,
        LiaisonGroupView::from,
    )))
}

/// Get a liaison group.
#[utoipa::path(
    tag = "liaison-groups",
    operation_id = "get_liaison_group",
    params(("id" = Uuid, Path, description = "Liaison group id")),
    responses((status = 200, description = "The liaison group", body = LiaisonGroupView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_liaison_group(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<LiaisonGroupView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadLiaisonGroups)?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Update a liaison group. Group staff may edit their own group's details but not move it.
#[utoipa::path(
    tag = "liaison-groups",
    operation_id = "update_liaison_group",
    params(("id" = Uuid, Path, description = "Liaison group id")),
    request_body = UpdateLiaisonGroup,
    responses(
        (status = 200, description = "Updated", body = LiaisonGroupView),
        (status = 409, description = "The committee already has a group of this name", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_liaison_group(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateLiaisonGroup>,
) -> ApiResult<web::Json<LiaisonGroupView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::EditLiaisonGroups)?;
    let body = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    if let Some(committee_id) = body.committee_id.filter(|c| *c != current.committee_id) {
        access::tree::check_move_liaison_group(&caller)?;
        committees::model::attachable(&mut conn, &caller, committee_id, "committee_id").await?;
    }
    if let Some(head) = body.head_representative_id.flatten() {
        model::check_head(&mut conn, current.id, head).await?;
    }
    let officer_accounts: Option<Vec<Uuid>> = body.officer_account_ids.as_ref().map(|ids| {
        let mut ids = ids.clone();
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    if let Some(ids) = &officer_accounts {
        model::check_officers(&mut conn, current.id, ids, "officer_account_ids").await?;
    }
    let officers: Option<Vec<String>> = body
        .liaison_officers
        .as_ref()
        .map(|list| list.iter().map(|n| n.trim().to_owned()).collect());
    let updated = model::update(
        &mut conn,
        current.id,
        LiaisonGroupChanges {
            committee_id: body.committee_id,
            kind: body.kind,
            name: body.name.as_deref().map(str::trim),
            address: body.address.as_deref().map(str::trim),
            opening_hours: body
                .opening_hours
                .as_ref()
                .map(|o| o.as_deref().map(str::trim)),
            head_name: body.head_name.as_ref().map(|o| o.as_deref().map(str::trim)),
            liaison_officers: officers.as_deref(),
            head_representative_id: body.head_representative_id,
            officer_account_ids: officer_accounts.as_deref(),
        },
    )
    .await
    .map_err(name_taken)?;
    Ok(web::Json(updated.into()))
}

/// Delete a liaison group nothing refers to any more; otherwise 409.
#[utoipa::path(
    tag = "liaison-groups",
    operation_id = "delete_liaison_group",
    params(("id" = Uuid, Path, description = "Liaison group id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Still in use", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_liaison_group(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageLiaisonGroups)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    model::delete(&mut conn, current.id).await.map_err(|e| {
        ApiError::on_delete(e, "accounts or records still refer to this liaison group")
    })?;
    Ok(HttpResponse::NoContent().finish())
}

/// Public list of homes and stations: name, address and opening hours. No sign-in, and no
/// names of the people who run them.
#[utoipa::path(
    tag = "public",
    operation_id = "list_public_stations",
    params(PublicStationListQuery),
    responses((status = 200, description = "A page of homes and stations", body = Page<PublicStationView>)),
    security(()),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_public_stations(
    state: web::Data<AppState>,
    query: web::Query<PublicStationListQuery>,
) -> ApiResult<web::Json<Page<PublicStationView>>> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = ListFilter {
        kinds: Some(vec!["home", "station"]),
        committee_id: None,
        within: query.committee_id,
        q: query.q.as_deref(),
    };
    let mut conn = state.db().await?;
    let rows = model::list_public(&mut conn, &filter, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |g| g.id,
        PublicStationView::from,
    )))
}
