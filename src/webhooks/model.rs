use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::access::filters::webhook_filter;
use crate::access::{Binding, Caller, Role};
use crate::db::schema::webhook_endpoints;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Option<Vec<String>>,
    pub owner_client_id: Option<Uuid>,
    pub owner_account_id: Option<Uuid>,
    pub committee_id: Option<Uuid>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Change types an endpoint asks for: exact (`opinion.referred`) or a kind's every type
/// (`opinion.*`), each at most once.
pub fn parse_event_types(types: &[String], field: &str) -> ApiResult<Vec<String>> {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let mut kept: Vec<String> = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let ok = matches!(t.split_once('.'), Some((kind, what)) if word(kind) && (what == "*" || word(what)));
        if !ok {
            return Err(ApiError::invalid_field(
                &format!("{field}[{i}]"),
                "must be a change type (opinion.referred) or a kind's every type (opinion.*)",
            ));
        }
        if !kept.contains(t) {
            kept.push(t.clone());
        }
    }
    Ok(kept)
}

/// Whether an endpoint asking for `patterns` (None: every type) receives `topic`.
pub fn wants(patterns: Option<&[String]>, topic: &str) -> bool {
    let Some(patterns) = patterns else {
        return true;
    };
    patterns.iter().any(|p| match p.strip_suffix(".*") {
        Some(kind) => topic.split_once('.').is_some_and(|(k, _)| k == kind),
        None => p == topic,
    })
}

pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub description: &'a str,
    pub event_types: Option<Vec<String>>,
    pub secret_sealed: Vec<u8>,
}

/// Saves an endpoint owned by the caller, reading what the caller's feed shows: a client
/// owns it as a client, a person as their account.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: NewEndpoint<'_>,
) -> ApiResult<Endpoint> {
    let (client, account) = match caller.role {
        Role::Service => (Some(caller.account_id), None),
        _ => (None, Some(caller.account_id)),
    };
    let committee = match caller.binding {
        Binding::Committee(id) => Some(id),
        _ => None,
    };
    Ok(diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::url.eq(new.url),
            webhook_endpoints::description.eq(new.description),
            webhook_endpoints::event_types.eq(new.event_types),
            webhook_endpoints::secret_sealed.eq(new.secret_sealed),
            webhook_endpoints::owner_client_id.eq(client),
            webhook_endpoints::owner_account_id.eq(account),
            webhook_endpoints::committee_id.eq(committee),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)
        .await?)
}

/// Endpoints the caller manages, oldest first.
pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    page: PageRequest,
) -> ApiResult<Vec<Endpoint>> {
    let mut query = webhook_endpoints::table
        .filter(webhook_filter(caller))
        .order(webhook_endpoints::id)
        .limit(page.fetch_limit())
        .select(Endpoint::as_select())
        .into_boxed();
    if let Some(after) = page.after {
        query = query.filter(webhook_endpoints::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

/// One endpoint the caller manages; 404 otherwise.
pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Endpoint> {
    Ok(webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .filter(webhook_filter(caller))
        .select(Endpoint::as_select())
        .first(conn)
        .await?)
}

#[derive(Debug, Default)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub event_types: Option<Option<Vec<String>>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// `current` is the row the caller just loaded: the absent fields keep its values. Switching
/// an endpoint on clears why it was off.
pub async fn update(
    conn: &mut AsyncPgConnection,
    current: Endpoint,
    changes: EndpointChanges,
) -> ApiResult<Endpoint> {
    let enabled = changes.enabled.unwrap_or(current.enabled);
    let (reason, since) = match (enabled, changes.enabled) {
        (true, _) => (None, None),
        (false, Some(false)) if current.enabled => (
            Some("switched off by its owner".to_owned()),
            Some(Utc::now()),
        ),
        (false, _) => (current.disabled_reason, current.disabled_at),
    };
    Ok(diesel::update(webhook_endpoints::table.find(current.id))
        .set((
            webhook_endpoints::url.eq(changes.url.unwrap_or(current.url)),
            webhook_endpoints::event_types.eq(changes.event_types.unwrap_or(current.event_types)),
            webhook_endpoints::description.eq(changes.description.unwrap_or(current.description)),
            webhook_endpoints::enabled.eq(enabled),
            webhook_endpoints::disabled_reason.eq(reason),
            webhook_endpoints::disabled_at.eq(since),
            webhook_endpoints::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)
        .await?)
}

/// Deletes an endpoint with its deliveries and their attempts.
pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<()> {
    diesel::delete(webhook_endpoints::table.find(id))
        .execute(conn)
        .await?;
    Ok(())
}

/// Switches off every endpoint a revoked client owned, saying why.
pub async fn disable_owned_by_client(conn: &mut AsyncPgConnection, client: Uuid) -> ApiResult<()> {
    diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::owner_client_id.eq(client))
            .filter(webhook_endpoints::enabled),
    )
    .set((
        webhook_endpoints::enabled.eq(false),
        webhook_endpoints::disabled_reason.eq("its service client was revoked"),
        webhook_endpoints::disabled_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::webhooks::model::{parse_event_types, wants};

    #[test]
    fn endpoints_receive_exact_types_and_kinds() {
        let asked = vec!["opinion.*".to_owned(), "activity.held".to_owned()];
        assert!(wants(Some(&asked), "opinion.referred"));
        assert!(wants(Some(&asked), "activity.held"));
        assert!(!wants(Some(&asked), "activity.cancelled"));
        assert!(!wants(Some(&asked), "opinions.referred"));
        assert!(wants(None, "appointment.requested"));
    }

    #[test]
    fn event_types_are_types_or_kinds() {
        let ok = parse_event_types(&["opinion.*".into(), "opinion.*".into()], "t").unwrap();
        assert_eq!(ok, ["opinion.*"]);
        for bad in [
            "opinion",
            "*",
            "opinion.",
            "Opinion.referred",
            "a.b.c",
            "opinion.re*",
        ] {
            assert!(parse_event_types(&[bad.into()], "t").is_err(), "{bad}");
        }
    }
}
