//! The delivery loop every replica runs: hand new changes on to endpoints, claim due
//! deliveries, send each attempt signed, write down what came of it. Replicas share the work
//! through row locks (`fanout`, `deliveries::claim`), never through each other.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::deliveries::{self, Claimed, Outcome};
use super::{guard, signing};
use crate::changes::signal::ChangeSignal;
use crate::config::WebhookSettings;
use crate::db::DbPool;
use crate::error::ApiResult;
use crate::pii::Sealer;

/// Deliveries claimed (and sent at once, side by side) per round.
const CLAIM: i64 = 16;
/// How often an idle replica looks for retries that have come due.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// Rounds start at most this often unless a backlog is being worked off: under a stream of
/// changes each round hands on what gathered meanwhile, where a round per commit cost every
/// write a few statements more (about two a refer).
const GATHER: Duration = Duration::from_millis(50);
/// How much of an endpoint's answer is read: only its status matters.
const READ_AT_MOST: usize = 16 * 1024;

/// What a round leaves for the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// A full batch of changes or of deliveries: there may be more; the next round at once.
    Backlog,
    /// Something was done (new deliveries may now be due): the next round shortly.
    Worked,
    /// Nothing to do: the next round when a change is announced (`changes::watch`), or when
    /// retries may be due.
    Idle,
}

/// How long a connection to an endpoint is kept idle for the next delivery. Below the 5 s
/// keep-alive of common receivers (Node, Apache, actix-web, which closes at 4.5-5 s): a
/// delivery written on a connection just as the receiver closes it fails unread (measured
/// with this project's test client), which would cost the delivery an attempt and a retry.
const IDLE_CONNECTION_KEPT: Duration = Duration::from_secs(3);

pub struct Worker {
    pool: DbPool,
    settings: WebhookSettings,
    sealer: Sealer,
    http: reqwest::Client,
}

impl Worker {
    pub fn new(pool: DbPool, settings: WebhookSettings, master_key: &[u8]) -> anyhow::Result<Self> {
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .timeout(settings.timeout)
            .pool_idle_timeout(IDLE_CONNECTION_KEPT)
            .user_agent(concat!("liaison-webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private {
            http = http.dns_resolver(Arc::new(guard::PublicOnlyResolver));
        }
        Ok(Self {
            pool,
            sealer: signing::sealer(master_key),
            http: http.build()?,
            settings,
        })
    }

    /// A claim outlives the longest attempt with room to spare, so no other server takes a
    /// delivery whose attempt may still be under way.
    fn lease(&self) -> Duration {
        self.settings.timeout * 2 + Duration::from_secs(5)
    }

    /// Runs until the task is dropped. A failed round (the database away) is logged and the
    /// next one tried shortly.
    pub async fn run(self, commits: Arc<ChangeSignal>) {
        let mut commits = commits.subscribe();
        loop {
            let started = Instant::now();
            let next = match self.round().await {
                Ok(next) => next,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook round failed; trying again shortly");
                    Round::Idle
                }
            };
            match next {
                Round::Backlog => continue,
                Round::Worked => {}
                Round::Idle => {
                    let _ = tokio::time::timeout(LOOK_AGAIN, commits.changed()).await;
                }
            }
            tokio::time::sleep(GATHER.saturating_sub(started.elapsed())).await;
        }
    }

    /// One round, and what it leaves for the next.
    async fn round(&self) -> ApiResult<Round> {
        let mut conn = self
            .pool
            .get()
            .await
            .map_err(crate::error::ApiError::service_unavailable)?;
        let fanned = super::fanout::fan_out(&mut conn).await?;
        let claimed = deliveries::claim(&mut conn, CLAIM, self.lease()).await?;
        let outcomes =
            futures_util::future::join_all(claimed.iter().map(|c| self.attempt(c))).await;
        for (claim, outcome) in claimed.iter().zip(&outcomes) {
            deliveries::record(&mut conn, claim, outcome, &self.settings.retry_schedule).await?;
        }
        Ok(
            if fanned as i64 == super::fanout::BATCH || claimed.len() as i64 == CLAIM {
                Round::Backlog
            } else if fanned > 0 || !claimed.is_empty() {
                Round::Worked
            } else {
                Round::Idle
            },
        )
    }

    async fn attempt(&self, claim: &Claimed) -> Outcome {
        let at = Utc::now();
        let started = Instant::now();
        let answer = self.send(claim, at.timestamp()).await;
        let (status, error) = match answer {
            Ok(status) => (Some(status), None),
            Err(e) => (None, Some(e)),
        };
        Outcome {
            at,
            status,
            latency: started.elapsed(),
            error,
        }
    }

    async fn send(&self, claim: &Claimed, timestamp: i64) -> Result<u16, String> {
        guard::check_shape(&claim.url, self.settings.allow_private)?;
        let secret = self
            .sealer
            .open(&claim.secret_sealed)
            .and_then(|s| String::from_utf8(s).ok())
            .ok_or("the endpoint's secret cannot be unsealed with this server's key")?;
        let id = deliveries::message_id(claim.id);
        let signature = signing::sign(&secret, &id, timestamp, &claim.body);
        let mut response = self
            .http
            .post(&claim.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(claim.body.clone())
            .send()
            .await
            .map_err(describe)?;
        let status = response.status().as_u16();
        // Read a little of the answer so the connection can be reused; never all of it.
        let mut read = 0;
        while read < READ_AT_MOST {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        Ok(status)
    }
}

/// A failed request in a line: what reqwest says and what caused it, without the body.
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let line = if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    };
    line.chars().take(300).collect()
}
