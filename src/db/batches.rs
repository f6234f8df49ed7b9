//! Background work that every replica runs on a timer, in batches: each round takes what it can
//! claim (the claims make running on several servers safe), and a full batch is followed at
//! once by the next.

use std::time::Duration;

use diesel_async::AsyncPgConnection;

use super::DbPool;
use crate::error::ApiResult;

/// Every `every` until the task is dropped: `round` with at most `batch` items, again at once
/// while it answers a full batch. A failed round (the database away) is logged under `what`
/// and tried again at the next tick; `done` hears how many items each round took.
pub async fn every<R>(
    pool: DbPool,
    every: Duration,
    batch: usize,
    what: &'static str,
    round: R,
    done: impl Fn(usize),
) where
    R: AsyncFn(&mut AsyncPgConnection) -> ApiResult<usize>,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        loop {
            let taken = match pool.get().await {
                Ok(mut conn) => round(&mut *conn).await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match taken {
                Ok(n) => {
                    done(n);
                    if n < batch {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "{what} failed; trying again later");
                    break;
                }
            }
        }
    }
}
