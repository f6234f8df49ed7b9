use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::CommitteeKind;
use super::dto::{CommitteeListQuery, CommitteeView, CreateCommittee, PolicyView, UpdateCommittee};
use super::model::{self, CommitteeChanges, NewCommittee};
use super::policy::OwnPolicy;
use crate::access::{self, Action, Authed};
use crate::db::schema::committee_policies;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;

fn name_taken(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "committees_sibling_name_key",
        ErrorCode::AlreadyExists,
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
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_committee(
    authed: Authed,
    body: ValidJson<CreateCommittee>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageCommittees)?;
    let body = body.0;
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
        None => access::tree::check_create_root_committee(&caller)?,
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
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_committees(
    authed: Authed,
    query: web::Query<CommitteeListQuery>,
) -> ApiResult<web::Json<Page<CommitteeView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadCommittees)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
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
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_committee(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CommitteeView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadCommittees)?;
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
        (status = 409, description = "A sibling has the same name; or the move would put it under its own subtree, or leave a committee that is not a Standing Committee without a parent", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_committee(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateCommittee>,
) -> ApiResult<web::Json<CommitteeView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageCommittees)?;
    let body = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    access::tree::check_manage_committee(&caller, &current.ancestors)?;
    match body.parent_id {
        Some(Some(parent_id)) => {
            let parent = model::attachable(&mut conn, &caller, parent_id, "parent_id").await?;
            if parent.ancestors.contains(&current.id) {
                return Err(ApiError::conflict(
                    ErrorCode::ConflictsWithRecord,
                    "a committee cannot move under its own subtree",
                ));
            }
        }
        // Whether a committee may stand alone depends on its kind, which the request does
        // not carry: a conflict with the record, not a malformed request.
        Some(None) if current.kind != CommitteeKind::StandingCommittee => {
            return Err(ApiError::conflict(
                ErrorCode::ConflictsWithRecord,
                "only a Standing Committee stands without a parent_id",
            ));
        }
        Some(None) => access::tree::check_create_root_committee(&caller)?,
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
#[delete("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_committee(authed: Authed, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageCommittees)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    access::tree::check_manage_committee(&caller, &current.ancestors)?;
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
        effective: crate::committees::model::effective_policy(conn, &committee.ancestors).await?,
    })
}

/// The committee's rules: its own values and what applies after inheritance.
#[utoipa::path(
    tag = "committees",
    operation_id = "get_committee_policy",
    params(("id" = Uuid, Path, description = "Committee id")),
    responses((status = 200, description = "The policy", body = PolicyView)),
)]
#[get("/{id}/policy")]
#[tracing::instrument(skip_all)]
pub async fn get_policy(authed: Authed, id: web::Path<Uuid>) -> ApiResult<web::Json<PolicyView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadCommittees)?;
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
#[put("/{id}/policy")]
#[tracing::instrument(skip_all)]
pub async fn put_policy(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<OwnPolicy>,
) -> ApiResult<web::Json<PolicyView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageCommittees)?;
    let committee = model::find_visible(&mut conn, &caller, *id).await?;
    // Rules bind the committee that sets them: a committee's own staff may not relax them.
    access::tree::check_manage_committee(&caller, &committee.ancestors)?;
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
