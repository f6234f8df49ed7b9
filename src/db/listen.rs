//! Wakes long-polling readers of the changes feed when changes commit. One connection per server LISTENs on
//! `liaison_changes` (the outbox trigger NOTIFYs, which PostgreSQL delivers at commit) and
//! bumps a counter every waiting reader watches. Readers also look again every second on
//! their own, so a lost connection (reconnected here) delays a reader, never strands it.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::RunQueryDsl;
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::config::DbTimeouts;

#[derive(Debug)]
pub struct ChangeSignal {
    commits: watch::Sender<u64>,
}

impl Default for ChangeSignal {
    fn default() -> Self {
        Self {
            commits: watch::channel(0).0,
        }
    }
}

impl ChangeSignal {
    /// A receiver that sees every commit announced after this call.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    fn announce(&self) {
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// How often the listening connection proves it is still there.
const PING_EVERY: Duration = Duration::from_secs(15);

/// Listens until the task is dropped, reconnecting after a second when the database goes away.
pub async fn run(url: String, timeouts: DbTimeouts, signal: Arc<ChangeSignal>) {
    loop {
        if let Err(e) = listen(&url, &timeouts, &signal).await {
            tracing::warn!(error = %e, "change notifications lost; listening again shortly");
        }
        // Whatever was committed meanwhile: let readers look.
        signal.announce();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen(url: &str, timeouts: &DbTimeouts, signal: &ChangeSignal) -> anyhow::Result<()> {
    let mut conn = crate::db::connect(url, timeouts).await?;
    diesel::sql_query("LISTEN liaison_changes")
        .execute(&mut conn)
        .await?;
    loop {
        {
            let mut notifications = std::pin::pin!(conn.notifications_stream());
            let deadline = tokio::time::sleep(PING_EVERY);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    next = notifications.next() => match next {
                        Some(Ok(_)) => signal.announce(),
                        Some(Err(e)) => return Err(e.into()),
                        None => anyhow::bail!("the notification stream ended"),
                    },
                    _ = &mut deadline => break,
                }
            }
        }
        // The stream never ends on its own when the connection dies: ask it something.
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    }
}
