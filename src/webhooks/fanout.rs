//! Hands each committed change on to the endpoints that may read it, as deliveries. It follows
//! the changes feed with one cursor for the whole database (`webhook_fanout`), moved in the
//! transaction that writes the deliveries: a change is fanned out exactly once, by whichever
//! replica holds the cursor's row lock at the time (the others skip the round).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::wants;
use crate::access::filters::change_filter;
use crate::access::{Action, Binding, Caller, Role, Scope};
use crate::changes::dto::ChangeView;
use crate::changes::model::{self as feed, Change, Position};
use crate::db::prepared::KeepPreparedDsl;
use crate::db::schema::{outbox, webhook_deliveries, webhook_fanout};
use crate::error::{ApiError, ApiResult};

/// Changes handed on per transaction.
pub const BATCH: i64 = 500;

/// An enabled endpoint and the owner it reads as: their role, committee and scopes now, so
/// an owner who loses access stops receiving at once.
#[derive(Debug, QueryableByName)]
struct Reader {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    event_types: Option<Vec<String>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    owner_id: Uuid,
    #[diesel(sql_type = Text)]
    role: Role,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    committee_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    scopes: Option<Vec<Scope>>,
}

impl Reader {
    fn caller(&self) -> Caller {
        let binding = self
            .committee_id
            .map_or(Binding::Unbound, Binding::Committee);
        Caller::on_behalf_of(self.owner_id, self.role, binding, self.scopes.clone())
    }
}

async fn readers(conn: &mut AsyncPgConnection) -> ApiResult<Vec<Reader>> {
    Ok(diesel::sql_query(
        "SELECT e.id, e.event_types, e.created_at,
                COALESCE(c.id, a.id) AS owner_id,
                CASE WHEN c.id IS NOT NULL THEN 'service' ELSE a.role END AS role,
                CASE WHEN c.id IS NOT NULL THEN c.committee_id ELSE a.committee_id END
                    AS committee_id,
                c.scopes
         FROM webhook_endpoints e
         LEFT JOIN service_clients c ON c.id = e.owner_client_id AND c.revoked_at IS NULL
         LEFT JOIN accounts a ON a.id = e.owner_account_id AND a.disabled_at IS NULL
         WHERE e.enabled AND (c.id IS NOT NULL OR a.id IS NOT NULL)",
    )
    .keep_prepared()
    .load(conn)
    .await?)
}

/// What an endpoint receives for a change: Standard Webhooks' `{type, timestamp, data}`, with
/// the feed's own item as `data`.
fn body(change: &Change) -> String {
    let item = ChangeView::from(change.clone());
    serde_json::json!({
        "type": item.change_type,
        "timestamp": item.occurred_at,
        "data": item,
    })
    .to_string()
}

/// One round: up to `BATCH` changes handed on. Answers how many changes it passed (0 when
/// there were none, or another replica holds the cursor).
pub async fn fan_out(conn: &mut AsyncPgConnection) -> ApiResult<usize> {
    // Every replica asks every second: look before locking, so an idle database sees two reads,
    // not a row lock (a write) and a transaction holding the feed's horizon back.
    let (txid, seq): (i64, i64) = webhook_fanout::table
        .select((webhook_fanout::txid, webhook_fanout::seq))
        .first(conn)
        .await?;
    if feed::all_after(conn, Position { txid, seq }, 1)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    // diesel-async's transaction: the worker is a spawned task, whose future must be Send.
    conn.transaction::<_, ApiError, _>(async |conn| {
        {
            let cursor: Option<(i64, i64)> = webhook_fanout::table
                .select((webhook_fanout::txid, webhook_fanout::seq))
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?;
            let Some((txid, seq)) = cursor else {
                return Ok(0);
            };
            let changes = feed::all_after(conn, Position { txid, seq }, BATCH).await?;
            let Some(last) = changes.last().map(Change::position) else {
                return Ok(0);
            };
            let mut rows = Vec::new();
            for reader in readers(conn).await? {
                let caller = reader.caller();
                if !caller.may(Action::ReadChanges) {
                    continue;
                }
                let asked: Vec<i64> = changes
                    .iter()
                    .filter(|c| c.created_at >= reader.created_at)
                    .filter(|c| wants(reader.event_types.as_deref(), &c.topic))
                    .map(|c| c.seq)
                    .collect();
                if asked.is_empty() {
                    continue;
                }
                let readable: Vec<i64> = outbox::table
                    .filter(outbox::seq.eq_any(&asked))
                    .filter(change_filter(&caller))
                    .select(outbox::seq)
                    .load(conn)
                    .await?;
                for change in changes.iter().filter(|c| readable.contains(&c.seq)) {
                    rows.push((
                        webhook_deliveries::endpoint_id.eq(reader.id),
                        webhook_deliveries::event_type.eq(change.topic.clone()),
                        webhook_deliveries::change_seq.eq(Some(change.seq)),
                        webhook_deliveries::body.eq(body(change)),
                    ));
                }
            }
            // PostgreSQL takes at most 65,535 parameters a statement: 4 a row.
            for chunk in rows.chunks(10_000) {
                diesel::insert_into(webhook_deliveries::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
            }
            diesel::update(webhook_fanout::table)
                .set((
                    webhook_fanout::txid.eq(last.txid),
                    webhook_fanout::seq.eq(last.seq),
                ))
                .keep_prepared()
                .execute(conn)
                .await?;
            Ok(changes.len())
        }
    })
    .await
}
