//! The periodic sweep for overdue referrals. Every replica runs it; `model::sweep_overdue`
//! makes that safe.

use std::time::Duration;

use crate::db::DbPool;

/// Referrals claimed per statement: keeps each transaction short when many fall due at once.
const BATCH: i64 = 500;

/// Sweeps every `every` until the task is dropped.
pub async fn run(pool: DbPool, every: Duration) {
    let round = async |conn: &mut diesel_async::AsyncPgConnection| {
        super::model::sweep_overdue(conn, BATCH).await
    };
    let announced = |n: usize| {
        if n > 0 {
            tracing::info!(referrals = n, "overdue referrals announced");
        }
    };
    crate::db::batches::every(
        pool,
        every,
        BATCH as usize,
        "overdue sweep",
        round,
        announced,
    )
    .await;
}
