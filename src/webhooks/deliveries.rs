//! Deliveries: one message to one endpoint, tried until it is acknowledged or its retry
//! schedule runs out. A server claims due deliveries in a short transaction (`FOR UPDATE SKIP
//! LOCKED`) and leases them, so replicas share the work and never send one attempt twice, and
//! no transaction stays open while an endpoint is slow (an open one would hold the changes
//! feed back). A server killed mid-attempt leaves a lease that simply runs out.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schedule::RetrySchedule;
use crate::db::prepared::KeepPreparedDsl;
use crate::db::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::db::text_enum;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

text_enum!(
    /// `pending` until acknowledged (`delivered`) or given up (`failed`).
    DeliveryState {
        Pending => "pending",
        Delivered => "delivered",
        Failed => "failed",
    }
);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub leased_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
}

/// The `webhook-id` of every attempt of a delivery.
pub fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}

/// Queues a `ping` to the endpoint, due at once.
pub async fn enqueue_ping(conn: &mut AsyncPgConnection, endpoint: Uuid) -> ApiResult<Delivery> {
    let body = serde_json::json!({
        "type": "ping",
        "timestamp": Utc::now(),
        "data": {"webhook_id": endpoint},
    });
    Ok(diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::endpoint_id.eq(endpoint),
            webhook_deliveries::event_type.eq("ping"),
            webhook_deliveries::body.eq(body.to_string()),
        ))
        .returning(Delivery::as_returning())
        .get_result(conn)
        .await?)
}

/// An endpoint's deliveries, newest first, each with its attempts (two statements a page).
pub async fn list(
    conn: &mut AsyncPgConnection,
    endpoint: Uuid,
    page: PageRequest,
) -> ApiResult<Vec<(Delivery, Vec<Attempt>)>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .order(webhook_deliveries::id.desc())
        .limit(page.fetch_limit())
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(before) = page.after {
        query = query.filter(webhook_deliveries::id.lt(before));
    }
    let deliveries: Vec<Delivery> = query.load(conn).await?;
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let attempts: Vec<Attempt> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order((webhook_attempts::delivery_id, webhook_attempts::attempt))
        .select(Attempt::as_select())
        .load(conn)
        .await?;
    let mut by_delivery: HashMap<Uuid, Vec<Attempt>> = HashMap::new();
    for a in attempts {
        by_delivery.entry(a.delivery_id).or_default().push(a);
    }
    Ok(deliveries
        .into_iter()
        .map(|d| {
            let tries = by_delivery.remove(&d.id).unwrap_or_default();
            (d, tries)
        })
        .collect())
}

/// One delivery of an endpoint; 404 otherwise.
pub async fn find(conn: &mut AsyncPgConnection, endpoint: Uuid, id: Uuid) -> ApiResult<Delivery> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .select(Delivery::as_select())
        .first(conn)
        .await?)
}

/// Puts a delivery back on its schedule from the start, due now, with the same message id.
/// An attempt already under way still counts: if it is acknowledged the delivery is done.
pub async fn retry(conn: &mut AsyncPgConnection, delivery: &Delivery) -> ApiResult<Delivery> {
    Ok(
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq(delivery.id)))
            .set((
                webhook_deliveries::state.eq(DeliveryState::Pending),
                webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
                webhook_deliveries::retry_base.eq(webhook_deliveries::attempts),
                webhook_deliveries::delivered_at.eq(None::<DateTime<Utc>>),
            ))
            .returning(Delivery::as_returning())
            .get_result(conn)
            .await?,
    )
}

/// A delivery claimed for one attempt, with what sending it needs.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: Uuid,
    #[diesel(sql_type = Text)]
    pub body: String,
    /// This attempt's number (1 for the first).
    #[diesel(sql_type = Integer)]
    pub attempt: i32,
    #[diesel(sql_type = Integer)]
    pub retry_base: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Bytea)]
    pub secret_sealed: Vec<u8>,
}

/// Claims up to `limit` due deliveries of enabled endpoints for one attempt each, leased for
/// `lease`. Rows another server is claiming are skipped, not waited for.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
) -> ApiResult<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "WITH due AS (
             SELECT d.id FROM webhook_deliveries d
             JOIN webhook_endpoints e ON e.id = d.endpoint_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND e.enabled
               AND (d.leased_until IS NULL OR d.leased_until < now())
             ORDER BY d.next_attempt_at
             LIMIT $1
             FOR UPDATE OF d SKIP LOCKED
         )
         UPDATE webhook_deliveries d
         SET attempts = d.attempts + 1, leased_until = now() + $2 * interval '1 millisecond'
         FROM due, webhook_endpoints e
         WHERE d.id = due.id AND e.id = d.endpoint_id
         RETURNING d.id, d.endpoint_id, d.body, d.attempts AS attempt, d.retry_base, e.url,
                   e.secret_sealed",
    )
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
    .keep_prepared()
    .load(conn)
    .await?)
}

/// What one attempt came to. A 2xx answer acknowledges the message.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub latency: Duration,
    pub error: Option<String>,
}

impl Outcome {
    pub fn acknowledged(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Writes an attempt down and decides what comes next: done, another try after the
/// schedule's wait, or giving up, which also switches the endpoint off and says why. Only the
/// holder of the attempt's claim writes (a lease that ran out and was claimed again belongs
/// to the newer attempt).
pub async fn record(
    conn: &mut AsyncPgConnection,
    claimed: &Claimed,
    outcome: &Outcome,
    schedule: &RetrySchedule,
) -> ApiResult<()> {
    let error = outcome.error.clone().or_else(|| {
        (!outcome.acknowledged()).then(|| format!("HTTP {}", outcome.status.unwrap_or_default()))
    });
    let failed_in_schedule = u32::try_from(claimed.attempt - claimed.retry_base).unwrap_or(0);
    let wait = if outcome.acknowledged() {
        None
    } else {
        schedule.wait_after(failed_in_schedule)
    };
    // diesel-async's transaction, not `db::in_transaction`: this runs on a spawned task, whose
    // future must be provably Send.
    conn.transaction::<_, ApiError, _>(async |conn| {
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(claimed.id),
                webhook_attempts::attempt.eq(claimed.attempt),
                webhook_attempts::attempted_at.eq(outcome.at),
                webhook_attempts::status_code.eq(outcome.status.map(i32::from)),
                webhook_attempts::latency_ms
                    .eq(i32::try_from(outcome.latency.as_millis()).unwrap_or(i32::MAX)),
                webhook_attempts::error.eq(&error),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let mine = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(claimed.id))
            .filter(webhook_deliveries::attempts.eq(claimed.attempt))
            .filter(webhook_deliveries::state.eq(DeliveryState::Pending));
        if outcome.acknowledged() {
            diesel::update(mine)
                .set((
                    webhook_deliveries::state.eq(DeliveryState::Delivered),
                    webhook_deliveries::delivered_at.eq(diesel::dsl::now),
                    webhook_deliveries::leased_until.eq(None::<DateTime<Utc>>),
                    webhook_deliveries::last_error.eq(None::<String>),
                ))
                .execute(conn)
                .await?;
        } else if let Some(wait) = wait {
            let next = outcome.at + chrono::TimeDelta::from_std(wait).unwrap_or_default();
            diesel::update(mine)
                .set((
                    webhook_deliveries::next_attempt_at.eq(next),
                    webhook_deliveries::leased_until.eq(None::<DateTime<Utc>>),
                    webhook_deliveries::last_error.eq(&error),
                ))
                .execute(conn)
                .await?;
        } else {
            let why = format!(
                "gave up after {} attempts over the retry schedule: {}",
                failed_in_schedule,
                error.as_deref().unwrap_or("no answer")
            );
            let gave_up = diesel::update(mine)
                .set((
                    webhook_deliveries::state.eq(DeliveryState::Failed),
                    webhook_deliveries::leased_until.eq(None::<DateTime<Utc>>),
                    webhook_deliveries::last_error.eq(&why),
                ))
                .execute(conn)
                .await?;
            if gave_up > 0 {
                diesel::update(
                    webhook_endpoints::table
                        .filter(webhook_endpoints::id.eq(claimed.endpoint_id))
                        .filter(webhook_endpoints::enabled),
                )
                .set((
                    webhook_endpoints::enabled.eq(false),
                    webhook_endpoints::disabled_reason
                        .eq(format!("{} {why}", message_id(claimed.id))),
                    webhook_endpoints::disabled_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            }
        }
        Ok(())
    })
    .await
}

/// Drops finished deliveries (and their attempts) older than `before`.
pub async fn prune(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> ApiResult<usize> {
    Ok(diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::state.ne(DeliveryState::Pending))
            .filter(webhook_deliveries::created_at.lt(before)),
    )
    .execute(conn)
    .await?)
}
