//! External references: an importing system retries a create blindly and never duplicates;
//! a different record under a reference already taken is refused; lists find by reference.

use serde_json::{Value, json};

use crate::activities::{local_day, plan_body};
use crate::helpers::World;
use crate::opinions::opinion_body;

fn with_ref(mut body: Value, system: &str, id: &str) -> Value {
    body["external_ref"] = json!({"system": system, "id": id});
    body
}

async fn count(w: &World, path: &str, query: &str) -> usize {
    w.app
        .get(&format!("{path}?{query}"), &w.admin)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_retried_import_answers_the_first_opinion_and_a_different_one_conflicts() {
    let w = World::new().await;
    let body = with_ref(opinion_body(&w), "dbhd", "HD-2026-000123");
    let first = w
        .app
        .post("/api/v1/opinions", &w.admin, body.clone())
        .await
        .expect(201);
    assert_eq!(
        first.body["external_ref"],
        json!({"system": "dbhd", "id": "HD-2026-000123"})
    );
    let again = w
        .app
        .post("/api/v1/opinions", &w.admin, body.clone())
        .await
        .expect(200);
    assert_eq!(again.id(), first.id());
    assert_eq!(again.body["external_ref"]["id"], "HD-2026-000123");

    let mut changed = body.clone();
    changed["title"] = json!("另一条意见");
    let refused = w
        .app
        .post("/api/v1/opinions", &w.admin, changed)
        .await
        .expect_problem(409, "external_ref_conflict");
    assert!(
        refused.body["errors"]["external_ref"].is_array(),
        "{}",
        refused.body
    );
    // Another system may use the same id; without a reference nothing changes.
    w.app
        .post(
            "/api/v1/opinions",
            &w.admin,
            with_ref(opinion_body(&w), "other", "HD-2026-000123"),
        )
        .await
        .expect(201);
    w.app
        .post("/api/v1/opinions", &w.admin, opinion_body(&w))
        .await
        .expect(201);

    assert_eq!(
        count(&w, "/api/v1/opinions", "external_system=dbhd").await,
        1
    );
    assert_eq!(
        count(&w, "/api/v1/opinions", "external_id=HD-2026-000123").await,
        2
    );
    assert_eq!(
        count(
            &w,
            "/api/v1/opinions",
            "external_system=dbhd&external_id=HD-2026-000123"
        )
        .await,
        1
    );
    assert_eq!(count(&w, "/api/v1/opinions", "").await, 3);

    // Someone who cannot see the opinion learns nothing about it, and makes nothing.
    w.app
        .post("/api/v1/opinions", &w.committee_staff_b, body)
        .await
        .expect(409);
    for bad in [
        json!({"system": "DBHD", "id": "1"}),
        json!({"system": "dbhd", "id": " "}),
        json!({"system": "dbhd"}),
    ] {
        let mut b = opinion_body(&w);
        b["external_ref"] = bad;
        w.app
            .post("/api/v1/opinions", &w.admin, b)
            .await
            .expect_problem(422, "validation_failed");
    }
}

#[tokio::test]
async fn concurrent_identical_imports_make_one_activity() {
    let w = World::new().await;
    let body = with_ref(plan_body(&w, local_day(10), false), "dbhd", "ACT-9");
    let sends = (0..8).map(|_| w.app.post("/api/v1/activities", &w.admin, body.clone()));
    let replies = futures_util::future::join_all(sends).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        7,
        "{statuses:?}"
    );
    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| r.body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        count(
            &w,
            "/api/v1/activities",
            "external_system=dbhd&external_id=ACT-9"
        )
        .await,
        1
    );
    let mut moved = body;
    moved["topic"] = json!("改了主题");
    w.app
        .post("/api/v1/activities", &w.admin, moved)
        .await
        .expect_problem(409, "external_ref_conflict");
}
