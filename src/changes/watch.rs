//! Wakes long-polling readers of the changes feed, and the webhook fan-out, when changes
//! become servable. Each server looks at the feed's servable head (`model::servable_head`) on
//! a connection of its own every `LOOK_EVERY` and bumps a counter every waiting reader
//! watches when the head moved. Readers also look again every second on their own, so a lost
//! connection (reconnected here) delays a reader, never strands it.
//!
//! Writers do not NOTIFY: PostgreSQL serialises the commits of notifying transactions (a
//! database-wide lock held through the commit's flush), so under a stream of writes each
//! waited for the one before it to reach the disk (migration 000019). Watching costs a
//! one-row index read ten times a second per server, and wakes readers when a change can be
//! served: a commit behind an older transaction still running could not be, and its NOTIFY
//! woke them for nothing.

use std::sync::Arc;
use std::time::Duration;

use super::model::{Position, servable_head};
use super::signal::ChangeSignal;
use crate::config::DbTimeouts;

/// How often each server looks at the feed's head.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// Watches until the task is dropped, reconnecting after a second when the database goes
/// away.
pub async fn run(url: String, timeouts: DbTimeouts, signal: Arc<ChangeSignal>) {
    loop {
        if let Err(e) = watch_head(&url, &timeouts, &signal).await {
            tracing::warn!(error = %e, "cannot watch the changes feed; trying again shortly");
        }
        // Whatever was committed meanwhile: let readers look.
        signal.announce();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn watch_head(url: &str, timeouts: &DbTimeouts, signal: &ChangeSignal) -> anyhow::Result<()> {
    let mut conn = crate::db::connect(url, timeouts).await?;
    let mut seen: Option<Position> = servable_head(&mut conn).await?;
    let mut ticks = tokio::time::interval(LOOK_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let head = servable_head(&mut conn).await?;
        if head != seen {
            seen = head;
            signal.announce();
        }
    }
}
