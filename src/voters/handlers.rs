use actix_web::{HttpResponse, get, patch, post, web};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::{CreateVoter, UpdateVoter, VoterListQuery, VoterView};
use super::model::{self, NewVoter, StoredIdNumber, VoterChanges, VoterFilter};
use crate::access::{self, Action, Authed, Caller};
use crate::db::is_constraint;
use crate::db::schema::voters;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::{Page, PageRequest};
use crate::pii::{IdNumber, PhoneNumber};
use crate::request::ValidJson;
use crate::state::AppState;
use crate::users::model::{BoundRecord, account_bound_to, accounts_bound_to};

async fn check_constituency(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<()> {
    crate::constituencies::model::find_visible(conn, caller, id)
        .await
        .map_err(|e| e.on_field("constituency_id", "no such constituency"))?;
    Ok(())
}

/// Register a voter in a constituency of your scope.
#[utoipa::path(
    tag = "voters",
    operation_id = "create_voter",
    request_body = CreateVoter,
    responses(
        (status = 201, description = "Created", body = VoterView),
        (status = 409, description = "Already registered", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many ID-number collisions from this account: probing the register is slowed", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_voter(
    state: web::Data<AppState>,
    authed: Authed,
    body: ValidJson<CreateVoter>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageVoters)?;
    let b = body.0;
    check_constituency(&mut conn, &caller, b.constituency_id).await?;
    let id = Uuid::now_v7();
    let new = NewVoter {
        id,
        name: b.name.trim().to_owned(),
        constituency_id: b.constituency_id,
        phone: b.phone.as_str().to_owned(),
        address: b.address.map(|a| a.trim().to_owned()),
    };
    let sealed = StoredIdNumber::seal(&state.pii, b.id_number.as_ref());
    let hmac = sealed.id_number_hmac.clone();
    let created = match model::insert(&mut conn, &new, sealed).await {
        Ok(created) => created,
        Err(e) if is_constraint(&e, ID_NUMBER_KEY) => {
            let hmac = hmac.unwrap_or_default();
            return Err(model::id_number_collision(&mut conn, &caller, &hmac).await?);
        }
        Err(e) => return Err(model::conflict(e)),
    };
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/voters/{id}")))
        .json(VoterView::for_caller(created, None, &caller)))
}

const ID_NUMBER_KEY: &str = "voters_id_number_hmac_key";

/// List voters you may see: staff by constituency, a deputy their linked voters (phones masked),
/// a voter themself.
#[utoipa::path(
    tag = "voters",
    operation_id = "list_voters",
    params(VoterListQuery),
    responses((status = 200, description = "A page of voters", body = Page<VoterView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_voters(
    state: web::Data<AppState>,
    authed: Authed,
    query: web::Query<VoterListQuery>,
) -> ApiResult<web::Json<Page<VoterView>>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadVoters)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let query = query.into_inner();
    if query.phone.is_some() {
        access::people::check_search_voters_by(&caller, "phone")?;
    }
    if query.id_number.is_some() {
        access::people::check_search_voters_by(&caller, "id_number")?;
    }
    let phone = query
        .phone
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidQuery, format!("phone {e}")))?;
    let id_number_hmac = query
        .id_number
        .as_deref()
        .map(IdNumber::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidQuery, format!("id_number {e}")))?
        .map(|id| state.pii.lookup_hash(&id));
    let filter = VoterFilter {
        constituency_id: query.constituency_id,
        verified: query.verified,
        q: query.q,
        phone,
        id_number_hmac,
    };
    let rows = model::list_visible(&mut conn, &caller, filter, page).await?;
    let ids: Vec<Uuid> = rows.iter().map(|v| v.id).collect();
    let accounts = accounts_bound_to(&mut conn, BoundRecord::Voter, &ids).await?;
    Ok(web::Json(Page::from_rows(
        rows,
        page,
        |v| v.id,
        |v| {
            let account = accounts.get(&v.id).copied();
            VoterView::for_caller(v, account, &caller)
        },
    )))
}

/// Get a voter.
#[utoipa::path(
    tag = "voters",
    operation_id = "get_voter",
    params(("id" = Uuid, Path, description = "Voter id")),
    responses((status = 200, description = "The voter", body = VoterView)),
)]
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_voter(authed: Authed, id: web::Path<Uuid>) -> ApiResult<web::Json<VoterView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadVoters)?;
    let voter = model::find_visible(&mut conn, &caller, *id).await?;
    let account = account_bound_to(&mut conn, BoundRecord::Voter, voter.id).await?;
    Ok(web::Json(VoterView::for_caller(voter, account, &caller)))
}

/// Update a voter: staff in scope, or the voter their own record (not the constituency).
#[utoipa::path(
    tag = "voters",
    operation_id = "update_voter",
    params(("id" = Uuid, Path, description = "Voter id")),
    request_body = UpdateVoter,
    responses(
        (status = 200, description = "Updated", body = VoterView),
        (status = 409, description = "Conflicts with another voter", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many ID-number collisions from this account: probing the register is slowed", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_voter(
    state: web::Data<AppState>,
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateVoter>,
) -> ApiResult<web::Json<VoterView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::EditVoters)?;
    let b = body.0;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    if let Some(constituency) = b.constituency_id {
        access::people::check_move_voter(&caller)?;
        check_constituency(&mut conn, &caller, constituency).await?;
    }
    let changes = VoterChanges {
        name: b.name.map(|n| n.trim().to_owned()),
        constituency_id: b.constituency_id,
        phone: b.phone.map(|p| p.as_str().to_owned()),
        address: b.address.map(|a| a.map(|s| s.trim().to_owned())),
    };
    if b.id_number.is_some() {
        access::people::check_set_id_number(&caller)?;
    }
    let sealed = b
        .id_number
        .as_ref()
        .map(|id| StoredIdNumber::seal(&state.pii, id.as_ref()));
    let hmac = sealed
        .as_ref()
        .and_then(|s| s.id_number_hmac.clone())
        .unwrap_or_default();
    let updated = crate::db::in_transaction(&mut conn, async |conn| {
        let target = voters::table.find(current.id);
        if let Some(sealed) = &sealed {
            diesel::update(target).set(sealed).execute(conn).await?;
        }
        diesel::update(target)
            .set((&changes, voters::updated_at.eq(diesel::dsl::now)))
            .returning(model::Voter::as_returning())
            .get_result(conn)
            .await
    })
    .await;
    let updated = match updated {
        Ok(updated) => updated,
        Err(e) if is_constraint(&e, ID_NUMBER_KEY) => {
            return Err(model::id_number_collision(&mut conn, &caller, &hmac).await?);
        }
        Err(e) => return Err(model::conflict(e)),
    };
    let account = account_bound_to(&mut conn, BoundRecord::Voter, updated.id).await?;
    Ok(web::Json(VoterView::for_caller(updated, account, &caller)))
}

/// Mark a voter (e.g. a self-registered one) as verified by staff.
#[utoipa::path(
    tag = "voters",
    operation_id = "verify_voter",
    params(("id" = Uuid, Path, description = "Voter id")),
    responses((status = 200, description = "Verified", body = VoterView)),
)]
#[post("/{id}/verify")]
#[tracing::instrument(skip_all)]
pub async fn verify_voter(authed: Authed, id: web::Path<Uuid>) -> ApiResult<web::Json<VoterView>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageVoters)?;
    let current = model::find_visible(&mut conn, &caller, *id).await?;
    let updated = diesel::update(voters::table.find(current.id))
        .set((
            voters::verified_at.eq(Some(chrono::Utc::now())),
            voters::verified_by.eq(caller.account_id),
            voters::updated_at.eq(diesel::dsl::now),
        ))
        .returning(model::Voter::as_returning())
        .get_result(&mut conn)
        .await?;
    let account = account_bound_to(&mut conn, BoundRecord::Voter, updated.id).await?;
    Ok(web::Json(VoterView::for_caller(updated, account, &caller)))
}
