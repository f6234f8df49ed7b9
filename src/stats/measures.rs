//! Keeps the opinion report's measures current after the steps that change them commit. A
//! step only notes its opinion (`opinion_measures_stale`, by trigger); `run`, on every server,
//! recomputes what is noted every second, and `catch_up` recomputes whatever is still noted
//! before a report reads, so a report never counts a stale measure. Both go through the SQL
//! function `refresh_stale_opinion_measures`, which lets several servers and reports share
//! the work without counting anything twice (its migration says how).

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Bool, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::DbPool;
use crate::db::prepared::KeepPreparedDsl;
use crate::error::ApiResult;

/// Notes taken per transaction by the background task: keeps each one short after a burst.
const BATCH: i32 = 1_000;
/// How often each server looks for noted opinions.
const EVERY: Duration = Duration::from_secs(1);
/// Notes taken per transaction by a report catching up.
const CATCH_UP_BATCH: i32 = 10_000;

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Integer)]
    taken: i32,
}

/// Recomputes up to `batch` noted opinions; answers how many notes it took. `wait`: wait for
/// notes another refresh holds instead of skipping them.
async fn refresh_stale(conn: &mut AsyncPgConnection, batch: i32, wait: bool) -> ApiResult<i32> {
    let row: Taken = diesel::sql_query("SELECT refresh_stale_opinion_measures($1, $2) AS taken")
        .bind::<Integer, _>(batch)
        .bind::<Bool, _>(wait)
        .keep_prepared()
        .get_result(conn)
        .await?;
    Ok(row.taken)
}

/// Recomputes every opinion noted when it began (and any noted meanwhile, in the same
/// batches), waiting for those another refresh is doing: each batch is its own transaction.
pub async fn catch_up(conn: &mut AsyncPgConnection) -> ApiResult<()> {
    while refresh_stale(conn, CATCH_UP_BATCH, true).await? == CATCH_UP_BATCH {}
    Ok(())
}

/// Recomputes noted opinions every second until the task is dropped.
pub async fn run(pool: DbPool) {
    let round =
        async |conn: &mut AsyncPgConnection| Ok(refresh_stale(conn, BATCH, false).await? as usize);
    crate::db::batches::every(
        pool,
        EVERY,
        BATCH as usize,
        "refreshing report measures",
        round,
        |_| {},
    )
    .await;
}
