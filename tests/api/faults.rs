//! The database failing under the server: locked tables, terminated connections, a pool with
//! nothing free. Every answer is bounded in time and is a 503 to retry, never a 500.

use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::helpers::{TestApp, spawn_app_with};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Terminated {
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Integer>)]
    pids: Vec<i32>,
}

/// Locks the opinions table from a connection of the test's own until it is dropped.
async fn lock_opinions(app: &TestApp) -> diesel_async::AsyncPgConnection {
    let mut conn = app.db().await;
    conn.batch_execute("BEGIN; LOCK TABLE opinions IN ACCESS EXCLUSIVE MODE;")
        .await
        .unwrap();
    conn
}

#[tokio::test]
async fn a_locked_table_gives_bounded_503s_and_other_routes_keep_answering() {
    let app = spawn_app_with(|s| {
        s.db_timeouts.lock = Duration::from_millis(300);
        s.db_timeouts.statement = Duration::from_secs(2);
    })
    .await;
    let admin = app.admin_token().await;
    let lock = lock_opinions(&app).await;
    let started = Instant::now();
    let locked =
        futures_util::future::join_all((0..4).map(|_| app.get("/api/v1/opinions", &admin))).await;
    for reply in locked {
        let reply = reply.expect_problem(503, "service_unavailable");
        assert_eq!(reply.header("retry-after"), Some("1"));
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "bounded by the lock timeout, took {:?}",
        started.elapsed()
    );
    // Routes that do not need the locked table answer as usual meanwhile.
    app.get("/api/v1/me", &admin).await.expect(200);
    app.get("/api/v1/committees", &admin).await.expect(200);
    drop(lock);
    app.get("/api/v1/opinions", &admin).await.expect(200);
}

#[tokio::test]
async fn connections_terminated_mid_request_answer_503_then_recover() {
    let app = spawn_app_with(|s| s.db_timeouts.lock = Duration::from_secs(10)).await;
    let admin = app.admin_token().await;
    let lock = lock_opinions(&app).await;
    let in_flight: Vec<_> = (0..4)
        .map(|_| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/opinions", app.address);
            let token = admin.clone();
            tokio::spawn(async move { client.get(url).bearer_auth(token).send().await })
        })
        .collect();
    // Wait until all four wait on the lock, then end their connections as an operator would.
    let mut killer = app.db().await;
    for _ in 0..100 {
        let waiting: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result(&mut killer)
        .await
        .unwrap();
        if waiting.n >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let terminated: Terminated = diesel::sql_query(
        "SELECT coalesce(array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)), '{}') AS pids \
         FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .get_result(&mut killer)
    .await
    .unwrap();
    assert!(
        terminated.pids.len() >= 4,
        "terminated {:?}",
        terminated.pids
    );
    for request in in_flight {
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.status().as_u16(), 503);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    drop(lock);
    // A terminated backend sends its error, leaves pg_stat_activity, and only then exits and
    // closes its socket; the pool can tell a connection is dead only once that close has
    // reached the server. Wait for the exits, as a retrying client in effect does.
    for _ in 0..100 {
        let left: Count =
            diesel::sql_query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY($1)")
                .bind::<diesel::sql_types::Array<diesel::sql_types::Integer>, _>(&terminated.pids)
                .get_result(&mut killer)
                .await
                .unwrap();
        if left.n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A dead connection is handed out at most once more (when its close had not arrived yet:
    // a 503 the client retries), then dropped by the pool, never handed out again.
    let mut retried = 0;
    let mut in_a_row = 0;
    while in_a_row < 6 {
        let response = app.get("/api/v1/opinions", &admin).await;
        if response.status == 503 {
            retried += 1;
            assert!(
                retried <= terminated.pids.len(),
                "more 503s than terminated connections: {}",
                response.body
            );
            response.expect_problem(503, "service_unavailable");
            in_a_row = 0;
        } else {
            response.expect(200);
            in_a_row += 1;
        }
    }
}

#[tokio::test]
async fn readiness_answers_within_a_second_when_no_connection_is_free() {
    let app = spawn_app_with(|s| {
        s.workers = 1;
        s.db_pool_size = 1;
        s.db_timeouts.lock = Duration::from_secs(10);
        s.db_timeouts.pool_wait = Duration::from_secs(5);
    })
    .await;
    let admin = app.admin_token().await;
    app.request(reqwest::Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    let lock = lock_opinions(&app).await;
    // The one pooled connection waits on the lock.
    let blocked = {
        let client = app.client.clone();
        let url = format!("{}/api/v1/opinions", app.address);
        tokio::spawn(async move { client.get(url).bearer_auth(admin).send().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    app.request(reqwest::Method::GET, "/readyz", None, None)
        .await
        .expect_problem(503, "service_unavailable");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );
    drop(lock);
    assert_eq!(blocked.await.unwrap().unwrap().status().as_u16(), 200);
}

#[tokio::test]
async fn a_transaction_chosen_to_give_way_in_a_deadlock_is_tried_again() {
    let app = crate::helpers::spawn_app().await;
    // Two transactions take two locks in opposite order: PostgreSQL aborts one of them.
    let run = |first: i64, second: i64| {
        let url = app.database_url.clone();
        async move {
            use diesel_async::AsyncConnection;
            let mut conn = diesel_async::AsyncPgConnection::establish(&url)
                .await
                .unwrap();
            let mut tries = 0;
            let done: Result<(), liaison::error::ApiError> =
                liaison::db::in_transaction(&mut conn, async |conn| {
                    tries += 1;
                    for sql in [
                        format!("SELECT pg_advisory_xact_lock({first})"),
                        "SELECT pg_sleep(0.3)".to_owned(),
                        format!("SELECT pg_advisory_xact_lock({second})"),
                    ] {
                        diesel::sql_query(sql).execute(conn).await?;
                    }
                    Ok(())
                })
                .await;
            (done.is_ok(), tries)
        }
    };
    let (one, two) = tokio::join!(run(1, 2), run(2, 1));
    assert!(one.0 && two.0, "both finish: {one:?} {two:?}");
    assert_eq!(one.1 + two.1, 3, "exactly one gave way and ran again");
}

/// A connection of the test's own, with an empty temporary table `kept (n bigint)`.
async fn with_kept_table(app: &TestApp) -> diesel_async::AsyncPgConnection {
    use diesel_async::AsyncConnection;
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    conn.batch_execute("CREATE TEMP TABLE kept (n bigint)")
        .await
        .unwrap();
    conn
}

async fn kept_rows(conn: &mut diesel_async::AsyncPgConnection) -> i64 {
    crate::helpers::number(conn, "SELECT count(*) AS n FROM kept").await
}

#[tokio::test]
async fn a_transaction_whose_begin_is_sent_ahead_is_whole_nests_and_is_not_reused_half_done() {
    use diesel_async::{AnsiTransactionManager, TransactionManager};
    use liaison::error::ApiError;
    let app = crate::helpers::spawn_app().await;
    let mut conn = with_kept_table(&app).await;
    let insert = |n: i64| diesel::sql_query(format!("INSERT INTO kept VALUES ({n})"));

    // Every statement of the work is in the one transaction `BEGIN` opened: a failure after two
    // writes takes both away.
    let failed: Result<(), ApiError> = liaison::db::in_transaction(&mut conn, async |conn| {
        insert(1).execute(conn).await?;
        insert(2).execute(conn).await?;
        diesel::sql_query("SELECT 1 / 0").execute(conn).await?;
        Ok(())
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(
        kept_rows(&mut conn).await,
        0,
        "nothing of the failed work is left"
    );

    // Inside a transaction the inner one is a savepoint: its failure takes only its own write.
    let done: Result<(), ApiError> = liaison::db::in_transaction(&mut conn, async |conn| {
        insert(1).execute(conn).await?;
        let inner: Result<(), ApiError> = liaison::db::in_transaction(conn, async |conn| {
            insert(2).execute(conn).await?;
            diesel::sql_query("SELECT 1 / 0").execute(conn).await?;
            Ok(())
        })
        .await;
        assert!(inner.is_err());
        Ok(())
    })
    .await;
    done.unwrap();
    assert_eq!(
        kept_rows(&mut conn).await,
        1,
        "the outer write is kept, the inner one is not"
    );
    assert!(!AnsiTransactionManager::is_broken_transaction_manager(
        &mut conn
    ));

    // A request dropped half-way leaves its connection marked, so a pool drops it rather than
    // hand out a connection inside someone's transaction.
    let half_done = liaison::db::in_transaction(&mut conn, async |conn| {
        insert(3).execute(conn).await?;
        diesel::sql_query("SELECT pg_sleep(10)")
            .execute(conn)
            .await?;
        Ok::<_, ApiError>(())
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(300), half_done)
            .await
            .is_err()
    );
    assert!(AnsiTransactionManager::is_broken_transaction_manager(
        &mut conn
    ));
}

#[tokio::test]
async fn a_commit_sent_with_the_last_statements_keeps_all_or_nothing_and_queues_behind_them() {
    use diesel::connection::TransactionManagerStatus;
    use diesel_async::{AnsiTransactionManager, TransactionManager};
    use liaison::db::prepared::KeepPreparedDsl;
    use liaison::db::{Ending, in_transaction};
    use liaison::error::ApiError;
    let app = crate::helpers::spawn_app().await;
    let mut conn = with_kept_table(&app).await;
    let outside_any_transaction = |conn: &mut diesel_async::AsyncPgConnection| {
        matches!(
            AnsiTransactionManager::transaction_manager_status_mut(conn),
            TransactionManagerStatus::Valid(s) if s.transaction_depth().is_none()
        )
    };
    // Each a statement this connection has not prepared yet: its first use waits for the
    // prepare's round trip, which a COMMIT sent as a simple query would overtake.
    let insert =
        |n: i64| diesel::sql_query(format!("INSERT INTO kept VALUES ({n})")).keep_prepared();

    // Written and committed in one round trip: kept, and the transaction is over.
    let done: Result<(), ApiError> = in_transaction(&mut conn, async |conn| {
        let ending = Ending::for_work(conn, true);
        assert_eq!(ending, Ending::WithTheWork);
        let shared: &diesel_async::AsyncPgConnection = conn;
        let (mut a, mut b) = (shared, shared);
        futures_util::try_join!(
            async { Ok::<_, ApiError>(insert(1).execute(&mut a).await?) },
            async { Ok(insert(2).execute(&mut b).await?) },
            async { Ok(ending.commit(shared).await?) },
        )?;
        ending.ended(conn)?;
        Ok(())
    })
    .await;
    done.unwrap();
    assert!(outside_any_transaction(&mut conn));
    assert_eq!(kept_rows(&mut conn).await, 2, "both rows committed");

    // A failure among the statements before the COMMIT: it rolls back, nothing of the work is
    // left (not the insert before the failure, which would be if the COMMIT had gone out
    // ahead of it), and the connection is fit for the next transaction.
    let failed: Result<(), ApiError> = in_transaction(&mut conn, async |conn| {
        let ending = Ending::for_work(conn, true);
        let shared: &diesel_async::AsyncPgConnection = conn;
        let (mut a, mut b) = (shared, shared);
        futures_util::try_join!(
            async { Ok::<_, ApiError>(insert(3).execute(&mut a).await?) },
            async {
                let fails = diesel::sql_query("SELECT 1 / 0").keep_prepared();
                Ok(fails.execute(&mut b).await?)
            },
            async { Ok(ending.commit(shared).await?) },
        )?;
        ending.ended(conn)?;
        Ok(())
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(
        kept_rows(&mut conn).await,
        2,
        "nothing of the failed work is left"
    );
    assert!(!AnsiTransactionManager::is_broken_transaction_manager(
        &mut conn
    ));
    assert!(outside_any_transaction(&mut conn));

    // A failure met once the COMMIT has succeeded (only an answer read wrongly can be one):
    // the rows stand, the work is not run again, and the error says it came after the commit,
    // so no caller runs it again either.
    let mut runs = 0;
    let late: Result<(), ApiError> = in_transaction(&mut conn, async |conn| {
        runs += 1;
        let ending = Ending::for_work(conn, true);
        let shared: &diesel_async::AsyncPgConnection = conn;
        let mut a = shared;
        futures_util::try_join!(
            async { Ok::<_, ApiError>(insert(6).execute(&mut a).await?) },
            async { Ok(ending.commit(shared).await?) },
        )?;
        ending.ended(conn)?;
        // Even one that would otherwise have the transaction tried again.
        use diesel::result::{DatabaseErrorKind, Error};
        let kind = DatabaseErrorKind::SerializationFailure;
        Err(Error::DatabaseError(kind, Box::new("read wrongly".to_owned())).into())
    })
    .await;
    let late = late.unwrap_err();
    assert!(late.met_after_commit());
    assert_eq!(runs, 1);
    assert_eq!(kept_rows(&mut conn).await, 3, "the committed row stands");
    assert!(outside_any_transaction(&mut conn));
    liaison::db::in_transaction(&mut conn, async |conn| {
        diesel::sql_query("DELETE FROM kept WHERE n = 6")
            .execute(conn)
            .await?;
        Ok::<_, ApiError>(())
    })
    .await
    .unwrap();

    // Only the work that writes last, in the outermost transaction, may commit: a savepoint's
    // work, or work its caller writes after, leaves the COMMIT to `in_transaction`.
    let nested: Result<(), ApiError> = in_transaction(&mut conn, async |conn| {
        assert_eq!(Ending::for_work(conn, false), Ending::AfterTheWork);
        in_transaction(conn, async |conn| {
            assert_eq!(Ending::for_work(conn, true), Ending::AfterTheWork);
            let ending = Ending::AfterTheWork;
            let shared: &diesel_async::AsyncPgConnection = conn;
            let mut a = shared;
            futures_util::try_join!(
                async { Ok::<_, ApiError>(insert(4).execute(&mut a).await?) },
                async { Ok(ending.commit(shared).await?) },
            )?;
            ending.ended(conn)?;
            Ok::<_, ApiError>(())
        })
        .await?;
        // Still inside the outer transaction: this write and the inner one go together.
        insert(5).execute(conn).await?;
        Ok(())
    })
    .await;
    nested.unwrap();
    assert_eq!(kept_rows(&mut conn).await, 4);
    assert!(outside_any_transaction(&mut conn));
}
