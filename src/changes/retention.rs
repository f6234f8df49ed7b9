//! Retention of the changes feed and of finished webhook deliveries: every replica prunes
//! hourly (both prunes are safe to run twice at once).

use std::time::Duration;

/// Prunes changes older than `keep` every hour, on every replica (`model::prune` is safe to run
/// twice). A failed round (the database away) is logged and tried at the next.
pub async fn prune_every_hour(pool: crate::db::DbPool, keep: Duration) {
    let mut ticks = tokio::time::interval(Duration::from_secs(3600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let keep = chrono::TimeDelta::from_std(keep).unwrap_or(chrono::TimeDelta::MAX);
        let Some(before) = chrono::Utc::now().checked_sub_signed(keep) else {
            continue;
        };
        let pruned = match pool.get().await {
            Ok(mut conn) => match super::model::prune(&mut conn, before).await {
                Ok(n) => crate::webhooks::deliveries::prune(&mut conn, before)
                    .await
                    .map(|_| n)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        match pruned {
            Ok(n) if n > 0 => tracing::info!(changes = n, "old changes pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning changes failed; trying again later"),
        }
    }
}
