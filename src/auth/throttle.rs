//! Failed log-in limits per account name and per client address, kept in the database so
//! they hold across restarts and replicas.
//!
//! An attempt is counted *before* the password is checked, so concurrent guesses cannot slip
//! past the limit; a successful log-in then takes its count back.

use diesel::sql_types::{Double, Integer, Text};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::config::LoginThrottleSettings;
use crate::error::ApiError;

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    failures: i32,
    /// Seconds until the window ends.
    #[diesel(sql_type = Double)]
    retry_after: f64,
    /// Seconds since the key's previous attempt (a large number for the first).
    #[diesel(sql_type = Double)]
    since_previous: f64,
}

/// The gap growing delays ask for after `failures` against a `limit`: 1 s at the limit, then
/// twice as long each time, never more than `cap` seconds.
fn growing_delay(failures: i32, limit: i32, cap: f64) -> f64 {
    if failures < limit {
        return 0.0;
    }
    2f64.powi((failures - limit).min(30)).min(cap)
}

/// What a log-in attempt is counted against. `who` is the account id, or for a name no account
/// has, that name in its one normalised form, so "not found" is throttled like "wrong password"
/// and 429 does not tell who exists.
pub struct LoginKeys {
    pair: String,
    account: String,
    address: String,
}

impl LoginKeys {
    pub fn new(who: &str, address: &str) -> Self {
        Self {
            pair: format!("login:{who}@{address}"),
            account: format!("account:{who}"),
            address: format!("address:{address}"),
        }
    }
}

async fn count_attempt(
    conn: &mut AsyncPgConnection,
    key: &str,
    window_secs: f64,
) -> Result<Counted, ApiError> {
    Ok(sql_query(
        "WITH previous AS (SELECT last_attempt_at FROM login_throttle WHERE key = $1)
         INSERT INTO login_throttle (key, failures, window_started_at, last_attempt_at)
         VALUES ($1, 1, now(), now())
         ON CONFLICT (key) DO UPDATE SET
           last_attempt_at = now(),
           failures = CASE WHEN login_throttle.window_started_at <= now() - make_interval(secs => $2)
                           THEN 1 ELSE login_throttle.failures + 1 END,
           window_started_at = CASE WHEN login_throttle.window_started_at <= now() - make_interval(secs => $2)
                           THEN now() ELSE login_throttle.window_started_at END
         RETURNING failures,
           greatest(0, extract(epoch FROM window_started_at + make_interval(secs => $2) - now()))::float8
             AS retry_after,
           coalesce(extract(epoch FROM now() - (SELECT last_attempt_at FROM previous)), 1e9)::float8
             AS since_previous",
    )
    .bind::<Text, _>(key)
    .bind::<Double, _>(window_secs)
    .get_result(conn)
    .await?)
}

/// Counts this attempt against the account from this address, the account from anywhere and
/// the address. Past its limit the pair is slowed, not locked: each next try must come twice
/// as long after the last one (1 s, 2 s, 4 s, … up to the window), and a try that comes sooner
/// is refused and counted. The account and address ceilings refuse until their window ends.
pub async fn admit(
    conn: &mut AsyncPgConnection,
    settings: &LoginThrottleSettings,
    keys: &LoginKeys,
) -> Result<(), ApiError> {
    let window = settings.window.as_secs_f64();
    let limit = settings.max_failures_per_account;
    let pair = count_attempt(conn, &keys.pair, window).await?;
    let asked = growing_delay(pair.failures - 1, limit, window);
    let mut retry_after = 0.0f64;
    if pair.since_previous < asked {
        retry_after = growing_delay(pair.failures, limit, window);
    }
    for (key, limit) in [
        (&keys.account, settings.max_failures_per_account_total),
        (&keys.address, settings.max_failures_per_address),
    ] {
        let counted = count_attempt(conn, key, window).await?;
        if counted.failures > limit {
            retry_after = retry_after.max(counted.retry_after);
        }
    }
    if retry_after > 0.0 {
        return Err(ApiError::too_many_requests(retry_after.ceil() as u64));
    }
    Ok(())
}

/// After a successful log-in the account starts afresh and the address gets its attempt back.
pub async fn forgive(conn: &mut AsyncPgConnection, keys: &LoginKeys) -> Result<(), ApiError> {
    sql_query("DELETE FROM login_throttle WHERE key = $1 OR key = $2")
        .bind::<Text, _>(&keys.pair)
        .bind::<Text, _>(&keys.account)
        .execute(conn)
        .await?;
    sql_query("UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1")
        .bind::<Text, _>(&keys.address)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts one event under `key`; 429 once more than `limit` fall in the window.
pub async fn admit_counted(
    conn: &mut AsyncPgConnection,
    key: &str,
    limit: i32,
    window_secs: f64,
) -> Result<(), ApiError> {
    let counted = count_attempt(conn, key, window_secs).await?;
    if counted.failures > limit {
        return Err(ApiError::too_many_requests(
            counted.retry_after.ceil() as u64
        ));
    }
    Ok(())
}

/// Self-registrations per client address per window; every attempt counts.
pub async fn admit_registration(
    conn: &mut AsyncPgConnection,
    settings: &crate::config::RegistrationSettings,
    address: &str,
) -> Result<(), ApiError> {
    admit_counted(
        conn,
        &format!("register:{address}"),
        settings.max_per_address,
        settings.window.as_secs_f64(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::growing_delay;

    #[test]
    fn delays_double_from_the_limit_up_to_the_window() {
        assert_eq!(growing_delay(4, 5, 900.0), 0.0);
        assert_eq!(growing_delay(5, 5, 900.0), 1.0);
        assert_eq!(growing_delay(6, 5, 900.0), 2.0);
        assert_eq!(growing_delay(9, 5, 900.0), 16.0);
        assert_eq!(growing_delay(40, 5, 900.0), 900.0);
    }
}
