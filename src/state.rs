//! What every request shares: the pool, the token service, the PII cipher and the settings.
//!
//! It sits on the ground floor: handlers import it, it imports no handler (the router lives in
//! `startup.rs`, above them), so no import ever runs from the handlers back up to the router.

use crate::auth::tokens::TokenService;
use crate::config::Settings;
use crate::db::{DbConn, DbPool};
use crate::error::ApiResult;
use crate::pii::PiiCipher;

pub struct AppState {
    pub pool: DbPool,
    /// Commits announced to long-polling readers of the changes feed (one per server).
    pub changes: std::sync::Arc<crate::changes::signal::ChangeSignal>,
    pub tokens: TokenService,
    pub pii: PiiCipher,
    pub settings: Settings,
}

impl AppState {
    pub fn new(
        settings: Settings,
        pool: DbPool,
        changes: std::sync::Arc<crate::changes::signal::ChangeSignal>,
    ) -> Self {
        Self {
            changes,
            tokens: TokenService::new(&settings.jwt),
            pii: PiiCipher::new(&settings.pii_key),
            pool,
            settings,
        }
    }

    /// One connection from the pool. A request takes one and hands it to both the caller
    /// check and the work (see `access::Authed`), so a busy pool cannot deadlock a request
    /// against itself. Reads and writes share it today; a `db_read()` for a replica would go
    /// beside it.
    pub async fn db(&self) -> ApiResult<DbConn> {
        Ok(self.pool.get().await?)
    }

    /// One connection from the pool for work already under way, which may wait `waits` times
    /// as long as a new request for one to be free, keeping its place in the queue. Any other
    /// failure (the database unreachable) is answered as for a new request.
    pub async fn db_after_waiting(&self, waits: u32) -> ApiResult<DbConn> {
        let mut timeouts = self.pool.timeouts();
        timeouts.wait = timeouts.wait.map(|wait| wait * waits);
        Ok(self.pool.timeout_get(&timeouts).await?)
    }
}
