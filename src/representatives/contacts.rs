//! Contact links: a deputy's fixed-contact households (定点联系户) and voter liaisons
//! (选民联络员), capped per committee (defaults 3 and 5). A link is dated: removing it ends it
//! (`until`) and keeps it, so the obligations of past months are judged on the links then in
//! force.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::model;
use crate::access::{Action, Authed, Caller};
use crate::calendar::working_days::local_date;
use crate::db::schema::{committees, contact_links, liaison_groups, representatives, voters};
use crate::db::text_enum;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pii::mask_phone;
use crate::request::ValidJson;

text_enum!(ContactKind { FixedHousehold => "fixed_household", VoterLiaison => "voter_liaison" });

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    pub voter_id: Uuid,
    pub kind: ContactKind,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactVoter {
    pub id: Uuid,
    pub name: String,
    /// Masked unless you are staff in scope.
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub representative_id: Uuid,
    pub kind: ContactKind,
    pub voter: ContactVoter,
    pub created_at: DateTime<Utc>,
    /// The local date the link took effect.
    pub from: NaiveDate,
    /// The local date it was removed, from which it is no longer in force; null while it is.
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Also list links that were removed (default: only those in force).
    #[serde(default)]
    pub include_ended: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactView>,
}

type ContactRow = (
    Uuid,
    Uuid,
    ContactKind,
    DateTime<Utc>,
    NaiveDate,
    Option<NaiveDate>,
    Uuid,
    String,
    String,
);

fn view(row: ContactRow, caller: &Caller) -> ContactView {
    let (id, representative_id, kind, created_at, from, until, voter_id, name, phone) = row;
    ContactView {
        id,
        representative_id,
        kind,
        voter: ContactVoter {
            id: voter_id,
            name,
            phone: if caller.sees_voter_phones() {
                phone
            } else {
                mask_phone(&phone)
            },
        },
        created_at,
        from,
        until,
    }
}

fn contact_query() -> _ContactQuery {
    contact_links::table.inner_join(voters::table).select((
        contact_links::id,
        contact_links::representative_id,
        contact_links::kind,
        contact_links::created_at,
        contact_links::valid_from,
        contact_links::valid_until,
        voters::id,
        voters::name,
        voters::phone,
    ))
}

type _ContactQuery = diesel::dsl::Select<
    diesel::dsl::InnerJoin<contact_links::table, voters::table>,
    (
        contact_links::id,
        contact_links::representative_id,
        contact_links::kind,
        contact_links::created_at,
        contact_links::valid_from,
        contact_links::valid_until,
        voters::id,
        voters::name,
        voters::phone,
    ),
>;

/// The limit for a deputy: their group's committee policy (see `committees::policy`).
async fn limit_for(
    conn: &mut AsyncPgConnection,
    representative: Uuid,
    kind: ContactKind,
) -> ApiResult<i32> {
    let ancestors: Vec<Uuid> = representatives::table
        .inner_join(liaison_groups::table.inner_join(committees::table))
        .filter(representatives::id.eq(representative))
        .select(committees::ancestors)
        .first(conn)
        .await?;
    let policy = crate::committees::model::effective_policy(conn, &ancestors).await?;
    Ok(match kind {
        ContactKind::FixedHousehold => policy.max_fixed_households,
        ContactKind::VoterLiaison => policy.max_voter_liaisons,
    })
}

/// A deputy's contact links in force, or with `include_ended` their whole history.
#[utoipa::path(
    tag = "representatives",
    operation_id = "list_contacts",
    params(("id" = Uuid, Path, description = "Representative id"), ContactQuery),
    responses((status = 200, description = "The deputy's contact links", body = ContactList)),
)]
#[get("/{id}/contacts")]
#[tracing::instrument(skip_all)]
pub async fn list_contacts(
    authed: Authed,
    id: web::Path<Uuid>,
    query: web::Query<ContactQuery>,
) -> ApiResult<web::Json<ContactList>> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ReadRepresentatives)?;
    let rep = model::find_visible(&mut conn, &caller, *id).await?;
    let mut rows = contact_query()
        .filter(contact_links::representative_id.eq(rep.id))
        .order(contact_links::id.asc())
        .into_boxed();
    if !query.include_ended {
        rows = rows.filter(contact_links::valid_until.is_null());
    }
    let rows: Vec<ContactRow> = rows.load(&mut conn).await?;
    Ok(web::Json(ContactList {
        items: rows.into_iter().map(|r| view(r, &caller)).collect(),
    }))
}

/// Link a voter to a deputy as a fixed-contact household or a voter liaison.
///
/// Each committee caps how many of each kind a deputy may have (defaults 3 and 5); going over
/// answers 422 with `code: contact_limit_exceeded` and the `limit`. Concurrent additions are
/// serialised on the deputy, so they cannot exceed the cap together.
#[utoipa::path(
    tag = "representatives",
    operation_id = "create_contact",
    params(("id" = Uuid, Path, description = "Representative id")),
    request_body = CreateContact,
    responses(
        (status = 201, description = "Linked", body = ContactView),
        (status = 409, description = "Already linked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Over the committee's limit, or no such voter", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/{id}/contacts")]
#[tracing::instrument(skip_all)]
pub async fn create_contact(
    authed: Authed,
    id: web::Path<Uuid>,
    body: ValidJson<CreateContact>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageRepresentatives)?;
    let body = body.0;
    let rep = model::find_visible(&mut conn, &caller, *id).await?;
    crate::voters::model::find_visible(&mut conn, &caller, body.voter_id)
        .await
        .map_err(|e| e.on_field("voter_id", "no such voter"))?;
    let limit = limit_for(&mut conn, rep.id, body.kind).await?;
    let link_id = Uuid::now_v7();
    let today = local_date(Utc::now());
    let kind = body.kind;
    let voter_id = body.voter_id;
    crate::db::in_transaction(&mut conn, async |conn| {
        // The row lock on the deputy serialises concurrent additions: count-then-insert is safe.
        representatives::table
            .filter(representatives::id.eq(rep.id))
            .select(representatives::id)
            .for_update()
            .first::<Uuid>(conn)
            .await?;
        let existing: i64 = contact_links::table
            .filter(contact_links::representative_id.eq(rep.id))
            .filter(contact_links::kind.eq(kind.as_str()))
            .filter(contact_links::valid_until.is_null())
            .count()
            .get_result(conn)
            .await?;
        if existing >= i64::from(limit) {
            return Err(ApiError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ContactLimitExceeded,
                format!(
                    "a deputy may have at most {limit} contact links of kind {} in this committee",
                    kind.as_str()
                ),
            )
            .with_extension("limit", serde_json::json!(limit))
            .with_extension("kind", serde_json::json!(kind.as_str())));
        }
        diesel::insert_into(contact_links::table)
            .values((
                contact_links::id.eq(link_id),
                contact_links::representative_id.eq(rep.id),
                contact_links::voter_id.eq(voter_id),
                contact_links::kind.eq(kind.as_str()),
                contact_links::valid_from.eq(today),
            ))
            .execute(conn)
            .await
            .map_err(|e| {
                ApiError::on_unique(
                    e,
                    "contact_links_key",
                    ErrorCode::AlreadyExists,
                    "this voter is already linked to the deputy as this kind",
                )
            })?;
        Ok::<_, ApiError>(())
    })
    .await?;
    let row: ContactRow = contact_query()
        .filter(contact_links::id.eq(link_id))
        .first(&mut conn)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/representatives/{}/contacts/{link_id}", rep.id),
        ))
        .json(view(row, &caller)))
}

/// Remove a contact link: it ends today and stays in the history (`include_ended`), so the
/// months it was in force are still judged on it.
#[utoipa::path(
    tag = "representatives",
    operation_id = "delete_contact",
    params(
        ("id" = Uuid, Path, description = "Representative id"),
        ("link_id" = Uuid, Path, description = "Contact link id"),
    ),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No such link in force", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[delete("/{id}/contacts/{link_id}")]
#[tracing::instrument(skip_all)]
pub async fn delete_contact(
    authed: Authed,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    caller.require(Action::ManageRepresentatives)?;
    let (id, link_id) = path.into_inner();
    let rep = model::find_visible(&mut conn, &caller, id).await?;
    let ended = diesel::update(
        contact_links::table
            .filter(contact_links::id.eq(link_id))
            .filter(contact_links::representative_id.eq(rep.id))
            .filter(contact_links::valid_until.is_null()),
    )
    .set(contact_links::valid_until.eq(local_date(Utc::now())))
    .execute(&mut conn)
    .await?;
    if ended == 0 {
        return Err(ApiError::not_found("contact link"));
    }
    Ok(HttpResponse::NoContent().finish())
}
