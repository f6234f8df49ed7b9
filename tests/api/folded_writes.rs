//! An opinion's write through a server that keeps whom a session was checks the session in the
//! statement that locks the row it writes (`AuthedWrite`), not in one of its own. Whatever ends
//! or changes the session since the server last found it (a revocation or a disabled account
//! written into the database, an account rebound through another server, the session's end)
//! still decides the next write, and a refused write changes nothing.

use chrono::Duration;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{PASSWORD, Reply, TestApp, World, number};
use crate::opinions::{opinion_body, refer_to, submit};

fn access_of(reply: Reply) -> String {
    reply.body["access_token"].as_str().unwrap().to_owned()
}

/// The opinion's title and version, read by the admin on the first server.
async fn title_and_version(w: &World, id: Uuid) -> (Value, Value) {
    let seen = w
        .app
        .get(&format!("/api/v1/opinions/{id}"), &w.admin)
        .await
        .expect(200);
    (seen.body["title"].clone(), seen.body["version"].clone())
}

async fn retitle(server: &TestApp, token: &str, id: Uuid, title: &str) -> Reply {
    let path = format!("/api/v1/opinions/{id}");
    server.patch(&path, token, json!({"title": title})).await
}

async fn run_sql(w: &World, sql: &str) {
    let mut conn = w.app.db().await;
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

const OPINIONS: &str = "SELECT count(*) AS n FROM opinions";

/// Staff A's sessions revoked in the database alone, as an operator would.
const REVOKE_STAFF_A: &str = "UPDATE sessions SET revoked_at = now(), revoked_reason = 'operator'
     WHERE account_id = (SELECT id FROM accounts WHERE username = 'staff.a')";

/// A session of staff A on `server`, which keeps whom it was: retitled twice, the first
/// finding the session and keeping whom it was, the second folding the check.
async fn kept_session(server: &TestApp, id: Uuid) -> String {
    let staff = access_of(server.login("staff.a", PASSWORD).await.expect(200));
    for title in ["第一次更正", "第二次更正"] {
        let done = retitle(server, &staff, id, title).await.expect(200);
        assert_eq!(done.body["title"], title);
    }
    staff
}

#[tokio::test]
async fn a_kept_session_writes_nothing_once_it_has_changed() {
    let w = World::new().await;
    let server = w.app.replica(|_| {});
    let id = submit(&w).await;
    let staff = kept_session(&server, id).await;

    // Rebound through the first server to a committee that does not hold the opinion.
    let rebind = async |scope: Uuid| {
        let path = format!("/api/v1/users/{}", w.committee_staff_a_id);
        w.app
            .patch(&path, &w.admin, json!({"scope_id": scope}))
            .await
            .expect(200);
    };
    rebind(w.committee_b).await;
    let before = title_and_version(&w, id).await;
    retitle(&server, &staff, id, "越权更正")
        .await
        .expect_problem(404, "not_found");
    let refer = format!("/api/v1/opinions/{id}/transitions");
    server
        .post(&refer, &staff, refer_to(w.body_a))
        .await
        .expect_problem(404, "not_found");
    assert_eq!(title_and_version(&w, id).await, before);

    // Bound above it again: the writes go through, the second folded once more.
    rebind(w.standing).await;
    for title in ["第三次更正", "第四次更正"] {
        retitle(&server, &staff, id, title).await.expect(200);
    }

    run_sql(&w, REVOKE_STAFF_A).await;
    let before = title_and_version(&w, id).await;
    retitle(&server, &staff, id, "撤销后更正")
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(title_and_version(&w, id).await, before);

    // A new session: a step folded after its first write, then opinions recorded; once the
    // account is disabled, it records none.
    let staff = access_of(server.login("staff.a", PASSWORD).await.expect(200));
    retitle(&server, &staff, id, "第五次更正").await.expect(200);
    let referred = server.post(&refer, &staff, refer_to(w.body_a)).await;
    assert_eq!(referred.expect(200).body["state"], "referred");
    for _ in 0..2 {
        server
            .post("/api/v1/opinions", &staff, opinion_body(&w))
            .await
            .expect(201);
    }
    run_sql(
        &w,
        "UPDATE accounts SET disabled_at = now() WHERE username = 'staff.a'",
    )
    .await;
    let mut conn = w.app.db().await;
    let count = number(&mut conn, OPINIONS).await;
    server
        .post("/api/v1/opinions", &staff, opinion_body(&w))
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(number(&mut conn, OPINIONS).await, count);
}

#[tokio::test]
async fn a_kept_session_writes_nothing_past_its_end() {
    // Nothing is written when a session reaches its end, so the callers' generation does not
    // move: the server's own check of the end must refuse the folded write.
    let w = World::new().await;
    let server = w
        .app
        .replica(|s| s.jwt.refresh_ttl = std::time::Duration::from_secs(3));
    let id = submit(&w).await;
    let staff = kept_session(&server, id).await;
    tokio::time::sleep(Duration::milliseconds(3_200).to_std().unwrap()).await;
    let before = title_and_version(&w, id).await;
    retitle(&server, &staff, id, "过期更正")
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(title_and_version(&w, id).await, before);
}

#[tokio::test]
async fn a_retried_write_is_not_replayed_to_a_session_that_has_ended() {
    // A replayed Idempotency-Key, and an opinion named again by its external reference, answer
    // before the statement that could carry the session check, so such writes check the
    // session first.
    let w = World::new().await;
    let server = w.app.replica(|_| {});
    let id = submit(&w).await;
    let staff = access_of(server.login("staff.a", PASSWORD).await.expect(200));
    let path = format!("/api/v1/opinions/{id}/transitions");
    for _ in 0..2 {
        let reply = server
            .post_with_key(&path, &staff, refer_to(w.body_a), "refer-once")
            .await;
        assert_eq!(reply.expect(200).body["state"], "referred");
    }
    let mut named = opinion_body(&w);
    named["external_ref"] = json!({"system": "12345", "id": "HD-2026-000777"});
    let made = server.post("/api/v1/opinions", &staff, named.clone()).await;
    let made = made.expect(201).body["id"].clone();
    let again = server.post("/api/v1/opinions", &staff, named.clone()).await;
    assert_eq!(again.expect(200).body["id"], made);
    run_sql(&w, REVOKE_STAFF_A).await;
    server
        .post_with_key(&path, &staff, refer_to(w.body_a), "refer-once")
        .await
        .expect_problem(401, "unauthorized");
    server
        .post("/api/v1/opinions", &staff, named)
        .await
        .expect_problem(401, "unauthorized");
}
