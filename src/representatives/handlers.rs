use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::domain::Level;
use super::dto::{
    CreateRepresentative, NamedRef, PublicRepresentativeListQuery, PublicRepresentativeView,
    RepresentativeListQuery, RepresentativeView, UpdateRepresentative,
};
use super::model::{self, NewRepresentative, RepresentativeChanges};
use crate::access::{Action, Authed, Caller};
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::request::ValidJson;
use crate::state::AppState;
use crate::users::model::{BoundRecord, account_bound_to, accounts_bound_to};

fn duplicate(err: diesel::result::Error) -> ApiError {
    ApiError::on_unique(
        err,
        "representatives_natural_key",
        ErrorCode::AlreadyExists,
        "this group already has a deputy of this name in this term",
    )
}

/// The group and constituency a deputy is placed in must both be in the caller's scope.
pub async fn check_placement(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    group: Uuid,
    constituency: Option<Uuid>,
    level: Level,
) -> ApiResult<()> {
    crate::liaison_groups::model::find_visible(conn, caller, group)
        .await
        .map_err(|e| e.on_field("liaison_group_id", "no such liaison group"))?;
    match constituency {
        Some(c) => {
            crate::constituencies::model::find_visible(conn, caller, c)
                .await
                .map_err(|e| e.on_field("constituency_id", "no such constituency"))?;
        }
        None if level == Level::District => {
            return Err(ApiError::invalid_field(
                "constituency_id",
                "is required for district deputies",
            ));
        }
        None => {}
    }
    Ok(())
}

/// Register a deputy in a liaison group of your scope.
#[utoipa::path(
    tag = "representatives",
    operation_id = "create_representative",
    request_body = CreateRepresentative,
    responses(
        (status = 201, description = "Created", body = RepresentativeView),
        (status = 409, description = "Already registered", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_representative(
    authed: Authed,
    body: ValidJson<CreateRepresentative>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageRepresentatives)?;
    let b = body.0;
    check_placement(
        &mut conn,
        &caller,
        b.liaison_group_id,
        b.constituency_id,
        b.level,
    )
    .await?;
    let id = Uuid::now_v7();
    let created = model::insert(
        &mut conn,
        &NewRepresentative {
            id,
            name: b.name.trim().to_owned(),
            gender: b.gender,
            level: b.level,
            term: b.term,
            constituency_id: b.constituency_id,
            liaison_group_id: b.liaison_group_id,
            employer: b.employer.map(|s| s.trim().to_owned()),
            position: b.position.map(|s| s.trim().to_owned()),
            public_contact: b.public_contact.map(|s| s.trim().to_owned()),
            phone: b.phone.map(|p| p.as_str().to_owned()),
        },
    )
    .await
    .map_err(duplicate)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/representatives/{id}")))
        .json(RepresentativeView::for_caller(created, None, &caller)))
}

/// List deputies in your scope (a deputy sees their own profile).
#[utoipa::path(
    tag = "representatives",
    operation_id = "list_representatives",
    params(RepresentativeListQuery),
    responses((status = 200, description = "A page of deputies", body = Page<RepresentativeView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_representatives(
    authed: Authed,
    query: web::Query<RepresentativeListQuery>,
) -> ApiResult<web::Json<Page<RepresentativeView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadRepresentatives)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let accounts = accounts_bound_to(&mut conn, BoundRecord::Representative, &ids).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |r| r.id,
        |r| {
            let account = accounts.get(&r.id).copied();
            RepresentativeView::for_caller(r, account, &caller)
        },
    )))
}

/// Get a deputy.
#[utoipa::path(
    tag = "representatives",
    operation_id = "get_representative",
    params(("id" = Uuid, Path, description = "Representative id")),
    responses((status = 200, description = "The deputy", body = RepresentativeView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_representative(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<RepresentativeView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadRepresentatives)?;
    let rep = model::find_visible(&mut conn, &caller, *id).await?;
    let account = account_bound_to(&mut conn, BoundRecord::Representative, rep.id).await?;
    Ok(web::Json(RepresentativeView::for_caller(
        rep, account, &caller,
    )))
}

/// Update a deputy. A deputy who leaves office gets `status: left` (records are kept).
#[utoipa::path(
    tag = "representatives",
    operation_id = "update_representative",
    params(("id" = Uuid, Path, description = "Representative id")),
    request_body = UpdateRepresentative,
    responses(
        (status = 200, description = "Updated", body = RepresentativeView),
        (status = 409, description = "Conflicts with another deputy, or a district deputy would be left without a constituency", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_representative(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateRepresentative>,
) -> ApiResult<web::Json<RepresentativeView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageRepresentatives)?;
    let b = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let group = b.liaison_group_id.unwrap_or(current.liaison_group_id);
    let constituency = b.constituency_id.unwrap_or(current.constituency_id);
    let level = b.level.unwrap_or(current.level);
    // A district deputy left without a constituency conflicts with the record when the stored
    // level or constituency is what leaves it so (409); a body naming the district level and
    // no constituency is invalid by itself, as its schema says (422, below).
    let invalid_by_itself = b.level == Some(Level::District) && b.constituency_id == Some(None);
    if level == Level::District && constituency.is_none() && !invalid_by_itself {
        return Err(ApiError::conflict(
            ErrorCode::ConflictsWithRecord,
            "a district deputy needs a constituency: name one with the level, \
             or clear it only with a level that has none",
        ));
    }
    if b.liaison_group_id.is_some() || b.constituency_id.is_some() || b.level.is_some() {
        check_placement(&mut conn, &caller, group, constituency, level).await?;
    }
    let trimmed = |v: Option<Option<String>>| v.map(|o| o.map(|s| s.trim().to_owned()));
    let updated = model::update(
        &mut conn,
        current.id,
        RepresentativeChanges {
            name: b.name.map(|s| s.trim().to_owned()),
            gender: b.gender,
            level: b.level,
            term: b.term,
            constituency_id: b.constituency_id,
            liaison_group_id: b.liaison_group_id,
            employer: trimmed(b.employer),
            position: trimmed(b.position),
            public_contact: trimmed(b.public_contact),
            phone: b.phone.map(|o| o.map(|p| p.as_str().to_owned())),
            status: b.status,
        },
    )
    .await
    .map_err(duplicate)?;
    let account = account_bound_to(&mut conn, BoundRecord::Representative, updated.id).await?;
    Ok(web::Json(RepresentativeView::for_caller(
        updated, account, &caller,
    )))
}

/// The published list of serving deputies (代表公示): name, employer and position, public
/// contact channel, constituency, group, level and term. No sign-in; no private data.
#[utoipa::path(
    tag = "public",
    operation_id = "list_public_representatives",
    params(PublicRepresentativeListQuery),
    responses((status = 200, description = "A page of deputies", body = Page<PublicRepresentativeView>)),
    security(()),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_public_representatives(
    state: web::Data<AppState>,
    query: web::Query<PublicRepresentativeListQuery>,
) -> ApiResult<web::Json<Page<PublicRepresentativeView>>> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut conn = state.db().await?;
    let rows = model::list_public(&mut conn, &query, page).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |(r, _, _)| r.id,
        |(r, group, constituency)| PublicRepresentativeView {
            id: r.id,
            name: r.name,
            employer: r.employer,
            position: r.position,
            public_contact: r.public_contact,
            level: r.level,
            term: r.term,
            constituency: constituency.map(|(id, name)| NamedRef { id, name }),
            liaison_group: NamedRef {
                id: group.0,
                name: group.1,
            },
        },
    )))
}
