use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::UserListQuery;
use crate::access::Role;
use crate::access::filters::account_filter;
use crate::access::{Binding, Caller};
use crate::db::contains_pattern;
use crate::db::schema::{
    accounts, committees, handling_bodies, liaison_groups, representatives, voters,
};
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts, check_for_backend(diesel::pg::Pg))]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub committee_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub handling_body_id: Option<Uuid>,
    pub representative_id: Option<Uuid>,
    pub voter_id: Option<Uuid>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    pub fn binding(&self) -> Binding {
        Binding::from_columns((
            self.committee_id,
            self.liaison_group_id,
            self.handling_body_id,
            self.representative_id,
            self.voter_id,
        ))
    }
}

/// The binding columns of an account, exactly one set (or none) per the table's CHECKs.
#[derive(Debug, Clone, Copy, AsChangeset, Insertable)]
#[diesel(table_name = accounts, treat_none_as_null = true)]
pub struct BindingColumns {
    pub committee_id: Option<Uuid>,
    pub liaison_group_id: Option<Uuid>,
    pub handling_body_id: Option<Uuid>,
    pub representative_id: Option<Uuid>,
    pub voter_id: Option<Uuid>,
}

impl From<Binding> for BindingColumns {
    fn from(b: Binding) -> Self {
        let (committee_id, liaison_group_id, handling_body_id, representative_id, voter_id) =
            b.columns();
        Self {
            committee_id,
            liaison_group_id,
            handling_body_id,
            representative_id,
            voter_id,
        }
    }
}

pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Account> {
    accounts::table
        .filter(accounts::id.eq(id))
        .filter(account_filter(caller))
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("user"))
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filters: &UserListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Account>> {
    let mut query = accounts::table.filter(account_filter(caller)).into_boxed();
    if let Some(role) = filters.role {
        query = query.filter(accounts::role.eq(role.as_str()));
    }
    if let Some(scope) = filters.scope_id {
        query = query.filter(
            accounts::committee_id
                .eq(scope)
                .or(accounts::liaison_group_id.eq(scope))
                .or(accounts::handling_body_id.eq(scope)),
        );
    }
    match filters.disabled {
        Some(true) => query = query.filter(accounts::disabled_at.is_not_null()),
        Some(false) => query = query.filter(accounts::disabled_at.is_null()),
        None => {}
    }
    if let Some(q) = filters
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        query = query.filter(accounts::username.ilike(contains_pattern(q)));
    }
    if let Some(after) = page.after {
        query = query.filter(accounts::id.gt(after));
    }
    Ok(query
        .order(accounts::id.asc())
        .limit(page.fetch_limit())
        .select(Account::as_select())
        .load(conn)
        .await?)
}

/// Records an account can be bound to that show their account id.
#[derive(Debug, Clone, Copy)]
pub enum BoundRecord {
    Representative,
    Voter,
}

/// The account bound to each record in `ids` that has one: one query for a whole page.
pub async fn accounts_bound_to(
    conn: &mut AsyncPgConnection,
    kind: BoundRecord,
    ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, Uuid>> {
    let query = accounts::table
        .select((
            accounts::id,
            accounts::representative_id,
            accounts::voter_id,
        ))
        .into_boxed();
    let query = match kind {
        BoundRecord::Representative => query.filter(accounts::representative_id.eq_any(ids)),
        BoundRecord::Voter => query.filter(accounts::voter_id.eq_any(ids)),
    };
    let rows: Vec<(Uuid, Option<Uuid>, Option<Uuid>)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(account, representative, voter)| {
            representative.or(voter).map(|record| (record, account))
        })
        .collect())
}

pub async fn account_bound_to(
    conn: &mut AsyncPgConnection,
    kind: BoundRecord,
    id: Uuid,
) -> ApiResult<Option<Uuid>> {
    Ok(accounts_bound_to(conn, kind, &[id]).await?.remove(&id))
}

/// The display name of what a binding points at, for `/me`.
pub async fn binding_name(
    conn: &mut AsyncPgConnection,
    binding: Binding,
) -> ApiResult<Option<String>> {
    Ok(match binding {
        Binding::Unbound => None,
        Binding::Representative(id) => representatives::table
            .find(id)
            .select(representatives::name)
            .first(conn)
            .await
            .optional()?,
        Binding::Voter(id) => voters::table
            .find(id)
            .select(voters::name)
            .first(conn)
            .await
            .optional()?,
        Binding::Committee(id) => committees::table
            .find(id)
            .select(committees::name)
            .first(conn)
            .await
            .optional()?,
        Binding::LiaisonGroup(id) => liaison_groups::table
            .find(id)
            .select(liaison_groups::name)
            .first(conn)
            .await
            .optional()?,
        Binding::HandlingBody(id) => handling_bodies::table
            .find(id)
            .select(handling_bodies::name)
            .first(conn)
            .await
            .optional()?,
    })
}

/// Creates an admin, or resets an existing account of that name to an enabled admin with the
/// given password hash. Used by `liaison create-admin`.
pub async fn upsert_admin(
    conn: &mut AsyncPgConnection,
    username: &str,
    password_hash: &str,
) -> anyhow::Result<Uuid> {
    use crate::db::lower;
    let existing: Option<Uuid> = accounts::table
        .filter(lower(accounts::username).eq(lower(username)))
        .select(accounts::id)
        .first(conn)
        .await
        .optional()?;
    let id = match existing {
        Some(id) => {
            diesel::update(accounts::table.find(id))
                .set((
                    accounts::password_hash.eq(password_hash),
                    accounts::role.eq("admin"),
                    BindingColumns::from(Binding::Unbound),
                    accounts::disabled_at.eq(None::<DateTime<Utc>>),
                    accounts::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            crate::auth::sessions::revoke_all_for_account(conn, id, "password_reset")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            diesel::insert_into(accounts::table)
                .values((
                    accounts::id.eq(id),
                    accounts::username.eq(username),
                    accounts::password_hash.eq(password_hash),
                    accounts::role.eq("admin"),
                ))
                .execute(conn)
                .await?;
            id
        }
    };
    Ok(id)
}
