use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::dto::{
    CategoryList, CategoryQuery, CreateOpinion, EventList, EventView, OpinionListQuery,
    OpinionView, RatingRequest, ReferralList, ReferralView, TransitionRequest, UpdateOpinion,
};
use super::model::{self, Opinion};
use super::workflow::{self, Command};
use crate::committees::policy;
use crate::conditional::{IfMatch, etag};
use crate::error::{ApiError, ApiResult, Problem};
use crate::idempotency::{self, Claim, IdempotencyKey, StoredResponse};
use crate::pagination::{Page, PageRequest};
use crate::request::{FingerprintedJson, ValidJson};
use crate::scope::{self, Action, Caller};
use crate::state::AppState;

/// Views of several opinions for one caller, in three queries whatever their number.
async fn views(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    rows: Vec<Opinion>,
) -> ApiResult<Vec<OpinionView>> {
    let refs: Vec<&Opinion> = rows.iter().collect();
    let live = model::live_referrals(conn, &refs).await?;
    let mut committees: Vec<Uuid> = rows.iter().map(|o| o.committee_id).collect();
    committees.sort_unstable();
    committees.dedup();
    let policies = policy::effective_many(conn, &committees).await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|o| {
            let live = live.get(&o.id).map(Vec::as_slice).unwrap_or_default();
            let lead = live.iter().find(|(_, l)| *l).map(|(b, _)| *b);
            let actions = policies
                .get(&o.committee_id)
                .map(|p| workflow::actions_for(caller, &o, p, live))
                .unwrap_or_default();
            OpinionView::for_caller(o, caller, lead, actions, now)
        })
        .collect())
}

async fn view(conn: &mut AsyncPgConnection, caller: &Caller, o: Opinion) -> ApiResult<OpinionView> {
    let mut v = views(conn, caller, vec![o]).await?;
    v.pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("view of one opinion was empty")))
}

fn stored(status: u16, view: &OpinionView, location: Option<String>) -> ApiResult<StoredResponse> {
    Ok(StoredResponse {
        status,
        body: serde_json::to_vec(view).map_err(ApiError::internal)?,
        etag: Some(etag(view.version)),
        location,
    })
}

/// The writes that take an `Idempotency-Key`.
enum Write {
    Create(CreateOpinion),
    Step {
        id: Uuid,
        if_match: IfMatch,
        command: Command,
        internal: bool,
    },
}

async fn perform(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    write: Write,
) -> ApiResult<StoredResponse> {
    match write {
        Write::Create(body) => {
            let created = workflow::receive(conn, caller, body).await?;
            let location = format!("/api/v1/opinions/{}", created.id);
            let v = view(conn, caller, created).await?;
            stored(201, &v, Some(location))
        }
        Write::Step {
            id,
            if_match,
            command,
            internal,
        } => {
            let o = workflow::step(conn, caller, id, &if_match, command, internal).await?;
            let v = view(conn, caller, o).await?;
            stored(200, &v, None)
        }
    }
}

/// Runs a write under an optional idempotency key, in one transaction: a repeat replays the
/// first answer and writes nothing.
/// `key`: the request's Idempotency-Key and fingerprint, if it sent one (routes without the
/// header pass `None`).
async fn idempotent(
    state: &AppState,
    caller: &Caller,
    key: Option<(String, [u8; 32])>,
    write: Write,
) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (response, replayed) = conn
        .transaction(async |conn| {
            if let Some((k, fingerprint)) = &key
                && let Claim::Replay(r) =
                    idempotency::claim(conn, caller.account_id, k, fingerprint).await?
            {
                return Ok::<_, ApiError>((r, true));
            }
            let response = perform(conn, caller, write).await?;
            if let Some((k, _)) = &key {
                idempotency::record(conn, caller.account_id, k, &response).await?;
            }
            Ok((response, false))
        })
        .await?;
    Ok(response.into_response(replayed))
}

/// A step on an opinion from a route that takes no Idempotency-Key.
async fn take_step(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    if_match: IfMatch,
    command: Command,
) -> ApiResult<HttpResponse> {
    let write = Write::Step {
        id,
        if_match,
        command,
        internal: false,
    };
    idempotent(state, caller, None, write).await
}

/// Submit an opinion (a voter, online) or record one (staff and deputies, from a reception,
/// visit, forum or letter). It starts received, with a refer-by date from the committee's
/// policy; an urgent one is announced at once.
#[utoipa::path(
    tag = "opinions",
    operation_id = "create_opinion",
    request_body = CreateOpinion,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely: a repeat with the same key returns the first answer and writes nothing"),
    ),
    responses(
        (status = 201, description = "Recorded; the ETag header carries the version", body = OpinionView),
        (status = 422, description = "Invalid fields, or the key was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/opinions")]
pub async fn create_opinion(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: FingerprintedJson<CreateOpinion>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::RecordOpinions)?;
    let FingerprintedJson { value, fingerprint } = body;
    idempotent(&state, &caller, key.with(fingerprint), Write::Create(value)).await
}

/// Opinions in your scope, newest first. Every filter narrows the result; `q` searches title
/// and content.
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinions",
    params(OpinionListQuery),
    responses((status = 200, description = "A page of opinions", body = Page<OpinionView>)),
)]
#[get("/opinions")]
pub async fn list_opinions(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<OpinionListQuery>,
) -> ApiResult<web::Json<Page<OpinionView>>> {
    caller.require(Action::ReadOpinions)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (query.received_from, query.received_to)
        && from > to
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "received_from must not be after received_to",
        ));
    }
    let mut conn = state.pool.get().await?;
    let rows = model::list_visible(&mut conn, &caller, &query, page).await?;
    let (rows, next_cursor) = Page::<OpinionView>::cut(rows, page, |o| o.id);
    Ok(web::Json(Page {
        items: views(&mut conn, &caller, rows).await?,
        next_cursor,
    }))
}

/// Get an opinion; the `ETag` header is its version, for `If-Match` on the next write.
#[utoipa::path(
    tag = "opinions",
    operation_id = "get_opinion",
    params(("id" = Uuid, Path, description = "Opinion id")),
    responses((status = 200, description = "The opinion", body = OpinionView)),
)]
#[get("/opinions/{id}")]
pub async fn get_opinion(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ReadOpinions)?;
    let mut conn = state.pool.get().await?;
    let o = model::find_visible(&mut conn, &caller, *id).await?;
    let v = view(&mut conn, &caller, o).await?;
    Ok(stored(200, &v, None)?.into_response(false))
}

/// Correct an opinion while it is still received (staff in scope, or the deputy who took it).
#[utoipa::path(
    tag = "opinions",
    operation_id = "update_opinion",
    params(
        ("id" = Uuid, Path, description = "Opinion id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    request_body = UpdateOpinion,
    responses(
        (status = 200, description = "The opinion now", body = OpinionView),
        (status = 409, description = "No longer editable", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[patch("/opinions/{id}")]
pub async fn update_opinion(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateOpinion>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ReadOpinions)?;
    take_step(&state, &caller, *id, if_match, Command::Edit(body.0)).await
}

/// Take a step of the lifecycle: refer, transfer, answer, feed_back, decline or reopen. A step
/// the current state does not allow answers 409 with the state and the allowed actions, and
/// changes nothing.
#[utoipa::path(
    tag = "opinions",
    operation_id = "transition_opinion",
    params(
        ("id" = Uuid, Path, description = "Opinion id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely: a repeat with the same key returns the first answer and writes nothing"),
    ),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The opinion after the step", body = OpinionView),
        (status = 409, description = "Not allowed from the current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/opinions/{id}/transitions")]
pub async fn transition_opinion(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: FingerprintedJson<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ReadOpinions)?;
    let FingerprintedJson { value, fingerprint } = body;
    let internal = value.internal;
    let command = value.into_command()?;
    let write = Write::Step {
        id: *id,
        if_match,
        command,
        internal,
    };
    idempotent(&state, &caller, key.with(fingerprint), write).await
}

/// The voter rates the feedback (once per round). An unsatisfied rating lets staff reopen it.
#[utoipa::path(
    tag = "opinions",
    operation_id = "rate_opinion",
    params(
        ("id" = Uuid, Path, description = "Opinion id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    request_body = RatingRequest,
    responses(
        (status = 200, description = "The opinion with its rating", body = OpinionView),
        (status = 409, description = "Not fed back yet, or rated already", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/opinions/{id}/rating")]
pub async fn rate_opinion(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<RatingRequest>,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ReadOpinions)?;
    let b = body.0;
    let command = Command::Rate {
        rating: b.rating,
        comment: b
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
    };
    take_step(&state, &caller, *id, if_match, command).await
}

/// The timeline, oldest first. Voters see only the entries not marked internal.
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinion_events",
    params(("id" = Uuid, Path, description = "Opinion id")),
    responses((status = 200, description = "The timeline", body = EventList)),
)]
#[get("/opinions/{id}/events")]
pub async fn list_opinion_events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<EventList>> {
    caller.require(Action::ReadOpinions)?;
    let mut conn = state.pool.get().await?;
    let o = model::find_visible(&mut conn, &caller, *id).await?;
    let events = model::events_of(&mut conn, o.id, !scope::sees_internal_notes(&caller)).await?;
    Ok(web::Json(EventList {
        items: events.into_iter().map(EventView::from).collect(),
    }))
}

/// Every referral of the opinion, oldest first: lead and assisting bodies, returned ones with
/// their reason, and each body's answer.
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinion_referrals",
    params(("id" = Uuid, Path, description = "Opinion id")),
    responses((status = 200, description = "The referrals", body = ReferralList)),
)]
#[get("/opinions/{id}/referrals")]
pub async fn list_opinion_referrals(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ReferralList>> {
    caller.require(Action::ReadOpinions)?;
    let mut conn = state.pool.get().await?;
    let o = model::find_visible(&mut conn, &caller, *id).await?;
    let now = Utc::now();
    let rows = model::referrals_of(&mut conn, o.id).await?;
    Ok(web::Json(ReferralList {
        items: rows
            .into_iter()
            .map(|r| ReferralView::new(r, now))
            .collect(),
    }))
}

/// A handling body acknowledges a referral to it (签收).
#[utoipa::path(
    tag = "opinions",
    operation_id = "accept_referral",
    params(
        ("id" = Uuid, Path, description = "Opinion id"),
        ("referral_id" = Uuid, Path, description = "Referral id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since"),
    ),
    responses(
        (status = 200, description = "The opinion", body = OpinionView),
        (status = 409, description = "Not open for acceptance", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/opinions/{id}/referrals/{referral_id}/accept")]
pub async fn accept_referral(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    caller.require(Action::ReadOpinions)?;
    let (id, referral) = path.into_inner();
    take_step(&state, &caller, id, if_match, Command::Accept { referral }).await
}

/// The category taxonomy that applies to opinions of a constituency (set per committee).
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinion_categories",
    params(CategoryQuery),
    responses((status = 200, description = "Category codes", body = CategoryList)),
)]
#[get("/opinion-categories")]
pub async fn list_opinion_categories(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<CategoryQuery>,
) -> ApiResult<web::Json<CategoryList>> {
    caller.require(Action::RecordOpinions)?;
    let mut conn = state.pool.get().await?;
    let constituency =
        crate::constituencies::model::find_visible(&mut conn, &caller, query.constituency_id)
            .await?;
    let policies = policy::effective_many(&mut conn, &[constituency.committee_id]).await?;
    let items = policies
        .into_values()
        .next()
        .map(|p| p.categories)
        .unwrap_or_default();
    Ok(web::Json(CategoryList {
        committee_id: constituency.committee_id,
        items,
    }))
}
