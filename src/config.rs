//! Configuration, read once from the environment at start-up (see the README's table).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};

/// A signing key for access tokens. Several may be configured so that tokens signed with a
/// retired key stay valid until they expire; only `Settings::jwt.signing` signs new ones.
#[derive(Clone)]
pub struct JwtKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for JwtKey {
    // The secret must never reach a log line, even a debug one.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwtKey {
    /// Refuses secrets an attacker could guess or brute-force.
    pub fn parse(kid: &str, secret: &str) -> anyhow::Result<Self> {
        let distinct = secret
            .chars()
            .collect::<std::collections::HashSet<_>>()
            .len();
        if secret.len() < 32 || distinct < 10 {
            bail!(
                "JWT secret for key `{kid}` is too weak: use at least 32 random bytes \
                 (e.g. `openssl rand -base64 48`)"
            );
        }
        if kid.is_empty() || kid.len() > 64 {
            bail!("JWT key id must be 1 to 64 characters");
        }
        Ok(Self {
            kid: kid.to_owned(),
            secret: secret.as_bytes().to_vec(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub signing: JwtKey,
    pub verify_only: Vec<JwtKey>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct LoginThrottleSettings {
    /// Failures for one account from one client address (OWASP: throttle the pair, so a
    /// stranger guessing from elsewhere does not lock the owner out).
    pub max_failures_per_account: i32,
    /// Failures for one account from everywhere: a ceiling against distributed guessing, high
    /// enough that one stranger cannot lock a known account out.
    pub max_failures_per_account_total: i32,
    /// Failures from one client address across accounts (credential stuffing).
    pub max_failures_per_address: i32,
    pub window: Duration,
}

/// How long the service waits on its database before it answers 503 instead.
#[derive(Debug, Clone)]
pub struct DbTimeouts {
    /// `statement_timeout` of every pooled connection.
    pub statement: Duration,
    /// `lock_timeout`: a request waiting on a lock gives up sooner than on slow work.
    pub lock: Duration,
    /// `idle_in_transaction_session_timeout`: a transaction left open is ended by the server.
    pub idle_in_transaction: Duration,
    /// Waiting for a free pooled connection.
    pub pool_wait: Duration,
    /// Opening a connection, and recycling a pooled one (no query is run to check it).
    pub connect: Duration,
    /// How long `serve` keeps retrying a database that is not there yet before it gives up.
    pub startup: Duration,
}

impl Default for DbTimeouts {
    fn default() -> Self {
        Self {
            statement: Duration::from_secs(5),
            lock: Duration::from_secs(2),
            idle_in_transaction: Duration::from_secs(10),
            pool_wait: Duration::from_secs(3),
            connect: Duration::from_secs(3),
            startup: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub db_pool_size: usize,
    /// Bulk reads (a page of obligations) loading at once, across the workers.
    pub bulk_reads_at_once: usize,
    pub db_timeouts: DbTimeouts,
    pub bind: SocketAddr,
    pub workers: usize,
    pub jwt: JwtSettings,
    pub login_throttle: LoginThrottleSettings,
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    /// Take the client address from X-Forwarded-For / Forwarded. Only safe behind a proxy
    /// that overwrites these headers, otherwise clients could dodge the log-in rate limit.
    pub trust_proxy_headers: bool,
    /// TLS terminates in front of the service: send `Strict-Transport-Security`.
    pub hsts: bool,
    /// Master key for voters' ID numbers (encryption and lookup hash).
    pub pii_key: Vec<u8>,
    pub registration: RegistrationSettings,
    pub demo: bool,
    /// How often each replica sweeps for overdue referrals to notify; None switches it off.
    pub notification_sweep: Option<Duration>,
    /// How long the changes feed keeps a change (`LIAISON_CHANGES_RETENTION_DAYS`, default 180).
    pub changes_retention: Duration,
    /// An opinion report over more measures than this, with a whole month in its period, is
    /// read from yearly and monthly sums, its durations to within 2% (`LIAISON_STATS_EXACT_UP_TO`,
    /// default 50 000); smaller ones are exact.
    pub stats_exact_up_to: i64,
    pub webhooks: WebhookSettings,
}

/// How webhooks are delivered (see the README's integration guide).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Let endpoints be plain http or resolve to loopback, private, link-local or metadata
    /// addresses (`LIAISON_WEBHOOK_ALLOW_PRIVATE`): for tests and a closed network only.
    pub allow_private: bool,
    /// Waits between attempts (`LIAISON_WEBHOOK_RETRY_SCHEDULE`); a delivery that fails after
    /// the last gives up and disables its endpoint.
    pub retry_schedule: crate::webhooks::schedule::RetrySchedule,
    /// One attempt's whole time, connecting included (`LIAISON_WEBHOOK_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// Deliver from this replica at all (`LIAISON_WEBHOOK_DELIVERY`, default true).
    pub deliver: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_schedule: Default::default(),
            timeout: Duration::from_secs(10),
            deliver: true,
        }
    }
}

/// How one-time codes reach a self-registering voter's phone (`LIAISON_SMS_SENDER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsSender {
    /// No sender: self-registered voters are verified by staff only.
    None,
    /// Appends `phone code` lines to a file (`LIAISON_SMS_DEV_FILE`), for tests and `make run`;
    /// never a log line.
    Dev(std::path::PathBuf),
    /// POSTs `{"phone", "text"}` as JSON to an SMS gateway (`LIAISON_SMS_HTTP_URL`).
    Http(String),
}

#[derive(Debug, Clone)]
pub struct RegistrationSettings {
    pub max_per_address: i32,
    pub window: Duration,
    pub sms: SmsSender,
}

/// Used only by `--demo`, so demo data stays readable across restarts. Never in production.
pub const DEMO_PII_KEY: &str = "demo-only-pii-key-never-use-in-production";

fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match env_opt(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={raw:?} is invalid: {e}")),
    }
}

impl Settings {
    /// Reads the environment. In demo mode a missing JWT secret is replaced by a random one,
    /// so demo tokens die with the process; outside demo mode it is required.
    pub fn from_env(demo: bool) -> anyhow::Result<Self> {
        let database_url = env_opt("DATABASE_URL").context("DATABASE_URL is required")?;
        let kid = env_opt("LIAISON_JWT_KID").unwrap_or_else(|| "primary".into());
        let signing = match env_opt("LIAISON_JWT_SECRET") {
            Some(secret) => JwtKey::parse(&kid, &secret)?,
            None if demo => JwtKey {
                kid,
                secret: crate::auth::tokens::random_token().into_bytes(),
            },
            None => {
                bail!("LIAISON_JWT_SECRET is required (at least 32 random bytes) outside demo mode")
            }
        };
        let verify_only = match env_opt("LIAISON_JWT_PREVIOUS_KEYS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|pair| {
                    let (kid, secret) = pair.split_once('=').context(
                        "LIAISON_JWT_PREVIOUS_KEYS takes kid=secret pairs separated by commas",
                    )?;
                    JwtKey::parse(kid.trim(), secret.trim())
                })
                .collect::<anyhow::Result<_>>()?,
        };
        let pii_key = match env_opt("LIAISON_PII_KEY") {
            Some(key) if key.len() >= 32 => key.into_bytes(),
            Some(_) => bail!(
                "LIAISON_PII_KEY must be at least 32 characters (e.g. `openssl rand -base64 48`)"
            ),
            None if demo => DEMO_PII_KEY.as_bytes().to_vec(),
            None => bail!(
                "LIAISON_PII_KEY is required outside demo mode: it encrypts voters' ID numbers"
            ),
        };
        let cors_origins = env_opt("LIAISON_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            database_url,
            // Four per core: the database shares the cores, and more statements at once than
            // it can run only queue inside it, where a request's wait is longest (on 2 cores,
            // 16 connections gave GET one opinion a p99 of 11-18 ms, and 8 gave 6-8.5 ms, for
            // 3% fewer requests a second; writes were level; bench/NOTES.md).
            db_pool_size: env_parse("LIAISON_DB_POOL_SIZE", 4 * cores)?,
            // One per core: the database, on the same cores, loads them no faster side by side,
            // and each holds megabytes of rows (`db::bulk_reads`).
            bulk_reads_at_once: env_parse("LIAISON_BULK_READS_AT_ONCE", cores)?,
            db_timeouts: {
                let d = DbTimeouts::default();
                let ms = |name: &str, default: Duration| -> anyhow::Result<Duration> {
                    Ok(Duration::from_millis(env_parse(
                        name,
                        default.as_millis() as u64,
                    )?))
                };
                DbTimeouts {
                    statement: ms("LIAISON_DB_STATEMENT_TIMEOUT_MS", d.statement)?,
                    lock: ms("LIAISON_DB_LOCK_TIMEOUT_MS", d.lock)?,
                    idle_in_transaction: ms(
                        "LIAISON_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                        d.idle_in_transaction,
                    )?,
                    pool_wait: ms("LIAISON_DB_POOL_WAIT_MS", d.pool_wait)?,
                    connect: ms("LIAISON_DB_CONNECT_TIMEOUT_MS", d.connect)?,
                    startup: Duration::from_secs(env_parse(
                        "LIAISON_DB_STARTUP_WAIT_SECS",
                        d.startup.as_secs(),
                    )?),
                }
            },
            bind: env_parse("LIAISON_BIND", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
            workers: env_parse("LIAISON_WORKERS", cores)?,
            jwt: JwtSettings {
                signing,
                verify_only,
                issuer: env_opt("LIAISON_JWT_ISSUER").unwrap_or_else(|| "liaison".into()),
                audience: env_opt("LIAISON_JWT_AUDIENCE").unwrap_or_else(|| "liaison-api".into()),
                access_ttl: Duration::from_secs(env_parse("LIAISON_ACCESS_TOKEN_TTL_SECS", 900)?),
                refresh_ttl: Duration::from_secs(env_parse(
                    "LIAISON_REFRESH_TOKEN_TTL_SECS",
                    30 * 86_400,
                )?),
            },
            login_throttle: LoginThrottleSettings {
                max_failures_per_account: env_parse("LIAISON_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)?,
                max_failures_per_account_total: env_parse(
                    "LIAISON_LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL",
                    100,
                )?,
                max_failures_per_address: env_parse("LIAISON_LOGIN_MAX_FAILURES_PER_ADDRESS", 50)?,
                window: Duration::from_secs(env_parse("LIAISON_LOGIN_WINDOW_SECS", 900)?),
            },
            cors_origins,
            max_body_bytes: env_parse("LIAISON_MAX_BODY_BYTES", 1024 * 1024)?,
            notification_sweep: match env_parse("LIAISON_NOTIFICATION_SWEEP_SECS", 60u64)? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            changes_retention: Duration::from_secs(
                86_400 * env_parse::<u64>("LIAISON_CHANGES_RETENTION_DAYS", 180)?.max(1),
            ),
            stats_exact_up_to: env_parse("LIAISON_STATS_EXACT_UP_TO", 50_000)?,
            webhooks: WebhookSettings {
                allow_private: env_parse("LIAISON_WEBHOOK_ALLOW_PRIVATE", false)?,
                retry_schedule: match env_opt("LIAISON_WEBHOOK_RETRY_SCHEDULE") {
                    Some(raw) => raw.parse().map_err(|e| {
                        anyhow::anyhow!("LIAISON_WEBHOOK_RETRY_SCHEDULE={raw:?} is invalid: {e}")
                    })?,
                    None => Default::default(),
                },
                timeout: Duration::from_secs(
                    env_parse("LIAISON_WEBHOOK_TIMEOUT_SECS", 10u64)?.max(1),
                ),
                deliver: env_parse("LIAISON_WEBHOOK_DELIVERY", true)?,
            },
            trust_proxy_headers: env_parse("LIAISON_TRUST_PROXY_HEADERS", false)?,
            hsts: env_parse("LIAISON_HSTS", false)?,
            pii_key,
            registration: RegistrationSettings {
                max_per_address: env_parse("LIAISON_REGISTER_MAX_PER_ADDRESS", 10)?,
                window: Duration::from_secs(env_parse("LIAISON_REGISTER_WINDOW_SECS", 3600)?),
                sms: match env_opt("LIAISON_SMS_SENDER").as_deref() {
                    None | Some("none") => SmsSender::None,
                    Some("dev") => SmsSender::Dev(
                        env_opt("LIAISON_SMS_DEV_FILE")
                            .unwrap_or_else(|| "sms-codes.txt".into())
                            .into(),
                    ),
                    Some("http") => SmsSender::Http(
                        env_opt("LIAISON_SMS_HTTP_URL")
                            .context("LIAISON_SMS_SENDER=http needs LIAISON_SMS_HTTP_URL")?,
                    ),
                    Some(other) => bail!("LIAISON_SMS_SENDER={other:?}: use none, dev or http"),
                },
            },
            demo,
        })
    }
}
