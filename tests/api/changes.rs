//! The changes feed: gapless under concurrent writers with transactions held open, scoped,
//! long-polling, and honest about what retention has dropped.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use rand::Rng;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{World, number};
use crate::opinions::opinion_body;

async fn feed(w: &World, token: &str, query: &str) -> Value {
    w.app
        .get(&format!("/api/v1/changes?{query}"), token)
        .await
        .expect(200)
        .body
}

/// 1,000 changes from 16 connections, every tenth transaction held open a while, read by a
/// consumer paging the feed as they commit: each is seen exactly once.
#[tokio::test]
async fn every_change_is_served_exactly_once_under_concurrent_writers() {
    const WRITERS: usize = 16;
    const EACH: usize = 63; // 1,008 in all
    let w = World::new().await;
    let url = w.app.database_url.clone();
    let committee = w.committee_a;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let url = url.clone();
        writers.push(tokio::spawn(async move {
            let mut conn = liaison::db::connect(&url, &Default::default())
                .await
                .unwrap();
            let mut written = Vec::new();
            for i in 0..EACH {
                let id = Uuid::now_v7();
                let hold = {
                    let mut rng = rand::rng();
                    if rng.random_ratio(1, 10) {
                        rng.random_range(50..400)
                    } else {
                        rng.random_range(0..5)
                    }
                };
                diesel::sql_query("BEGIN").execute(&mut conn).await.unwrap();
                diesel::sql_query(format!(
                    "INSERT INTO outbox (topic, subject_kind, aggregate_id, committee_id, payload) \
                     VALUES ('opinion.received', 'opinion', '{id}', '{committee}', \
                     '{{\"writer\": {writer}, \"i\": {i}}}')"
                ))
                .execute(&mut conn)
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis(hold)).await;
                diesel::sql_query("COMMIT")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                written.push(id);
            }
            written
        }));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.len() < WRITERS * EACH {
        assert!(
            Instant::now() < deadline,
            "only {} changes seen",
            seen.len()
        );
        let query = match &cursor {
            Some(c) => format!("after={c}&limit=100&wait=1"),
            None => "limit=100&wait=1".to_owned(),
        };
        let page = feed(&w, &w.committee_staff_a, &query).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["subject"]["id"].as_str().unwrap().to_owned());
        }
        if !page["next_cursor"].is_null() {
            cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        }
    }
    let mut written = BTreeSet::new();
    for writer in writers {
        written.extend(writer.await.unwrap().into_iter().map(|id| id.to_string()));
    }
    let distinct: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(distinct.len(), seen.len(), "a change was served twice");
    assert_eq!(distinct, written, "the feed and the writes differ");
    // Nothing more: the cursor is at the end.
    let rest = feed(
        &w,
        &w.committee_staff_a,
        &format!("after={}", cursor.unwrap()),
    )
    .await;
    assert_eq!(rest["items"], json!([]));
}

/// Real writes through the API: staff of committee B never see A's changes; the data names ids
/// and states, never the voter; kinds and exact types filter.
#[tokio::test]
async fn the_feed_is_scoped_filtered_and_free_of_personal_data() {
    let w = World::new().await;
    let opinion = crate::opinions::submit(&w).await;
    // A change is served once every older transaction in the cluster has ended (other tests'
    // included), so look until it comes.
    let mut change = None;
    for _ in 0..20 {
        let mine = feed(&w, &w.committee_staff_a, "types=opinion&wait=1").await;
        change = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["subject"]["id"] == opinion.to_string())
            .cloned();
        if change.is_some() {
            break;
        }
    }
    let change = change.expect("committee A sees its opinion's change");
    assert_eq!(change["type"], "opinion.received");
    assert_eq!(change["subject"]["kind"], "opinion");
    assert_eq!(change["data"]["state"], "received");
    let text = change.to_string();
    for personal in ["鲁谷路 12 号", "小区门口", "13900000001"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let other = feed(&w, &w.committee_staff_b, "").await;
    assert!(
        other["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["subject"]["id"] != opinion.to_string()),
        "committee B must not see A's change"
    );
    let activities_only = feed(&w, &w.admin, "types=activity").await;
    assert!(
        activities_only["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["subject"]["kind"] == "activity")
    );
    let exact = feed(&w, &w.admin, "types=opinion.received").await;
    assert!(!exact["items"].as_array().unwrap().is_empty());
    w.app
        .get("/api/v1/changes", &w.group_staff_a)
        .await
        .expect_problem(403, "forbidden");
    w.app
        .get("/api/v1/changes?wait=31", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
}

/// A reader waiting on an empty feed answers as soon as a change commits.
#[tokio::test]
async fn a_waiting_reader_sees_a_commit_within_a_second() {
    let w = World::new().await;
    let start = feed(&w, &w.admin, "").await;
    let after = start["next_cursor"].as_str().map(str::to_owned);
    let query = match &after {
        Some(c) => format!("after={c}&wait=20"),
        None => "wait=20".to_owned(),
    };
    let waiting = {
        let app = &w.app;
        let token = w.admin.clone();
        async move {
            let begun = Instant::now();
            let page = app
                .get(&format!("/api/v1/changes?{query}"), &token)
                .await
                .expect(200);
            (begun.elapsed(), page.body)
        }
    };
    let write = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let committed = Instant::now();
        w.app
            .post("/api/v1/opinions", &w.voter, opinion_body(&w))
            .await
            .expect(201);
        committed
    };
    let ((waited, page), _) = tokio::join!(waiting, write);
    assert!(!page["items"].as_array().unwrap().is_empty(), "{page}");
    assert!(
        waited >= Duration::from_millis(1400),
        "answered before the write: {waited:?}"
    );
    // Within a second of the commit on a quiet cluster; other tests' transactions running on
    // the same cluster can hold a change back a little (it is served once they end).
    assert!(
        waited < Duration::from_millis(1500 + 4000),
        "took {waited:?}"
    );
}

/// Each server's watcher announces a change once it can be served, and not before: a change
/// committed while an older transaction runs is announced when that transaction ends. Writers
/// do not NOTIFY (their commits would queue on PostgreSQL's notify lock): a connection
/// listening on the channel they once used hears nothing.
#[tokio::test]
async fn the_watcher_announces_a_change_once_it_can_be_served() {
    use diesel_async::SimpleAsyncConnection;
    use futures_util::StreamExt;
    use liaison::changes::model::servable_head;
    use liaison::changes::signal::ChangeSignal;
    use liaison::changes::watch::run;
    let w = World::new().await;
    let url = w.app.database_url.clone();
    let timeouts = liaison::config::DbTimeouts::default();
    let connect = || liaison::db::connect(&url, &timeouts);
    // The world's own changes served first (another test's transaction on the cluster can
    // hold them back a while), so none of them is announced during the test.
    let mut probe = connect().await.unwrap();
    let newest = number(&mut probe, "SELECT coalesce(max(txid), 0) AS n FROM outbox").await;
    let waited = Instant::now();
    while servable_head(&mut probe)
        .await
        .unwrap()
        .map_or(0, |p| p.txid)
        < newest
    {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the world's changes never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut listener = connect().await.unwrap();
    listener
        .batch_execute("LISTEN liaison_changes")
        .await
        .unwrap();
    // An older transaction, with an id, holds the horizon back.
    let mut older = connect().await.unwrap();
    older
        .batch_execute("BEGIN; SELECT pg_current_xact_id()")
        .await
        .unwrap();
    let signal = std::sync::Arc::new(ChangeSignal::default());
    let mut announced = signal.subscribe();
    let watcher = tokio::spawn(run(url.clone(), Default::default(), signal.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.app
        .post("/api/v1/opinions", &w.voter, opinion_body(&w))
        .await
        .expect(201);
    assert!(
        tokio::time::timeout(Duration::from_millis(800), announced.changed())
            .await
            .is_err(),
        "announced a change no reader could be served yet"
    );
    older.batch_execute("COMMIT").await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), announced.changed())
        .await
        .expect("the change was never announced")
        .unwrap();
    watcher.abort();
    let heard = tokio::time::timeout(
        Duration::from_millis(300),
        std::pin::pin!(listener.notifications_stream()).next(),
    )
    .await;
    assert!(heard.is_err(), "a writer notified: {heard:?}");
}

/// Retention drops old changes and says so to a reader whose cursor is older: 410, never a
/// silent gap. Pruning twice (two replicas) prunes once.
#[tokio::test]
async fn an_expired_cursor_answers_gone() {
    let w = World::new().await;
    for _ in 0..3 {
        w.app
            .post("/api/v1/opinions", &w.voter, opinion_body(&w))
            .await
            .expect(201);
    }
    let mut first = Value::Null;
    for _ in 0..20 {
        first = feed(&w, &w.admin, "limit=1&wait=1").await;
        if !first["next_cursor"].is_null() {
            break;
        }
    }
    let early = first["next_cursor"]
        .as_str()
        .expect("a change is served")
        .to_owned();
    w.app
        .sql("UPDATE outbox SET created_at = now() - interval '200 days' WHERE seq IN (SELECT seq FROM outbox ORDER BY txid, seq LIMIT 2)")
        .await;
    let mut conn = liaison::db::connect(&w.app.database_url, &Default::default())
        .await
        .unwrap();
    let cutoff = chrono::Utc::now() - chrono::TimeDelta::days(180);
    // Only what the webhook fan-out has handed on is pruned: it takes the changes within
    // about a tenth of a second of their being served.
    let mut pruned = 0;
    let started = Instant::now();
    while pruned < 2 && started.elapsed() < Duration::from_secs(10) {
        pruned += liaison::changes::model::prune(&mut conn, cutoff)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pruned, 2);
    assert_eq!(
        liaison::changes::model::prune(&mut conn, cutoff)
            .await
            .unwrap(),
        0
    );
    w.app
        .get(&format!("/api/v1/changes?after={early}"), &w.admin)
        .await
        .expect_problem(410, "cursor_expired");
    // Starting afresh serves what is kept.
    let fresh = feed(&w, &w.admin, "").await;
    let kept: HashMap<String, Value> = fresh["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].to_string(), c.clone()))
        .collect();
    assert!(!kept.is_empty());
}
