use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::CommitteeKind;
use super::dto::{CommitteeListQuery, CommitteeView, CreateCommittee, PolicyView, UpdateCommittee};
use super::model::{self, CommitteeChanges, NewCommittee};
use super::policy::{self, OwnPolicy};
use crate::db::schema::committee_policies;
use crate::error::{ApiError, ApiResult, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;
use crate::scope::{self, Action, Caller};
use crate::state::AppState;

fn name_taken(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "committees_sibling_name_key",
        "already_exists",
        "a committee with this name already exists under the same parent",
    )
}

/// Create a committee.
///
/// Admins create root (standing) committees; committee staff create committees inside their
/// own subtree.
#[utoipa::path(
    tag = "committees",
    operation_id = "create_committee",
    request_body = CreateCommittee,
    responses(
        (status = 201, description = "Created", body = CommitteeView),
        (status = 409, description = "A sibling has the same name", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/committees")]
pub async fn create_committee(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<CreateCommittee>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ManageCommittees)?;
    let body = body.0;
    let mut conn = state.pool.get().await?;
    match body.parent_id {
        Some(parent_id) => {
            model::attachable(&mut conn, &caller, parent_id, "parent_id").await?;
        }
        None if body.kind != CommitteeKind::StandingCommittee => {
            return Err(ApiError::invalid_field(
                "parent_id",
                "is required for this kind of committee",
            ));
        }
        None if !scope::may_create_root_committee(&caller) => {
            return Err(ApiError::forbidden(
                "only admins create top-level committees",
            ));
        }
        None => {}
    }
    let id = Uuid::now_v7();
    let created = model::insert(
        &mut conn,
        NewCommittee {
            id,
            name: body.name.trim(),
            kind: body.kind,
            parent_id: body.parent_id,
            ancestors: vec![id],
        },
    )
    .await
    .map_err(name_taken)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/committees/{id}")))
        .json(CommitteeView::from(created)))
}

/// List committees in your scope.
#[utoipa::path(
    tag = "committees",
    operation_id = "list_committees",
    params(CommitteeListQuery),
    responses((status = 200, description = "A page of committees", body = Page<CommitteeView>)),
)]
#[get("/committees")]
pub async fn list_committees(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<CommitteeListQuery>,
) -> ApiResult<web::Json<Page<CommitteeView>>> {
    caller.require(Action::ReadCommittees)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut conn = state.pool.get().await?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |c| c.id,
        CommitteeView::from,
    )))
}

/// Get a committee.
#[utoipa::path(
    tag = "committees",
    operation_id = "get_committee",
    params(("id" = Uuid, Path, description = "Committee id")),
    responses((status = 200, description = "The committee", body = CommitteeView)),
)]
#[get("/committees/{id}")]
pub async fn get_committee(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CommitteeView>> {
    caller.require(Action::ReadCommittees)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        model::find_visible(&mut conn, &caller, *id).await?.into(),
    ))
}

/// Rename or move a committee.
///
/// Committee staff may change committees strictly below their own; moving takes the whole
/// subtree along, and a committee cannot move under its own descendant.
#[utoipa::path(
    tag = "committees",
    operation_id = "update_committee",
    params(("id" = Uuid, Path, description = "Committee id")),
    request_body = UpdateCommittee,
    responses(
        (status = 200, description = "Updated", body = CommitteeView),
        (status = 409, description = "A sibling has the same name", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/committees/{id}")]
pub async fn update_committee(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateCommittee>,
) -> ApiResult<web::Json<CommitteeView>> {
    caller.require(Action::ManageCommittees)?;
    let body = body.0;
    let mut conn = state.pool.get().await?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    if !scope::may_manage_committee(&caller, &current.ancestors) {
        return Err(ApiError::forbidden("you may not change this committee"));
    }
    match body.parent_id {
        Some(Some(parent_id)) => {
            let parent = model::attachable(&mut conn, &caller, parent_id, "parent_id").await?;
            if parent.ancestors.contains(&current.id) {
                return Err(ApiError::invalid_field(
                    "parent_id",
                    "a committee cannot move under its own subtree",
                ));
            }
        }
        Some(None) if current.kind != CommitteeKind::StandingCommittee => {
            return Err(ApiError::invalid_field(
                "parent_id",
                "is required for this kind of committee",
            ));
        }
        Some(None) if !scope::may_create_root_committee(&caller) => {
            return Err(ApiError::forbidden("only admins make top-level committees"));
        }
        _ => {}
    }
    let updated = model::update(
        &mut conn,
        current.id,
        CommitteeChanges {
            name: body.name.as_deref().map(str::trim),
            parent_id: body.parent_id,
        },
    )
    .await
    .map_err(name_taken)?;
    Ok(web::Json(updated.into()))
}

/// Delete a committee that has nothing under it (no child committees, groups, handling bodies
/// or accounts); otherwise 409.
#[utoipa::path(
    tag = "committees",
    operation_id = "delete_committee",
    params(("id" = Uuid, Path, description = "Committee id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Still in use", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/committees/{id}")]
pub async fn delete_committee(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ManageCommittees)?;
    let mut conn = state.pool.get().await?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    if !scope::may_manage_committee(&caller, &current.ancestors) {
        return Err(ApiError::forbidden("you may not delete this committee"));
    }
    model::delete(&mut conn, current.id).await.map_err(|e| {
        ApiError::on_delete(
            e,
            "the committee still has committees, groups, handling bodies or accounts under it",
        )
    })?;
    Ok(HttpResponse::NoContent().finish())
}

async fn view(conn: &mut AsyncPgConnection, committee: &model::Committee) -> ApiResult<PolicyView> {
    let own: Option<OwnPolicy> = committee_policies::table
        .find(committee.id)
        .select(OwnPolicy::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(PolicyView {
        committee_id: committee.id,
        own: own.unwrap_or_default(),
        effective: policy::effective(conn, &committee.ancestors).await?,
    })
}

/// The committee's rules: its own values and what applies after inheritance.
#[utoipa::path(
    tag = "committees",
    operation_id = "get_committee_policy",
    params(("id" = Uuid, Path, description = "Committee id")),
    responses((status = 200, description = "The policy", body = PolicyView)),
)]
#[get("/committees/{id}/policy")]
pub async fn get_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<PolicyView>> {
    caller.require(Action::ReadCommittees)?;
    let mut conn = state.pool.get().await?;
    let committee = model::find_visible(&mut conn, &caller, *id).await?;
    Ok(web::Json(view(&mut conn, &committee).await?))
}

/// Set the committee's own rules; they apply to its whole subtree unless a committee below
/// sets its own. Committee staff set them for their committee and below.
#[utoipa::path(
    tag = "committees",
    operation_id = "put_committee_policy",
    params(("id" = Uuid, Path, description = "Committee id")),
    request_body = OwnPolicy,
    responses((status = 200, description = "The policy now", body = PolicyView)),
)]
#[put("/committees/{id}/policy")]
pub async fn put_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: ValidJson<OwnPolicy>,
) -> ApiResult<web::Json<PolicyView>> {
    caller.require(Action::ManageCommittees)?;
    let mut conn = state.pool.get().await?;
    let committee = model::find_visible(&mut conn, &caller, *id).await?;
    if !scope::may_attach_to_committee(&caller, &committee.ancestors) {
        return Err(ApiError::forbidden(
            "you may not set this committee's rules",
        ));
    }
    let own = body.0;
    diesel::insert_into(committee_policies::table)
        .values((committee_policies::committee_id.eq(committee.id), &own))
        .on_conflict(committee_policies::committee_id)
        .do_update()
        .set((&own, committee_policies::updated_at.eq(diesel::dsl::now)))
        .execute(&mut conn)
        .await?;
    Ok(web::Json(view(&mut conn, &committee).await?))
}
