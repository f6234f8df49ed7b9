use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::HandlingBodyKind;
use super::dto::HandlingBodyListQuery;
use crate::access::Caller;
use crate::access::filters::{handling_body_filter, readable_handling_body_filter};
use crate::db::contains_pattern;
use crate::db::schema::handling_bodies;
use crate::db::tree::subtree_of;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = handling_bodies, check_for_backend(diesel::pg::Pg))]
pub struct HandlingBody {
    pub id: Uuid,
    pub name: String,
    pub kind: HandlingBodyKind,
    pub committee_id: Uuid,
    pub contact: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = handling_bodies)]
pub struct NewHandlingBody<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: HandlingBodyKind,
    pub committee_id: Uuid,
    pub contact: Option<&'a str>,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = handling_bodies)]
pub struct HandlingBodyChanges<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<HandlingBodyKind>,
    pub contact: Option<Option<&'a str>>,
}

pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<HandlingBody> {
    handling_bodies::table
        .filter(handling_bodies::id.eq(id))
        .filter(handling_body_filter(caller))
        .select(HandlingBody::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("handling body"))
}

/// A body the caller may read: one they manage, or one their opinions may be referred to.
pub async fn find_readable(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<HandlingBody> {
    handling_bodies::table
        .filter(handling_bodies::id.eq(id))
        .filter(readable_handling_body_filter(caller))
        .select(HandlingBody::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("handling body"))
}

/// The bodies an opinion on this committee path may be referred to, by name.
pub async fn referable(
    conn: &mut AsyncPgConnection,
    path: &[Uuid],
    committee: Uuid,
    route: crate::committees::domain::ReferralRoute,
) -> ApiResult<Vec<HandlingBody>> {
    Ok(handling_bodies::table
        .filter(crate::access::filters::referable_body_filter(
            path, committee, route,
        ))
        .select(HandlingBody::as_select())
        .order((handling_bodies::name, handling_bodies::id))
        .limit(1000)
        .load(conn)
        .await?)
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filters: &HandlingBodyListQuery,
    page: PageRequest,
) -> ApiResult<Vec<HandlingBody>> {
    let mut query = handling_bodies::table
        .filter(readable_handling_body_filter(caller))
        .into_boxed();
    if let Some(kind) = filters.kind {
        query = query.filter(handling_bodies::kind.eq(kind.as_str()));
    }
    if let Some(root) = filters.committee_id {
        query = query.filter(handling_bodies::committee_id.eq_any(subtree_of(root)));
    }
    if let Some(q) = filters
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        query = query.filter(handling_bodies::name.ilike(contains_pattern(q)));
    }
    if let Some(after) = page.after {
        query = query.filter(handling_bodies::id.gt(after));
    }
    Ok(query
        .order(handling_bodies::id.asc())
        .limit(page.fetch_limit())
        .select(HandlingBody::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: NewHandlingBody<'_>,
) -> Result<HandlingBody, diesel::result::Error> {
    diesel::insert_into(handling_bodies::table)
        .values(&new)
        .returning(HandlingBody::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: HandlingBodyChanges<'_>,
) -> Result<HandlingBody, diesel::result::Error> {
    diesel::update(handling_bodies::table.find(id))
        .set((&changes, handling_bodies::updated_at.eq(diesel::dsl::now)))
        .returning(HandlingBody::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<usize, diesel::result::Error> {
    diesel::delete(handling_bodies::table.find(id))
        .execute(conn)
        .await
}
