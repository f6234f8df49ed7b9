use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::LiaisonGroupKind;
use crate::access::Caller;
use crate::access::filters::liaison_group_filter;
use crate::db::contains_pattern;
use crate::db::schema::{accounts, liaison_groups, representatives};
use crate::db::tree::subtree_of;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = liaison_groups, check_for_backend(Pg))]
pub struct LiaisonGroup {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub kind: LiaisonGroupKind,
    pub name: String,
    pub address: String,
    pub opening_hours: Option<String>,
    pub head_name: Option<String>,
    pub liaison_officers: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub head_representative_id: Option<Uuid>,
    pub officer_account_ids: Vec<Uuid>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = liaison_groups)]
pub struct NewLiaisonGroup<'a> {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub kind: LiaisonGroupKind,
    pub name: &'a str,
    pub address: &'a str,
    pub opening_hours: Option<&'a str>,
    pub head_name: Option<&'a str>,
    pub liaison_officers: &'a [String],
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = liaison_groups)]
pub struct LiaisonGroupChanges<'a> {
    pub committee_id: Option<Uuid>,
    pub kind: Option<LiaisonGroupKind>,
    pub name: Option<&'a str>,
    pub address: Option<&'a str>,
    pub opening_hours: Option<Option<&'a str>>,
    pub head_name: Option<Option<&'a str>>,
    pub liaison_officers: Option<&'a [String]>,
    pub head_representative_id: Option<Option<Uuid>>,
    pub officer_account_ids: Option<&'a [Uuid]>,
}

pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<LiaisonGroup> {
    liaison_groups::table
        .filter(liaison_groups::id.eq(id))
        .filter(liaison_group_filter(caller))
        .select(LiaisonGroup::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("liaison group"))
}

/// Filters shared by the staff list and the public list.
pub struct ListFilter<'a> {
    pub kinds: Option<Vec<&'static str>>,
    pub committee_id: Option<Uuid>,
    pub within: Option<Uuid>,
    pub q: Option<&'a str>,
}

fn filtered<'a>(filter: &ListFilter<'_>, page: PageRequest) -> liaison_groups::BoxedQuery<'a, Pg> {
    let mut query = liaison_groups::table.into_boxed();
    if let Some(kinds) = &filter.kinds {
        query = query.filter(liaison_groups::kind.eq_any(kinds.clone()));
    }
    if let Some(committee) = filter.committee_id {
        query = query.filter(liaison_groups::committee_id.eq(committee));
    }
    if let Some(root) = filter.within {
        query = query.filter(liaison_groups::committee_id.eq_any(subtree_of(root)));
    }
    if let Some(q) = filter.q.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = contains_pattern(q);
        query = query.filter(
            liaison_groups::name
                .ilike(pattern.clone())
                .or(liaison_groups::address.ilike(pattern)),
        );
    }
    if let Some(after) = page.after {
        query = query.filter(liaison_groups::id.gt(after));
    }
    query
        .order(liaison_groups::id.asc())
        .limit(page.fetch_limit())
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filter: &ListFilter<'_>,
    page: PageRequest,
) -> ApiResult<Vec<LiaisonGroup>> {
    Ok(filtered(filter, page)
        .filter(liaison_group_filter(caller))
        .select(LiaisonGroup::as_select())
        .load(conn)
        .await?)
}

/// Public list: homes and stations only, no scope.
pub async fn list_public(
    conn: &mut AsyncPgConnection,
    filter: &ListFilter<'_>,
    page: PageRequest,
) -> ApiResult<Vec<LiaisonGroup>> {
    Ok(filtered(filter, page)
        .select(LiaisonGroup::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: NewLiaisonGroup<'_>,
) -> Result<LiaisonGroup, diesel::result::Error> {
    diesel::insert_into(liaison_groups::table)
        .values(&new)
        .returning(LiaisonGroup::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: LiaisonGroupChanges<'_>,
) -> Result<LiaisonGroup, diesel::result::Error> {
    diesel::update(liaison_groups::table.find(id))
        .set((&changes, liaison_groups::updated_at.eq(diesel::dsl::now)))
        .returning(LiaisonGroup::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<usize, diesel::result::Error> {
    diesel::delete(liaison_groups::table.find(id))
        .execute(conn)
        .await
}

/// The head must be a deputy of the group.
pub async fn check_head(conn: &mut AsyncPgConnection, group: Uuid, head: Uuid) -> ApiResult<()> {
    let found: i64 = representatives::table
        .filter(representatives::id.eq(head))
        .filter(representatives::liaison_group_id.eq(group))
        .count()
        .get_result(conn)
        .await?;
    if found == 0 {
        return Err(ApiError::invalid_field(
            "head_representative_id",
            "no such deputy in this group",
        ));
    }
    Ok(())
}

/// Each officer must be an active group-staff account of the group (`field` names the list).
pub async fn check_officers(
    conn: &mut AsyncPgConnection,
    group: Uuid,
    officers: &[Uuid],
    field: &str,
) -> ApiResult<()> {
    let found: i64 = accounts::table
        .filter(accounts::id.eq_any(officers))
        .filter(accounts::role.eq("group_staff"))
        .filter(accounts::liaison_group_id.eq(group))
        .filter(accounts::disabled_at.is_null())
        .count()
        .get_result(conn)
        .await?;
    if found != officers.len() as i64 {
        return Err(ApiError::invalid_field(
            field,
            "no such active group-staff account of this group",
        ));
    }
    Ok(())
}

/// Each account must be one of the group's designated liaison officers.
pub async fn check_designated_officers(
    conn: &mut AsyncPgConnection,
    group: Uuid,
    officers: &[Uuid],
    field: &str,
) -> ApiResult<()> {
    let designated: Vec<Uuid> = liaison_groups::table
        .find(group)
        .select(liaison_groups::officer_account_ids)
        .first(conn)
        .await?;
    if officers.iter().all(|o| designated.contains(o)) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(
            field,
            "no such liaison officer of the home or station",
        ))
    }
}
