//! The transactional outbox: a change and the message announcing it commit together, so the
//! changes feed and webhooks never miss or invent one. Payloads carry ids and states only,
//! never personal data.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::db::schema::outbox;
use crate::error::ApiResult;

/// Queue a message in the caller's transaction. `topic` is `<kind>.<what happened>` (the
/// kind names the subject, `aggregate_id` its id); `committee_id` is the committee whose
/// subtree the subject belongs to, which scopes who may read the change.
pub async fn enqueue<C>(
    conn: &mut C,
    topic: &str,
    aggregate_id: Uuid,
    committee_id: Uuid,
    payload: serde_json::Value,
) -> ApiResult<()>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let kind = topic.split('.').next().unwrap_or(topic);
    diesel::insert_into(outbox::table)
        .values((
            outbox::topic.eq(topic),
            outbox::subject_kind.eq(kind),
            outbox::aggregate_id.eq(aggregate_id),
            outbox::committee_id.eq(committee_id),
            outbox::payload.eq(payload),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
