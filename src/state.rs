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

    /// One connection from the pool for work already under way, which may wait up to `waits`
    /// times as long as a new request for one to be free. Any other failure (the database
    /// unreachable) is answered at once: waiting again would not mend it.
    pub async fn db_after_waiting(&self, waits: u32) -> ApiResult<DbConn> {
        use deadpool::managed::{PoolError, TimeoutType};
        let mut waited = 1;
        loop {
            match self.pool.get().await {
                Ok(conn) => return Ok(conn),
                Err(PoolError::Timeout(TimeoutType::Wait)) if waited < waits => waited += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}
