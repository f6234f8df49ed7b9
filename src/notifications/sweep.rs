//! The periodic sweep for overdue referrals. Every replica runs it; `model::sweep_overdue`
//! makes that safe.

use std::time::Duration;

use crate::db::DbPool;

/// Referrals claimed per statement: keeps each transaction short when many fall due at once.
const BATCH: i64 = 500;

/// Sweeps every `every` until the task is dropped. A failed sweep (the database away) is logged
/// and tried again at the next tick.
pub async fn run(pool: DbPool, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        loop {
            let swept = match pool.get().await {
                Ok(mut conn) => super::model::sweep_overdue(&mut conn, BATCH)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match swept {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(referrals = n, "overdue referrals announced");
                    }
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "overdue sweep failed; trying again later");
                    break;
                }
            }
        }
    }
}
