//! What waiting readers of the changes feed watch: a counter `watch` bumps when changes
//! become servable. A module of its own so the application state can hold it without
//! depending on the feed's queries.

use tokio::sync::watch;

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
    /// A receiver that sees every change announced after this call.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    pub(super) fn announce(&self) {
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }
}
