//! Long opinion reports read from yearly and monthly sums give the figures the measures give: the
//! hand-counted history of `stats.rs` read by two servers on one database, one reading every
//! report from the measures (the default, for a history this small) and one from the sums
//! wherever a period holds a whole month (`stats_exact_up_to` 0).

use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::Value;

use crate::helpers::{World, number, spawn_app, spawn_server_on};
use crate::stats::{
    date_event, history, history_writer, refresh_measures, report_on, sums_as_text,
};

const COUNTS: [&str; 13] = [
    "received",
    "referred",
    "answered",
    "resolved",
    "partly_resolved",
    "fed_back",
    "declined",
    "open",
    "overdue",
    "response_due",
    "responded_in_time",
    "ratings",
    "satisfied",
];

/// Same rows in the same order with the same counts and rates; each duration within 2% (or
/// 0.01) of the exact one.
fn assert_same_report(exact: &Value, from_sums: &Value, what: &str) {
    let rows = |r: &Value| {
        let mut rows = r["items"].as_array().unwrap().clone();
        rows.push(r["totals"].clone());
        rows
    };
    let (exact_rows, sums_rows) = (rows(exact), rows(from_sums));
    let keys = |rows: &[Value]| rows.iter().map(|r| r["key"].clone()).collect::<Vec<_>>();
    assert_eq!(keys(&exact_rows), keys(&sums_rows), "{what}: rows");
    for (e, s) in exact_rows.iter().zip(&sums_rows) {
        for field in COUNTS {
            assert_eq!(e[field], s[field], "{what}: {} {field}", e["key"]);
        }
        for rate in ["response_rate", "resolution_rate", "satisfaction_rate"] {
            assert_eq!(e[rate], s[rate], "{what}: {} {rate}", e["key"]);
        }
        for spread in ["refer_hours", "answer_days", "feed_back_days"] {
            for at in ["median", "p90"] {
                let (e, s) = (&e[spread][at], &s[spread][at]);
                match (e.as_f64(), s.as_f64()) {
                    (Some(e), Some(s)) => {
                        assert!(
                            (e - s).abs() <= e * 0.02 + 0.01,
                            "{what}: {spread} {at} {e} vs {s}"
                        )
                    }
                    _ => assert_eq!(e, s, "{what}: {spread} {at}"),
                }
            }
        }
    }
}

#[tokio::test]
async fn reports_from_sums_equal_those_from_the_measures() {
    let w = World::new().await;
    let [_, o2, _, _] = history(&w).await;
    // O2 referred a second time in April: a period counts it once, each month once.
    {
        let mut conn = history_writer(&w).await;
        diesel::sql_query(
            "INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round,
                                         actor_role, at, payload, internal)
             SELECT gen_random_uuid(), opinion_id, 'refer', 'fed_back', 'referred', round,
                    actor_role, $2::timestamptz, '{\"due_at\": \"2025-04-25T01:00:00Z\"}', false
             FROM opinion_events WHERE opinion_id = $1 AND action = 'refer'",
        )
        .bind::<SqlUuid, _>(o2)
        .bind::<Text, _>("2025-04-05 09:00+08")
        .execute(&mut conn)
        .await
        .unwrap();
    }
    // Measured again (and summed) as any rewritten history is.
    date_event(&w, o2, "rate", "2025-04-04", None).await;

    let from_sums = spawn_server_on(&w.app.database_url, |s| s.stats_exact_up_to = 0).app;
    let periods = [
        "from=2025-03-01&to=2025-05-31",
        "from=2025-03-02&to=2025-05-20",
        "from=2025-02-15&to=2025-04-30&as_of=2025-04-15",
        "from=2025-04-01&to=2025-04-30",
        "from=2025-02-20&to=2025-04-08",
        "from=2025-03-25&to=2025-06-03",
        "from=2025-01-01&to=2025-12-31",
        "from=2024-12-01&to=2026-01-31",
        "from=2024-11-20&to=2026-02-10",
        // The year less the months outside (March, which has measures, among them).
        "from=2025-04-01&to=2025-12-31",
        "from=2025-03-10&to=2025-11-20",
    ];
    for period in periods {
        for grouping in [
            "committee",
            "liaison_group",
            "representative",
            "constituency",
            "category",
            "source",
            "month",
            "handling_body",
        ] {
            let query = format!("{period}&group_by={grouping}");
            let exact = report_on(&w.app, &w.admin, &query).await;
            let summed = report_on(&from_sums, &w.admin, &query).await;
            assert_same_report(&exact, &summed, &query);
            let staff = report_on(&w.app, &w.committee_staff_a, &query).await;
            let staff_summed = report_on(&from_sums, &w.committee_staff_a, &query).await;
            assert_same_report(&staff, &staff_summed, &format!("staff {query}"));
        }
    }
    let whole = report_on(
        &from_sums,
        &w.admin,
        "from=2025-03-01&to=2025-05-31&group_by=month",
    )
    .await;
    assert_eq!(whole["totals"]["referred"], 2, "O1 and O2, each once");
    assert_eq!(whole["items"][1]["referred"], 1, "O2 again in April");

    // The second server does read the sums: a sum changed behind its back shows.
    let mut conn = w.app.db().await;
    let before = sums_as_text(&mut conn).await;
    diesel::sql_query(
        "UPDATE opinion_measures_sums SET n = n + 100
         WHERE grouping = 'committee' AND grain = 'month' AND kind = 'received' AND period = '2025-04-01'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let april = "from=2025-04-01&to=2025-04-30";
    let tampered = report_on(&from_sums, &w.admin, april).await;
    let exact = report_on(&w.app, &w.admin, april).await;
    assert_eq!(
        tampered["totals"]["received"].as_i64().unwrap(),
        exact["totals"]["received"].as_i64().unwrap() + 100
    );
    diesel::sql_query(
        "UPDATE opinion_measures_sums SET n = n - 100
         WHERE grouping = 'committee' AND grain = 'month' AND kind = 'received' AND period = '2025-04-01'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    // And the sums kept step by step are those rebuilt from the measures.
    diesel::sql_query("SELECT rebuild_opinion_measures_sums()")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(before, sums_as_text(&mut conn).await);
}

/// Waits (up to ten seconds) until the servers' after-commit refreshes have taken every note.
async fn refreshes_done(conn: &mut diesel_async::AsyncPgConnection) {
    for _ in 0..200 {
        if number(conn, "SELECT count(*) AS n FROM opinion_measures_stale").await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the after-commit refreshes did not finish");
}

#[tokio::test]
async fn a_refresh_of_more_opinions_than_one_part_gives_the_sums_a_rebuild_gives() {
    // A refresh recomputes two hundred opinions at a time (migration 000013): one given 450
    // runs three parts, and must leave the measures and sums a full rebuild would.
    let w = World::new().await;
    for _ in 0..18 {
        futures_util::future::join_all((0..25).map(|_| crate::opinions::submit(&w))).await;
    }
    let mut conn = w.app.db().await;
    // The after-commit refreshes of the 450 receipts have run.
    refreshes_done(&mut conn).await;
    assert_eq!(
        number(
            &mut conn,
            "SELECT count(*) AS n FROM opinion_measures WHERE kind = 'received'"
        )
        .await,
        450
    );
    let before = sums_as_text(&mut conn).await;
    // Every timeline forty days back, behind the triggers' back: the measures are stale.
    for sql in [
        "SET session_replication_role = replica",
        "UPDATE opinion_events SET at = at - interval '40 days'",
        "UPDATE opinions SET received_at = received_at - interval '40 days'",
        "SET session_replication_role = origin",
        "SELECT refresh_opinion_measures(ARRAY(SELECT id FROM opinions))",
    ] {
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }
    let refreshed = sums_as_text(&mut conn).await;
    assert_ne!(refreshed, before, "the sums moved with the timelines");
    assert_eq!(
        number(
            &mut conn,
            "SELECT count(*) AS n FROM opinion_measures
             WHERE kind = 'received' AND at < now() - interval '39 days'"
        )
        .await,
        450
    );
    diesel::sql_query("CALL refresh_all_opinion_measures()")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(sums_as_text(&mut conn).await, refreshed);
}

/// Every measure, one line each, in one order.
async fn measures_as_text(conn: &mut diesel_async::AsyncPgConnection) -> String {
    #[derive(diesel::QueryableByName)]
    struct Measures {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        measures: Option<String>,
    }
    diesel::sql_query(
        "SELECT string_agg(m::text, E'\\n' ORDER BY m::text) AS measures FROM (
             SELECT m::text FROM opinion_measures m
             UNION ALL SELECT r::text FROM referral_measures r) AS all_(m)",
    )
    .get_result::<Measures>(conn)
    .await
    .unwrap()
    .measures
    .unwrap_or_default()
}

#[tokio::test]
async fn a_refresh_changes_only_what_changed_and_counts_equal_measures_apart() {
    // A refresh compares the measures a timeline gives with those kept and writes only the
    // difference, to the measures and to the sums (migration 000016). Two equal measures are
    // two: one kept twice is taken away once, and a second given is added beside the first.
    let w = World::new().await;
    let [o1, ..] = history(&w).await;
    let mut conn = w.app.db().await;
    refreshes_done(&mut conn).await;
    let (measures, sums) = (
        measures_as_text(&mut conn).await,
        sums_as_text(&mut conn).await,
    );

    // Nothing changed: nothing is written.
    let written = "SELECT n_tup_ins + n_tup_del AS n FROM pg_stat_xact_user_tables
                   WHERE relname = 'opinion_measures'";
    diesel::sql_query("BEGIN").execute(&mut conn).await.unwrap();
    refresh_measures(&mut conn, o1).await;
    assert_eq!(number(&mut conn, written).await, 0, "no measure rewritten");
    diesel::sql_query("COMMIT")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(measures_as_text(&mut conn).await, measures);
    assert_eq!(sums_as_text(&mut conn).await, sums);

    // O1's rating kept twice (and summed twice): the refresh takes one away, from both.
    for sql in [
        "INSERT INTO opinion_measures SELECT * FROM opinion_measures
         WHERE opinion_id = $1 AND kind = 'satisfied'",
        "INSERT INTO referral_measures SELECT * FROM referral_measures
         WHERE opinion_id = $1 AND kind = 'satisfied'",
    ] {
        let added = diesel::sql_query(sql)
            .bind::<SqlUuid, _>(o1)
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(added, 1);
    }
    diesel::sql_query("SELECT rebuild_opinion_measures_sums()")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_ne!(sums_as_text(&mut conn).await, sums, "the copy is summed");
    refresh_measures(&mut conn, o1).await;
    assert_eq!(measures_as_text(&mut conn).await, measures);
    assert_eq!(sums_as_text(&mut conn).await, sums);

    // O1 rated twice at one moment: two equal measures, the second added beside the first.
    let mut writer = history_writer(&w).await;
    diesel::sql_query(
        "INSERT INTO opinion_events (id, opinion_id, action, from_state, to_state, round,
                                     actor_role, at, payload, internal)
         SELECT gen_random_uuid(), opinion_id, action, from_state, to_state, round,
                actor_role, at, payload, internal
         FROM opinion_events WHERE opinion_id = $1 AND action = 'rate'",
    )
    .bind::<SqlUuid, _>(o1)
    .execute(&mut writer)
    .await
    .unwrap();
    refresh_measures(&mut conn, o1).await;
    let ratings = format!(
        "SELECT count(*) AS n FROM opinion_measures WHERE opinion_id = '{o1}' AND kind = 'satisfied'"
    );
    assert_eq!(number(&mut conn, &ratings).await, 2);
    let refreshed = sums_as_text(&mut conn).await;
    assert_ne!(refreshed, sums, "the second rating is summed");
    diesel::sql_query("SELECT rebuild_opinion_measures_sums()")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        sums_as_text(&mut conn).await,
        refreshed,
        "as a rebuild sums it"
    );
}

#[tokio::test]
async fn a_refresh_of_any_size_holds_at_most_one_lock_per_bucket() {
    // One lock per opinion ran out of the shared lock table (6,400 slots with PostgreSQL's
    // defaults) when a report caught up with 10,000 notes. Twenty thousand ids, none of them
    // an opinion: the locks are taken all the same, and nothing is computed.
    let app = spawn_app().await;
    let mut conn = app.db().await;
    diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, "BEGIN")
        .await
        .unwrap();
    diesel::sql_query(
        "SELECT refresh_opinion_measures(
                    ARRAY(SELECT uuid_generate_v7() FROM generate_series(1, 20000)))",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let held = number(
        &mut conn,
        "SELECT count(*) AS n FROM pg_locks
         WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
    )
    .await;
    assert!((1000..=1024).contains(&held), "{held} advisory locks held");
    diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, "COMMIT")
        .await
        .unwrap();
}
