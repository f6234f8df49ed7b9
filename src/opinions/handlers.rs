use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::command::Command;
use super::dto::{
    CategoryList, CategoryQuery, CreateOpinion, EventList, EventView, OpinionListQuery,
    OpinionView, RatingRequest, ReferralList, ReferralView, UpdateOpinion,
};
use super::in_full;
use super::model::{self, Opinion};
use super::transition::TransitionRequest;
use super::workflow::{self, Written};
use crate::access::pipelined::SessionCheck;
use crate::access::{self, Action, Authed, AuthedRead, AuthedWrite, Caller};
use crate::committees::kept_policies::{KeptPolicies, PathAndPolicy};
use crate::conditional::IfMatch;
use crate::db::Ending;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::external_refs::{self, Holder, Prior};
use crate::idempotency::{self, IdempotencyKey, StoredResponse};
use crate::pagination::{Page, PageRequest};
use crate::request::{FingerprintedJson, ValidJson};
use crate::state::AppState;

/// The views of opinions read in full, their committees' policies kept (read in one more
/// statement only when the tree or a policy has changed since).
pub(super) async fn views_in_full(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    kept: &KeptPolicies,
    read: in_full::InFull,
) -> ApiResult<Vec<OpinionView>> {
    let policies = read.policies(conn, kept).await?;
    Ok(views_with(caller, read, &policies))
}

pub(super) fn views_with(
    caller: &Caller,
    read: in_full::InFull,
    policies: &std::collections::HashMap<Uuid, std::sync::Arc<PathAndPolicy>>,
) -> Vec<OpinionView> {
    views_from(caller, read.rows, read.referrals, |c| {
        policies.get(&c).map(|along| &along.policy)
    })
}

/// The one view of a read of one opinion.
pub(super) fn only(mut views: Vec<OpinionView>) -> ApiResult<OpinionView> {
    views
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("view of one opinion was empty")))
}

/// The views of `rows` from their referrals not returned (narrowed here to each one's
/// current round) and their committees' policies.
fn views_from<'p>(
    caller: &Caller,
    rows: Vec<Opinion>,
    referrals: Vec<(Uuid, Uuid, crate::opinions::domain::ReferralRole, i32)>,
    policy_of: impl Fn(Uuid) -> Option<&'p crate::committees::policy::EffectivePolicy>,
) -> Vec<OpinionView> {
    let rounds = rows.iter().map(|o| (o.id, o.round)).collect();
    let live = model::of_current_rounds(referrals, &rounds);
    let now = Utc::now();
    rows.into_iter()
        .map(|o| {
            let live = live.get(&o.id).map(Vec::as_slice).unwrap_or_default();
            let actions = policy_of(o.committee_id)
                .map(|p| workflow::actions_for(caller, &o, p, live))
                .unwrap_or_default();
            OpinionView::for_caller(o, caller, lead_of(live), actions, now)
        })
        .collect()
}

fn lead_of(live: &[(Uuid, bool)]) -> Option<Uuid> {
    live.iter().find(|(_, is_lead)| *is_lead).map(|(b, _)| *b)
}

/// The view of an opinion just written, from what the write read: its policy and the live
/// referrals its update returned (no query of its own).
fn view_written(caller: &Caller, written: Written) -> OpinionView {
    let Written {
        opinion,
        live,
        policy,
    } = written;
    let actions = workflow::actions_for(caller, &opinion, &policy, &live);
    OpinionView::for_caller(opinion, caller, lead_of(&live), actions, Utc::now())
}

/// The opinion an earlier identical request made, as the caller sees it; a conflict if the
/// caller cannot see it (the reference is taken all the same).
async fn retried(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    kept: &KeptPolicies,
    id: Uuid,
) -> ApiResult<OpinionView> {
    let found = in_full::find_visible_in_full(conn, caller, id)
        .await
        .map_err(|_| {
            ApiError::conflict(
                ErrorCode::ExternalRefConflict,
                "this external_ref already names a record you cannot see",
            )
        })?;
    only(views_in_full(conn, caller, kept, found).await?)
}

fn stored(status: u16, view: &OpinionView, location: Option<String>) -> ApiResult<StoredResponse> {
    StoredResponse::json(status, view, view.version, location)
}

/// Records `value` as a new opinion in the caller's transaction and answers with it (201), or,
/// for a request naming an `external_ref` an earlier identical one took, with the opinion that
/// one made (200).
async fn record_new(
    conn: &mut AsyncPgConnection,
    (caller, check, kept): (&Caller, SessionCheck<'_>, &KeptPolicies),
    (value, fingerprint): (&CreateOpinion, &[u8; 32]),
    ending: Ending,
) -> ApiResult<StoredResponse> {
    let Some(reference) = &value.external_ref else {
        let written = workflow::receive(conn, caller, check, kept, value.clone(), ending).await?;
        return created(caller, written);
    };
    let prior = external_refs::claim(conn, Holder::Opinions, reference, fingerprint);
    if let Prior::Retry(id) = prior.await? {
        let made = retried(conn, caller, kept, id).await?;
        return stored(200, &made, None);
    }
    // The reference is attached after the opinion is written, so `in_transaction` commits.
    let after = Ending::AfterTheWork;
    let mut written = workflow::receive(conn, caller, check, kept, value.clone(), after).await?;
    let id = written.opinion.id;
    external_refs::attach(conn, Holder::Opinions, id, reference, fingerprint).await?;
    written.opinion.external_system = Some(reference.system.clone());
    written.opinion.external_id = Some(reference.id.clone());
    created(caller, written)
}

fn created(caller: &Caller, written: Written) -> ApiResult<StoredResponse> {
    let location = format!("/api/v1/opinions/{}", written.opinion.id);
    stored(201, &view_written(caller, written), Some(location))
}

/// One step under an optional Idempotency-Key, answered with the opinion after it. Without a
/// key, the step's row lock carries the session check (`AuthedWrite`); a key's replay takes no
/// lock, so with one the session is checked first.
async fn take_step(
    authed: AuthedWrite,
    kept: &KeptPolicies,
    key: Option<(String, [u8; 32])>,
    (id, if_match): (Uuid, IfMatch),
    command: Command,
    internal: bool,
) -> ApiResult<HttpResponse> {
    let fold = key.is_none();
    authed
        .run(fold, async |caller, check, conn| {
            caller.require(Action::ReadOpinions)?;
            idempotency::run(
                conn,
                caller.account_id,
                key.clone(),
                async |conn, ending| {
                    let command = command.clone();
                    let step = workflow::step(
                        conn,
                        caller,
                        check,
                        kept,
                        (id, &if_match),
                        (command, internal),
                        ending,
                    );
                    stored(200, &view_written(caller, step.await?), None)
                },
            )
            .await
        })
        .await
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
        (status = 200, description = "The same request, naming the same `external_ref`, made this opinion before", body = OpinionView),
        (status = 409, description = "`external_ref_conflict`: the `external_ref` names an opinion made by a different request", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the key was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub async fn create_opinion(
    _state: web::Data<AppState>,
    kept: web::Data<KeptPolicies>,
    authed: AuthedWrite,
    key: IdempotencyKey,
    body: FingerprintedJson<CreateOpinion>,
) -> ApiResult<HttpResponse> {
    let FingerprintedJson { value, fingerprint } = body;
    let key = key.with(fingerprint);
    // A replayed key and a repeated external reference answer before `receive` runs the
    // statement that carries the session check, so with either the session is checked first.
    let fold = key.is_none() && value.external_ref.is_none();
    authed
        .run(fold, async |caller, check, conn| {
            caller.require(Action::RecordOpinions)?;
            idempotency::run(
                conn,
                caller.account_id,
                key.clone(),
                async |conn, ending| {
                    let request = (&value, &fingerprint);
                    record_new(conn, (caller, check, &kept), request, ending).await
                },
            )
            .await
        })
        .await
}

/// Opinions in your scope, newest first. Every filter narrows the result; `q` searches title
/// and content.
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinions",
    params(OpinionListQuery),
    responses((status = 200, description = "A page of opinions", body = Page<OpinionView>)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_opinions(
    read: AuthedRead,
    kept: web::Data<KeptPolicies>,
    query: web::Query<OpinionListQuery>,
) -> ApiResult<web::Json<Page<OpinionView>>> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let query = query.into_inner();
    // The page, with its live referrals, in one statement that also checks the session: one
    // round trip, and a second only when a committee's policy is not kept.
    let (Authed { caller, mut conn }, read) = read
        .run(|caller, check, conn| {
            let query = query.clone();
            Box::pin(async move {
                caller.require(Action::ReadOpinions)?;
                let mut conn = conn;
                in_full::list_visible(&mut conn, caller, &query, page, check).await
            })
        })
        .await?;
    let mut read = read.unwrap_or_default();
    let (rows, next_cursor) = Page::<OpinionView>::cut(read.rows, page, |o| o.id);
    read.rows = rows;
    Ok(web::Json(Page {
        items: views_in_full(&mut conn, &caller, &kept, read).await?,
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
#[get("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn get_opinion(
    read: AuthedRead,
    kept: web::Data<KeptPolicies>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = *id;
    // The opinion and its referrals in one statement that also checks the session (its
    // committee's policy is kept).
    let (Authed { caller, mut conn }, read) = read
        .run(|caller, check, conn| {
            Box::pin(async move {
                caller.require(Action::ReadOpinions)?;
                let mut conn = conn;
                in_full::find_visible_checked(&mut conn, caller, id, check).await
            })
        })
        .await?;
    let read = read.ok_or_else(|| ApiError::not_found("opinion"))?;
    let v = only(views_in_full(&mut conn, &caller, &kept, read).await?)?;
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
#[patch("/{id}")]
#[tracing::instrument(skip_all)]
pub async fn update_opinion(
    kept: web::Data<KeptPolicies>,
    authed: AuthedWrite,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<UpdateOpinion>,
) -> ApiResult<HttpResponse> {
    take_step(
        authed,
        &kept,
        None,
        (*id, if_match),
        Command::Edit(body.0),
        false,
    )
    .await
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
#[post("/{id}/transitions")]
#[tracing::instrument(skip_all)]
pub async fn transition_opinion(
    kept: web::Data<KeptPolicies>,
    authed: AuthedWrite,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    key: IdempotencyKey,
    body: FingerprintedJson<TransitionRequest>,
) -> ApiResult<HttpResponse> {
    let FingerprintedJson { value, fingerprint } = body;
    let internal = value.internal();
    let command = Command::from(value);
    let key = key.with(fingerprint);
    take_step(authed, &kept, key, (*id, if_match), command, internal).await
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
#[post("/{id}/rating")]
#[tracing::instrument(skip_all)]
pub async fn rate_opinion(
    kept: web::Data<KeptPolicies>,
    authed: AuthedWrite,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidJson<RatingRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let command = Command::Rate {
        rating: b.rating,
        comment: b
            .comment
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
    };
    take_step(authed, &kept, None, (*id, if_match), command, false).await
}

/// The timeline, oldest first. Voters see only the entries not marked internal.
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinion_events",
    params(("id" = Uuid, Path, description = "Opinion id")),
    responses((status = 200, description = "The timeline", body = EventList)),
)]
#[get("/{id}/events")]
#[tracing::instrument(skip_all)]
pub async fn list_opinion_events(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<EventList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadOpinions)?;
    let o = model::find_visible(&mut conn, &caller, *id).await?;
    let events = model::events_of(
        &mut conn,
        o.id,
        !access::opinions::sees_internal_notes(&caller),
    )
    .await?;
    Ok(web::Json(EventList {
        items: events
            .into_iter()
            .map(|e| EventView::for_caller(e, &caller))
            .collect(),
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
#[get("/{id}/referrals")]
#[tracing::instrument(skip_all)]
pub async fn list_opinion_referrals(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ReferralList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadOpinions)?;
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
#[post("/{id}/referrals/{referral_id}/accept")]
#[tracing::instrument(skip_all)]
pub async fn accept_referral(
    kept: web::Data<KeptPolicies>,
    authed: AuthedWrite,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let (id, referral) = path.into_inner();
    take_step(
        authed,
        &kept,
        None,
        (id, if_match),
        Command::Accept { referral },
        false,
    )
    .await
}

/// The category taxonomy that applies to opinions of a constituency (set per committee).
#[utoipa::path(
    tag = "opinions",
    operation_id = "list_opinion_categories",
    params(CategoryQuery),
    responses(
        (status = 200, description = "Category codes", body = CategoryList),
        (status = 404, description = "No such constituency", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/opinion-categories")]
#[tracing::instrument(skip_all)]
pub async fn list_opinion_categories(
    authed: Authed,
    query: web::Query<CategoryQuery>,
) -> ApiResult<web::Json<CategoryList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::RecordOpinions)?;
    let constituency =
        crate::constituencies::model::find_visible(&mut conn, &caller, query.constituency_id)
            .await?;
    let policies =
        crate::committees::model::effective_policies(&mut conn, &[constituency.committee_id])
            .await?;
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
