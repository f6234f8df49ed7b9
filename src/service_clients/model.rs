use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::access::filters::service_client_filter;
use crate::access::{Caller, Scope};
use crate::db::schema::service_clients;
use crate::error::ApiResult;
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = service_clients)]
pub struct ServiceClient {
    pub id: Uuid,
    pub client_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub committee_id: Option<Uuid>,
    pub secret_sha256: Vec<u8>,
    pub previous_secret_sha256: Option<Vec<u8>>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub scopes: Vec<Scope>,
    pub committee_id: Option<Uuid>,
    pub secret_sha256: Vec<u8>,
    pub created_by: Uuid,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: NewClient<'_>) -> ApiResult<ServiceClient> {
    Ok(diesel::insert_into(service_clients::table)
        .values((
            service_clients::client_id.eq(new.client_id),
            service_clients::name.eq(new.name),
            service_clients::scopes.eq(new.scopes),
            service_clients::committee_id.eq(new.committee_id),
            service_clients::secret_sha256.eq(new.secret_sha256),
            service_clients::created_by.eq(new.created_by),
        ))
        .returning(ServiceClient::as_returning())
        .get_result(conn)
        .await?)
}

/// Live (not revoked) clients the caller manages, oldest first.
pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    page: PageRequest,
) -> ApiResult<Vec<ServiceClient>> {
    let mut query = service_clients::table
        .filter(service_clients::revoked_at.is_null())
        .filter(service_client_filter(caller))
        .order(service_clients::id)
        .limit(page.fetch_limit())
        .select(ServiceClient::as_select())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(service_clients::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

/// One live client the caller manages; 404 otherwise.
pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<ServiceClient> {
    Ok(service_clients::table
        .filter(service_clients::id.eq(id))
        .filter(service_clients::revoked_at.is_null())
        .filter(service_client_filter(caller))
        .select(ServiceClient::as_select())
        .first(conn)
        .await?)
}

/// The live client presenting `client_id` at the token endpoint.
pub async fn by_client_id(
    conn: &mut AsyncPgConnection,
    client_id: &str,
) -> ApiResult<Option<ServiceClient>> {
    Ok(service_clients::table
        .filter(service_clients::client_id.eq(client_id))
        .filter(service_clients::revoked_at.is_null())
        .select(ServiceClient::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// `current` is the row the caller just loaded: the absent fields keep its values.
pub async fn update(
    conn: &mut AsyncPgConnection,
    current: ServiceClient,
    name: Option<&str>,
    scopes: Option<Vec<Scope>>,
) -> ApiResult<ServiceClient> {
    Ok(diesel::update(service_clients::table.find(current.id))
        .set((
            service_clients::name.eq(name.unwrap_or(&current.name)),
            service_clients::scopes.eq(scopes.unwrap_or(current.scopes)),
            service_clients::updated_at.eq(Utc::now()),
        ))
        .returning(ServiceClient::as_returning())
        .get_result(conn)
        .await?)
}

/// A new secret; the current one keeps working until `grace_until`.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    secret_sha256: Vec<u8>,
    grace_until: DateTime<Utc>,
) -> ApiResult<ServiceClient> {
    Ok(diesel::update(service_clients::table.find(id))
        .set((
            service_clients::previous_secret_sha256.eq(service_clients::secret_sha256.nullable()),
            service_clients::previous_secret_expires_at.eq(grace_until),
            service_clients::secret_sha256.eq(secret_sha256),
            service_clients::updated_at.eq(Utc::now()),
        ))
        .returning(ServiceClient::as_returning())
        .get_result(conn)
        .await?)
}

/// Revoked clients are kept (who had access, when) but never sign in again, and their tokens
/// stop working at once: every request loads the client.
/// Revokes a client and switches off the webhook endpoints it owned, in one transaction.
pub async fn revoke(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<()> {
    crate::db::in_transaction(conn, async |conn| {
        diesel::update(service_clients::table.find(id))
            .set(service_clients::revoked_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        crate::webhooks::model::disable_owned_by_client(conn, id).await
    })
    .await
}
