use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::ConstituencyListQuery;
use crate::access::Caller;
use crate::access::filters::constituency_filter;
use crate::db::contains_pattern;
use crate::db::schema::constituencies;
use crate::db::tree::subtree_of;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = constituencies, check_for_backend(Pg))]
pub struct Constituency {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub name: String,
    pub code: String,
    pub area: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = constituencies)]
pub struct NewConstituency<'a> {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub name: &'a str,
    pub code: &'a str,
    pub area: Option<&'a str>,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = constituencies)]
pub struct ConstituencyChanges<'a> {
    pub name: Option<&'a str>,
    pub code: Option<&'a str>,
    pub area: Option<Option<&'a str>>,
}

pub async fn find_visible<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<Constituency>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    constituencies::table
        .filter(constituencies::id.eq(id))
        .filter(constituency_filter(caller))
        .select(Constituency::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("constituency"))
}

fn filtered<'a>(
    filters: &ConstituencyListQuery,
    page: PageRequest,
) -> constituencies::BoxedQuery<'a, Pg> {
    let mut query = constituencies::table.into_boxed();
    if let Some(root) = filters.committee_id {
        query = query.filter(constituencies::committee_id.eq_any(subtree_of(root)));
    }
    if let Some(q) = filters
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        let pattern = contains_pattern(q);
        query = query.filter(
            constituencies::name
                .ilike(pattern.clone())
                .or(constituencies::code.ilike(pattern)),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(constituencies::id.gt(after));
    }
    query
        .order(constituencies::id.asc())
        .limit(page.fetch_limit())
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filters: &ConstituencyListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Constituency>> {
    Ok(filtered(filters, page)
        .filter(constituency_filter(caller))
        .select(Constituency::as_select())
        .load(conn)
        .await?)
}

pub async fn list_public(
    conn: &mut AsyncPgConnection,
    filters: &ConstituencyListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Constituency>> {
    Ok(filtered(filters, page)
        .select(Constituency::as_select())
        .load(conn)
        .await?)
}

/// Code → id for the given codes (imports resolve their `constituency_code` column with it).
pub async fn ids_by_code(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    codes: &[String],
) -> ApiResult<std::collections::HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = constituencies::table
        .filter(constituencies::code.eq_any(codes))
        .filter(constituency_filter(caller))
        .select((constituencies::code, constituencies::id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: NewConstituency<'_>,
) -> Result<Constituency, diesel::result::Error> {
    diesel::insert_into(constituencies::table)
        .values(&new)
        .returning(Constituency::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: ConstituencyChanges<'_>,
) -> Result<Constituency, diesel::result::Error> {
    diesel::update(constituencies::table.find(id))
        .set((&changes, constituencies::updated_at.eq(diesel::dsl::now)))
        .returning(Constituency::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<usize, diesel::result::Error> {
    diesel::delete(constituencies::table.find(id))
        .execute(conn)
        .await
}
