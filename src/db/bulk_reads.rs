//! Turns for reads that hold megabytes of rows while they load: a page of obligations reads a
//! year of 50 deputies' participations (35,000 rows at province scale). Without turns every
//! pooled connection may be loading one at once, and the server's memory is what they hold
//! together, while the database, on the same cores, serves them no faster side by side. Two
//! turns on 2 cores took the page's peak from 52–61 to 47–48 MiB by hand, and from 68–69 to
//! 56 MiB in the province benchmark, at the same rate (`bench/NOTES.md`, obligations page).
//!
//! A turn covers the load only: judging and writing out need no database, and a client that
//! reads its answer slowly must not keep another's page from loading.

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::ApiError;

/// One for all workers (`LIAISON_BULK_READS_AT_ONCE`, one per core by default).
pub struct BulkReads(Semaphore);

impl BulkReads {
    pub fn new(at_once: usize) -> Self {
        Self(Semaphore::new(at_once.max(1)))
    }

    /// Waits for a turn to load; the turn ends when the permit is dropped. The request waits
    /// in line holding its pooled connection, as it would have waited inside the database.
    pub async fn turn(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.0
            .acquire()
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("bulk read turns closed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_load_waits_for_a_turn_until_one_ends() {
        let reads = BulkReads::new(1);
        let first = reads.turn().await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(50), reads.turn()).await;
        assert!(
            waiting.is_err(),
            "a second load started while the only turn was taken"
        );
        drop(first);
        let second = tokio::time::timeout(Duration::from_millis(50), reads.turn()).await;
        assert!(
            second.is_ok(),
            "the turn was not handed on when the first load ended"
        );
    }

    #[tokio::test]
    async fn there_is_always_at_least_one_turn() {
        let reads = BulkReads::new(0);
        assert_eq!(reads.0.available_permits(), 1);
        let _turn = reads.turn().await.unwrap();
        assert_eq!(reads.0.available_permits(), 0);
    }
}
