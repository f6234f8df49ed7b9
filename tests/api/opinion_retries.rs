//! Writes under retries and races: concurrent steps, stale versions, idempotency keys on
//! opinions and work plans.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::World;
use crate::opinions::{events, opinion_body, refer_to, state_of, step, submit};

#[tokio::test]
async fn twenty_concurrent_refers_exactly_one_succeeds() {
    let w = World::new().await;
    let id = submit(&w).await;
    let replies = futures_util::future::join_all(
        (0..20).map(|_| step(&w, &w.committee_staff_a, id, refer_to(w.body_a))),
    )
    .await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let conflicts = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!((ok, conflicts), (1, 19), "{replies:?}");
    assert_eq!(w.app.count("referrals").await, 1);
    assert_eq!(events(&w, &w.admin, id).await.len(), 2);
}

#[tokio::test]
async fn stale_if_match_is_412_and_changes_nothing() {
    let w = World::new().await;
    let id = submit(&w).await;
    let path = format!("/api/v1/opinions/{id}");
    let read = w.app.get(&path, &w.committee_staff_a).await.expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"v1\"");
    // Someone else edits it first.
    w.app
        .send(
            Method::PATCH,
            &path,
            Some(&w.committee_staff_a),
            Some(json!({"title": "路灯不亮"})),
            &[("If-Match", &etag)],
        )
        .await
        .expect(200);
    let stale = w
        .app
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&w.committee_staff_a),
            Some(refer_to(w.body_a)),
            &[("If-Match", &etag)],
        )
        .await
        .expect_problem(412, "precondition_failed");
    assert_eq!(stale.body["current_etag"], "\"v2\"");
    assert_eq!(state_of(&w, id).await, "received");
    // A value that is not an entity tag is malformed (an empty one is as if absent).
    for malformed in ["v2", "\"v2", "W/v2", " , ", "\"v1\",,\"v2\""] {
        w.app
            .send(
                Method::PATCH,
                &path,
                Some(&w.committee_staff_a),
                Some(json!({"title": "不该改"})),
                &[("If-Match", malformed)],
            )
            .await
            .expect_problem(400, "bad_request");
    }
    assert_eq!(w.app.count("referrals").await, 0);
    let fresh = w
        .app
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&w.committee_staff_a),
            Some(refer_to(w.body_a)),
            &[("If-Match", "\"v2\"")],
        )
        .await
        .expect(200);
    assert_eq!(fresh.header("etag"), Some("\"v3\""));
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let w = World::new().await;
    let post = |body: Value, key: &'static str| {
        w.app.post_with_key("/api/v1/opinions", &w.voter, body, key)
    };
    let too_long: &'static str = Box::leak("k".repeat(201).into_boxed_str());
    post(opinion_body(&w), too_long)
        .await
        .expect_problem(400, "invalid_idempotency_key");
    assert_eq!(w.app.count("opinions").await, 0);
    let first = post(opinion_body(&w), "k-1").await.expect(201);
    let again = post(opinion_body(&w), "k-1").await.expect(201);
    assert_eq!(again.id(), first.id());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(w.app.count("opinions").await, 1);
    assert_eq!(w.app.count("opinion_events").await, 1);

    let mut other = opinion_body(&w);
    other["title"] = json!("另一件事");
    post(other.clone(), "k-1")
        .await
        .expect_problem(422, "idempotency_key_reused");
    assert_eq!(w.app.count("opinions").await, 1);
    post(other, "k-2").await.expect(201);

    // Transitions too, even when the repeat races the original.
    let id = first.id();
    let path = format!("/api/v1/opinions/{id}/transitions");
    let send = || {
        w.app.send(
            Method::POST,
            &path,
            Some(&w.committee_staff_a),
            Some(refer_to(w.body_a)),
            &[("Idempotency-Key", "refer-1")],
        )
    };
    let (a, b) = tokio::join!(send(), send());
    assert_eq!(
        (a.status.as_u16(), b.status.as_u16()),
        (200, 200),
        "{a:?} {b:?}"
    );
    assert_eq!(a.body, b.body);
    assert_eq!(w.app.count("referrals").await, 1);
    assert_eq!(events(&w, &w.admin, id).await.len(), 2);
    // The same key from another account is a different key.
    w.app
        .send(
            Method::POST,
            &path,
            Some(&w.admin),
            Some(refer_to(w.body_a)),
            &[("Idempotency-Key", "refer-1")],
        )
        .await
        .expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn a_retried_work_plan_is_planned_once() {
    let w = World::new().await;
    let body = crate::activities::plan_body(&w, crate::activities::local_day(10), false);
    let post = |body: Value, key: &'static str| {
        w.app
            .post_with_key("/api/v1/activities", &w.group_staff_a, body, key)
    };
    let before = w.app.count("activities").await;
    let announced = w.app.count("outbox").await;
    let first = post(body.clone(), "plan-1").await.expect(201);
    let again = post(body.clone(), "plan-1").await.expect(201);
    assert_eq!(again.id(), first.id());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(w.app.count("activities").await, before + 1);
    assert_eq!(w.app.count("outbox").await, announced + 1, "announced once");
    let mut other = body.clone();
    other["topic"] = json!("另一个主题");
    post(other, "plan-1")
        .await
        .expect_problem(422, "idempotency_key_reused");
    assert_eq!(w.app.count("activities").await, before + 1);
}
