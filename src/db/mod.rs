//! Connection pool and embedded migrations.

pub mod batches;
pub mod bulk_reads;
pub mod prepared;
pub mod schema;
pub mod transaction;
pub mod tree;

use anyhow::{Context, bail};
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::{ConnectionError, ConnectionResult};
use diesel_async::pooled_connection::ManagerConfig;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use crate::config::DbTimeouts;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use transaction::{Ending, Transient, in_transaction};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

diesel::define_sql_function! {
    /// SQL `lower()`, for case-insensitive usernames (the unique index is on `lower(username)`).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// The pool every request draws from. Each connection is opened with the server-side limits
/// of `timeouts` set, so a locked table, a stuck query or a forgotten transaction ends in a
/// bounded time (and a 503) instead of holding a connection and a client indefinitely.
pub fn build_pool(
    database_url: &str,
    size: usize,
    timeouts: &DbTimeouts,
) -> anyhow::Result<DbPool> {
    let t = timeouts.clone();
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    // No `SELECT 1` on every checkout: that was a round trip per request. A connection that
    // died is found by the query that uses it (a 503 the client retries), and the pool drops
    // it as broken instead of handing it out again.
    config.recycling_method = diesel_async::pooled_connection::RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        let t = t.clone();
        Box::pin(async move { connect(&url, &t).await })
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(timeouts.pool_wait))
        .create_timeout(Some(timeouts.connect))
        .recycle_timeout(Some(timeouts.connect))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the database pool")
}

/// Where a database URL points, without its credentials: `host:port/database`.
pub fn target_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('?').next().unwrap_or(rest).to_owned()
}

/// Waits until the database accepts a connection, trying again with growing pauses (0.5 s
/// doubling to 5 s) for at most `t.startup`: an orchestrator may start the service before its
/// database. Each failed try is logged with where and why, never with the password.
pub async fn wait_for(url: &str, t: &DbTimeouts) -> anyhow::Result<()> {
    let target = target_of(url);
    let deadline = std::time::Instant::now() + t.startup;
    let mut pause = std::time::Duration::from_millis(500);
    for attempt in 1.. {
        let cause = match connect(url, t).await {
            Ok(_) => return Ok(()),
            Err(e) => e.to_string(),
        };
        if std::time::Instant::now() + pause > deadline {
            bail!(
                "the database at {target} did not accept a connection within {} s \
                 ({attempt} tries): {cause}",
                t.startup.as_secs()
            );
        }
        tracing::warn!(
            attempt,
            database = %target,
            cause = %cause,
            retry_in_ms = pause.as_millis() as u64,
            "waiting for the database"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(5));
    }
    unreachable!("the loop above returns or bails")
}

/// Runs `work` with its statements planned for their actual values and room to sort in
/// memory: for reports and pages over many rows, whose narrowings (a period's start,
/// `$n IS NULL OR …`) a generic plan cannot judge. Connections otherwise keep one generic
/// plan per statement (`connect`), and get it back afterwards. (Not SET LOCAL in a
/// transaction: diesel-async's transaction wants a `Send` future this generic helper cannot
/// promise. A request dropped half-way leaves its connection planning per execution: slower,
/// never wrong.)
pub async fn with_custom_plans<C, R>(
    conn: &mut C,
    work: impl AsyncFnOnce(&mut C) -> crate::error::ApiResult<R>,
) -> crate::error::ApiResult<R>
where
    C: SimpleAsyncConnection + Send,
{
    with_settings(
        conn,
        CUSTOM_PLANS,
        &format!("{GENERIC_PLANS}; RESET work_mem"),
        work,
    )
    .await
}

/// `with_custom_plans`, without merge joins: for a search of opinions' texts. A word common
/// over all opinions but rare among those in the caller's scope led the planner to merge the
/// scope's opinions with the texts' primary key, both newest first, which tests the word
/// against every opinion's text, in scope or not, until a page is found: 110 ms for a
/// township's staff at the district (the texts of 130,000 opinions read for 51 matches).
/// Without it the planner walks the scope's opinions and looks up each one's text (6 ms), or,
/// for a word few opinions hold, reads the trigram index; measured on words common, rare and
/// absent, with and without a state, as staff and as admin, it was never slower by more than
/// a tenth of a millisecond. (A request dropped half-way leaves its connection without merge
/// joins too: slower for some reports, never wrong.)
pub async fn with_text_search_plans<C, R>(
    conn: &mut C,
    work: impl AsyncFnOnce(&mut C) -> crate::error::ApiResult<R>,
) -> crate::error::ApiResult<R>
where
    C: SimpleAsyncConnection + Send,
{
    with_settings(
        conn,
        &format!("{CUSTOM_PLANS}; SET enable_mergejoin = off"),
        &format!("{GENERIC_PLANS}; RESET work_mem; RESET enable_mergejoin"),
        work,
    )
    .await
}

const CUSTOM_PLANS: &str = "SET plan_cache_mode = force_custom_plan; SET work_mem = '64MB'";

/// Runs `work` between `set` and `reset`, each sent as one batch on the session.
async fn with_settings<C, R>(
    conn: &mut C,
    set: &str,
    reset: &str,
    work: impl AsyncFnOnce(&mut C) -> crate::error::ApiResult<R>,
) -> crate::error::ApiResult<R>
where
    C: SimpleAsyncConnection + Send,
{
    conn.batch_execute(set).await?;
    let done = work(conn).await;
    let reset = conn.batch_execute(reset).await;
    // The work's own error first; a failed reset matters only when the work succeeded.
    let done = done?;
    reset?;
    Ok(done)
}

/// How every server connection plans its prepared statements (see `connect`).
const GENERIC_PLANS: &str = "SET plan_cache_mode = force_generic_plan";

/// One connection with the request limits set. JIT compilation is off: it cost a report
/// three quarters of a second of compiling and buys short requests nothing. So are parallel
/// workers: a statement that launches them starts processes for a few milliseconds of work,
/// while the other requests keep the cores busy (the obligations page 27–30 → 37 pages a
/// second at 32 connections; no report slower, most faster). Prepared
/// statements keep one generic plan: with PostgreSQL's default, a statement taking an array
/// (`= ANY($1)`) was planned afresh on every execution, and planning was most of the
/// database's time on a read (GET one opinion went from 3.0k to 4.9k requests/s). Reports,
/// whose filters only a plan for the actual values can drop, ask for custom plans themselves
/// (`with_custom_plans`).
pub async fn connect(url: &str, t: &DbTimeouts) -> ConnectionResult<AsyncPgConnection> {
    let mut conn = tokio::time::timeout(t.connect, AsyncPgConnection::establish(url))
        .await
        .map_err(|_| ConnectionError::BadConnection("timed out connecting".into()))??;
    let limits = format!(
        "SET statement_timeout = {}; SET lock_timeout = {}; \
         SET idle_in_transaction_session_timeout = {}; SET jit = off; \
         SET max_parallel_workers_per_gather = 0; {GENERIC_PLANS};",
        t.statement.as_millis(),
        t.lock.as_millis(),
        t.idle_in_transaction.as_millis()
    );
    conn.batch_execute(&limits)
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// Versions of the migrations embedded in this binary.
fn known_versions() -> anyhow::Result<Vec<String>> {
    let migrations = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("reading embedded migrations: {e}"))?;
    Ok(migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

/// Applies pending migrations. Refuses a database that carries migrations this binary does
/// not know: it was migrated by a newer release, and running old code against it could
/// corrupt data.
///
/// The migration harness is synchronous, so it runs on a blocking thread through
/// `AsyncConnectionWrapper` (the async harness panics on a current-thread runtime).
pub async fn run_migrations(database_url: &str) -> anyhow::Result<Vec<String>> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        use diesel::Connection;
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url)
            .context("connecting to the database to migrate it")?;
        let known = known_versions()?;
        let applied = conn
            .applied_migrations()
            .map_err(|e| anyhow::anyhow!("reading applied migrations: {e}"))?;
        let unknown: Vec<String> = applied
            .iter()
            .map(|v| v.to_string())
            .filter(|v| !known.contains(v))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "the database carries migrations this binary does not know ({}); \
                 it was migrated by a newer release",
                unknown.join(", ")
            );
        }
        let ran = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("applying migrations: {e}"))?;
        Ok(ran.iter().map(|v| v.to_string()).collect())
    })
    .await
    .context("migration thread panicked")?
}

/// Whether every embedded migration is applied and nothing unknown is, for `/readyz`.
pub async fn migrations_current(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    diesel::table! {
        __diesel_schema_migrations (version) {
            version -> Text,
        }
    }
    let mut applied: Vec<String> = __diesel_schema_migrations::table
        .select(__diesel_schema_migrations::version)
        .load(conn)
        .await?;
    let mut known = known_versions()?;
    applied.sort();
    known.sort();
    Ok(applied == known)
}

/// An ILIKE pattern matching `needle` anywhere, with the wildcards in it taken literally.
pub fn contains_pattern(needle: &str) -> String {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Whether a unique or foreign-key error came from the named constraint (or unique index).
pub fn is_constraint(err: &diesel::result::Error, name: &str) -> bool {
    matches!(err, diesel::result::Error::DatabaseError(_, info) if info.constraint_name() == Some(name))
}

/// An enum stored as `text` with a CHECK constraint listing exactly its values. Generates the
/// API type (snake_case in JSON and OpenAPI), `ALL`, `as_str`, `parse` for input, and diesel's
/// `ToSql`/`FromSql` for `Text`, so rows and inserts carry the enum itself. A stored value the
/// enum does not know is a deserialisation error (a 500 with the cause logged), never a silent
/// substitute: a fallback could hand out the one value that unlocks a step.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            utoipa::ToSchema, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                $crate::db::parse_stored(value.as_bytes(), stringify!($name), Self::parse)
            }
        }
    };
}
pub(crate) use text_enum;

/// A stored enum value, or the error that says which type met which unknown value.
pub fn parse_stored<T>(
    bytes: &[u8],
    type_name: &str,
    parse: fn(&str) -> Option<T>,
) -> diesel::deserialize::Result<T> {
    let text = std::str::from_utf8(bytes)?;
    parse(text).ok_or_else(|| format!("unknown {type_name} value {text:?} in the database").into())
}

/// `EXPLAIN` of a diesel query, binds and all: tests and benchmarks check that the plans of
/// the real list queries stay index scans.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct Explain<Q>(pub Q);

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>>
    diesel::query_builder::QueryFragment<diesel::pg::Pg> for Explain<Q>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> diesel::query_builder::Query for Explain<Q> {
    type SqlType = diesel::sql_types::Text;
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets_are_named_without_credentials() {
        assert_eq!(
            super::target_of("postgres://liaison:s3cret@127.0.0.1:5433/liaison?sslmode=disable"),
            "127.0.0.1:5433/liaison"
        );
        assert_eq!(
            super::target_of("postgres://db.internal/app"),
            "db.internal/app"
        );
    }
}
