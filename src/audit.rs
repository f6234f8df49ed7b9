//! The audit trail: security-relevant acts (password resets and changes, ID-number
//! collisions), who did them and to whom. Append-only in the database, like the timeline.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::audit_events;
use crate::error::ApiResult;

/// Records one act in the caller's transaction, so it exists exactly when the act does.
/// `details` holds ids and codes, never personal data.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: Option<Uuid>,
    action: &str,
    subject: Option<Uuid>,
    details: serde_json::Value,
) -> ApiResult<()> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(Uuid::now_v7()),
            audit_events::actor_id.eq(actor),
            audit_events::action.eq(action),
            audit_events::subject_id.eq(subject),
            audit_events::details.eq(details),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
