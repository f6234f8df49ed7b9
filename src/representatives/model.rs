use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::{Gender, Level, RepresentativeStatus};
use super::dto::{PublicRepresentativeListQuery, RepresentativeListQuery};
use crate::access::Caller;
use crate::access::filters::representative_filter;
use crate::db::contains_pattern;
use crate::db::schema::{constituencies, liaison_groups, representatives};
use crate::db::tree::subtree_of;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = representatives, check_for_backend(Pg))]
pub struct Representative {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub level: Level,
    pub term: i32,
    pub constituency_id: Option<Uuid>,
    pub liaison_group_id: Uuid,
    pub employer: Option<String>,
    pub position: Option<String>,
    pub public_contact: Option<String>,
    pub phone: Option<String>,
    pub status: RepresentativeStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = representatives, treat_none_as_null = true)]
pub struct NewRepresentative {
    pub id: Uuid,
    pub name: String,
    pub gender: Gender,
    pub level: Level,
    pub term: i32,
    pub constituency_id: Option<Uuid>,
    pub liaison_group_id: Uuid,
    pub employer: Option<String>,
    pub position: Option<String>,
    pub public_contact: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = representatives)]
pub struct RepresentativeChanges {
    pub name: Option<String>,
    pub gender: Option<Gender>,
    pub level: Option<Level>,
    pub term: Option<i32>,
    pub constituency_id: Option<Option<Uuid>>,
    pub liaison_group_id: Option<Uuid>,
    pub employer: Option<Option<String>>,
    pub position: Option<Option<String>>,
    pub public_contact: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub status: Option<RepresentativeStatus>,
}

pub async fn find_visible<C>(conn: &mut C, caller: &Caller, id: Uuid) -> ApiResult<Representative>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    representatives::table
        .filter(representatives::id.eq(id))
        .filter(representative_filter(caller))
        .select(Representative::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("representative"))
}

/// Each of `ids` (deduplicated) must be a serving deputy in the caller's scope, else 422 on
/// `field`. Answers each with their constituency, in one query.
pub async fn serving_in_scope(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    ids: &[Uuid],
    field: &str,
) -> ApiResult<Vec<(Uuid, Option<Uuid>)>> {
    let found: Vec<(Uuid, Option<Uuid>)> = representatives::table
        .filter(representatives::id.eq_any(ids))
        .filter(representatives::status.eq("serving"))
        .filter(representative_filter(caller))
        .select((representatives::id, representatives::constituency_id))
        .load(conn)
        .await?;
    if found.len() == ids.len() {
        Ok(found)
    } else {
        Err(ApiError::invalid_field(
            field,
            "no such serving deputy in your scope",
        ))
    }
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filters: &RepresentativeListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Representative>> {
    let mut query = representatives::table
        .filter(representative_filter(caller))
        .into_boxed();
    if let Some(c) = filters.constituency_id {
        query = query.filter(representatives::constituency_id.eq(c));
    }
    if let Some(g) = filters.liaison_group_id {
        query = query.filter(representatives::liaison_group_id.eq(g));
    }
    if let Some(root) = filters.committee_id {
        query = query.filter(
            representatives::liaison_group_id.eq_any(
                liaison_groups::table
                    .filter(liaison_groups::committee_id.eq_any(subtree_of(root)))
                    .select(liaison_groups::id),
            ),
        );
    }
    if let Some(level) = filters.level {
        query = query.filter(representatives::level.eq(level.as_str()));
    }
    if let Some(term) = filters.term {
        query = query.filter(representatives::term.eq(term));
    }
    if let Some(status) = filters.status {
        query = query.filter(representatives::status.eq(status.as_str()));
    }
    if let Some(q) = filters
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        let p = contains_pattern(q);
        query = query.filter(
            representatives::name
                .ilike(p.clone())
                .or(representatives::employer.ilike(p.clone()).assume_not_null())
                .or(representatives::position.ilike(p).assume_not_null()),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(representatives::id.gt(after));
    }
    Ok(query
        .order(representatives::id.asc())
        .limit(page.fetch_limit())
        .select(Representative::as_select())
        .load(conn)
        .await?)
}

pub type PublicRow = (Representative, (Uuid, String), Option<(Uuid, String)>);

/// Serving deputies with their group and constituency names, in one query.
pub async fn list_public(
    conn: &mut AsyncPgConnection,
    filters: &PublicRepresentativeListQuery,
    page: PageRequest,
) -> ApiResult<Vec<PublicRow>> {
    let mut query = representatives::table
        .inner_join(liaison_groups::table)
        .left_join(constituencies::table)
        .filter(representatives::status.eq("serving"))
        .into_boxed();
    if let Some(c) = filters.constituency_id {
        query = query.filter(representatives::constituency_id.eq(c));
    }
    if let Some(g) = filters.liaison_group_id {
        query = query.filter(representatives::liaison_group_id.eq(g));
    }
    if let Some(q) = filters
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        let p = contains_pattern(q);
        query = query.filter(
            representatives::name
                .ilike(p.clone())
                .or(representatives::employer.ilike(p.clone()).assume_not_null())
                .or(representatives::position.ilike(p).assume_not_null()),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(representatives::id.gt(after));
    }
    Ok(query
        .order(representatives::id.asc())
        .limit(page.fetch_limit())
        .select((
            Representative::as_select(),
            (liaison_groups::id, liaison_groups::name),
            (constituencies::id, constituencies::name).nullable(),
        ))
        .load(conn)
        .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewRepresentative,
) -> Result<Representative, diesel::result::Error> {
    diesel::insert_into(representatives::table)
        .values(new)
        .returning(Representative::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: RepresentativeChanges,
) -> Result<Representative, diesel::result::Error> {
    diesel::update(representatives::table.find(id))
        .set((&changes, representatives::updated_at.eq(diesel::dsl::now)))
        .returning(Representative::as_returning())
        .get_result(conn)
        .await
}
