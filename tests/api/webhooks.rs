//! Webhooks: signed as the Standard Webhooks specification says, fed from the outbox, retried
//! on the schedule with the same `webhook-id`, switched off when the schedule runs out,
//! resumed after a server is killed mid-delivery, shared by two servers without a repeat, and
//! scoped like the changes feed.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, World, spawn_app_with, spawn_server_on};
use crate::opinions::submit;
use crate::webhook_receiver::{Receiver, verify};

/// A client of `committee` (None: the whole district) with the scopes a webhook needs.
async fn client_token(w: &World, committee: Option<uuid::Uuid>) -> String {
    let client = w
        .app
        .post(
            "/api/v1/service-clients",
            &w.admin,
            json!({"name": "代表活动服务系统", "scopes": ["webhooks:manage", "changes:read"], "committee_id": committee}),
        )
        .await
        .expect(201)
        .body;
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    w.app
        .form(
            "/api/v1/auth/token",
            Some((id, secret)),
            "grant_type=client_credentials",
        )
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn register(app: &TestApp, token: &str, url: &str, types: Value) -> (String, String) {
    let mut body = json!({"url": url, "description": "测试接收端"});
    if !types.is_null() {
        body["event_types"] = types;
    }
    let created = app.post("/api/v1/webhooks", token, body).await.expect(201);
    assert!(created.header("location").is_some());
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (created.id().to_string(), secret)
}

/// Asks the server to send the endpoint a test ping (`POST /webhooks/{id}/test`).
async fn ping(app: &TestApp, token: &str, hook: &str) -> Reply {
    app.post(&format!("/api/v1/webhooks/{hook}/test"), token, json!({}))
        .await
}

fn about(r: &crate::webhook_receiver::Received, subject: &str) -> bool {
    serde_json::from_str::<Value>(&r.body).is_ok_and(|b| b["data"]["subject"]["id"] == subject)
}

#[tokio::test]
async fn a_change_arrives_signed_and_the_delivery_records_its_attempt() {
    let w = World::new().await;
    let receiver = Receiver::start();
    let token = client_token(&w, None).await;
    let (hook, secret) = register(&w.app, &token, &receiver.url, json!(["opinion.*"])).await;
    let opinion = submit(&w).await.to_string();
    // A change is handed on once every older transaction in the cluster has ended.
    let got = receiver
        .wait_for(30, |r| r.iter().find(|r| about(r, &opinion)).cloned())
        .await;
    let payload = verify(&secret, &got).expect("the signature verifies");
    assert_eq!(payload["type"], "opinion.received");
    assert_eq!(payload["data"]["type"], "opinion.received");
    assert_eq!(payload["data"]["data"]["state"], "received");
    assert!(payload["timestamp"].is_string());
    assert!(got.id.starts_with("msg_"));
    for personal in ["鲁谷路 12 号", "小区门口"] {
        assert!(!got.body.contains(personal), "{personal} in {}", got.body);
    }
    // A tampered body or another secret does not verify.
    let mut forged = got.clone();
    forged.body = forged.body.replace("received", "answered");
    assert!(verify(&secret, &forged).is_err());
    let other = w
        .app
        .post("/api/v1/webhooks", &token, json!({"url": receiver.url}))
        .await
        .expect(201);
    assert!(verify(other.body["secret"].as_str().unwrap(), &got).is_err());

    let mut listed = Value::Null;
    for _ in 0..50 {
        listed = w
            .app
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &token)
            .await
            .expect(200)
            .body;
        if listed["items"][0]["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let delivery = &listed["items"][0];
    assert_eq!(delivery["state"], "delivered", "{listed}");
    assert_eq!(delivery["message_id"], got.id);
    assert_eq!(delivery["type"], "opinion.received");
    assert_eq!(delivery["attempts"][0]["status_code"], 200);
    assert_eq!(delivery["attempts"][0]["attempt"], 1);
    assert!(delivery["attempts"][0]["latency_ms"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn failures_are_retried_with_the_same_id_until_the_schedule_runs_out() {
    let w = World::new().await;
    let receiver = Receiver::start();
    let token = client_token(&w, None).await;
    let (hook, secret) = register(&w.app, &token, &receiver.url, json!(["ping.*"])).await;
    // Two failures, then the third attempt (after 1 s and 1 s) is acknowledged.
    receiver.fail_next(2);
    let sent = ping(&w.app, &token, &hook).await.expect(202).body;
    assert_eq!(sent["type"], "ping");
    let tries = receiver
        .wait_for(20, |r| (r.len() >= 3).then(|| r.to_vec()))
        .await;
    assert_eq!(
        tries.iter().map(|t| t.answered).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert!(
        tries.iter().all(|t| t.id == tries[0].id),
        "one webhook-id for every attempt"
    );
    for t in &tries {
        assert_eq!(verify(&secret, t).unwrap()["type"], "ping");
    }

    // Failing all three attempts of the schedule gives up and switches the endpoint off.
    receiver.fail_next(usize::MAX);
    let doomed = ping(&w.app, &token, &hook).await.expect(202).id();
    let mut endpoint = Value::Null;
    for _ in 0..100 {
        endpoint = w
            .app
            .get(&format!("/api/v1/webhooks/{hook}"), &token)
            .await
            .expect(200)
            .body;
        if endpoint["enabled"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    let reason = endpoint["disabled_reason"].as_str().unwrap();
    assert!(
        reason.contains("gave up after 3 attempts") && reason.contains("HTTP 500"),
        "{reason}"
    );
    let listed = w
        .app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &token)
        .await
        .expect(200)
        .body;
    let failed = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == doomed.to_string())
        .unwrap();
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["attempts"].as_array().unwrap().len(), 3);
    assert!(failed["last_error"].as_str().unwrap().contains("gave up"));

    // Off, nothing is sent: a retry or a ping says so. Switched on, a retry goes out at once.
    let retry = format!("/api/v1/webhooks/{hook}/deliveries/{doomed}/retry");
    w.app
        .post(&retry, &token, json!({}))
        .await
        .expect_problem(409, "conflicts_with_record");
    ping(&w.app, &token, &hook)
        .await
        .expect_problem(409, "conflicts_with_record");
    let on = w
        .app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            &token,
            json!({"enabled": true}),
        )
        .await
        .expect(200);
    assert_eq!(on.body["disabled_reason"], Value::Null);
    receiver.fail_next(0);
    let before = receiver.received().len();
    w.app.post(&retry, &token, json!({})).await.expect(202);
    let last = receiver
        .wait_for(10, |r| (r.len() > before).then(|| r[before].clone()))
        .await;
    assert_eq!(last.answered, 200);
    assert_eq!(last.id, format!("msg_{}", doomed.simple()));
}

#[tokio::test]
async fn a_server_killed_mid_delivery_is_resumed_after_restart() {
    // The API server here delivers nothing: only the server the test kills, then its
    // replacement, do.
    let app = spawn_app_with(|s| s.webhooks.deliver = false).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start();
    let (hook, secret) = register(&app, &admin, &receiver.url, json!(["ping.*"])).await;
    let doomed = spawn_server_on(&app.database_url, |_| {});
    receiver.hang_next();
    ping(&app, &admin, &hook).await.expect(202);
    let first = receiver.wait_for(10, |r| r.first().cloned()).await;
    doomed.kill().await;
    // Nothing is sent while no server delivers.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(receiver.received().len(), 1);
    let _restarted = spawn_server_on(&app.database_url, |_| {});
    // The killed attempt's lease (twice the 2 s timeout and 5 s) runs out, then it goes again.
    let again = receiver.wait_for(30, |r| r.get(1).cloned()).await;
    assert_eq!(again.id, first.id, "the same webhook-id");
    assert_eq!(again.answered, 200);
    assert_eq!(verify(&secret, &again).unwrap()["type"], "ping");
    let listed = app
        .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &admin)
        .await
        .expect(200)
        .body;
    let mut state = listed["items"][0]["state"].clone();
    for _ in 0..50 {
        if state == "delivered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        state = app
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"), &admin)
            .await
            .expect(200)
            .body["items"][0]["state"]
            .clone();
    }
    assert_eq!(state, "delivered");
}

#[tokio::test]
async fn two_servers_on_one_database_send_each_message_once() {
    let w = World::new().await;
    let receiver = Receiver::start();
    let token = client_token(&w, None).await;
    let _second = spawn_server_on(&w.app.database_url, |_| {});
    let (hook, _) = register(&w.app, &token, &receiver.url, json!(["ping.*"])).await;
    let mut pings = Vec::new();
    for _ in 0..40 {
        pings.push(
            ping(&w.app, &token, &hook).await.expect(202).body["message_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    receiver
        .wait_for(30, |r| (r.len() >= pings.len()).then_some(()))
        .await;
    // Time for a repeat to show, were there one.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        *seen.entry(r.id).or_default() += 1;
    }
    for id in &pings {
        assert_eq!(seen.get(id), Some(&1), "{id} sent {:?} times", seen.get(id));
    }
    assert_eq!(seen.len(), pings.len());
}

#[tokio::test]
async fn an_endpoint_receives_and_shows_only_what_its_owner_may_read() {
    let w = World::new().await;
    let receiver_a = Receiver::start();
    let receiver_b = Receiver::start();
    let token_a = client_token(&w, Some(w.committee_a)).await;
    let token_b = client_token(&w, Some(w.committee_b)).await;
    let (hook_a, _) = register(&w.app, &token_a, &receiver_a.url, Value::Null).await;
    let (hook_b, _) = register(&w.app, &token_b, &receiver_b.url, Value::Null).await;
    let opinion = submit(&w).await.to_string();
    receiver_a
        .wait_for(30, |r| r.iter().find(|r| about(r, &opinion)).cloned())
        .await;
    // The change was handed on to every endpoint in one transaction: B's had its chance.
    assert!(receiver_b.received().iter().all(|r| !about(r, &opinion)));
    let b_deliveries = w
        .app
        .get(&format!("/api/v1/webhooks/{hook_b}/deliveries"), &token_b)
        .await
        .expect(200);
    assert_eq!(b_deliveries.body["items"], json!([]));

    // Each client sees its own endpoint only; committee staff see those in their subtree.
    w.app
        .get(&format!("/api/v1/webhooks/{hook_a}"), &token_b)
        .await
        .expect_problem(404, "not_found");
    w.app
        .get(&format!("/api/v1/webhooks/{hook_a}/deliveries"), &token_b)
        .await
        .expect_problem(404, "not_found");
    w.app
        .delete(&format!("/api/v1/webhooks/{hook_a}"), &token_b)
        .await
        .expect_problem(404, "not_found");
    let listed = w
        .app
        .get("/api/v1/webhooks", &token_b)
        .await
        .expect(200)
        .body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], hook_b);
    w.app
        .get(&format!("/api/v1/webhooks/{hook_a}"), &w.committee_staff_a)
        .await
        .expect(200);
    w.app
        .get(&format!("/api/v1/webhooks/{hook_b}"), &w.committee_staff_a)
        .await
        .expect_problem(404, "not_found");
    w.app
        .get("/api/v1/webhooks", &w.group_staff_a)
        .await
        .expect_problem(403, "forbidden");

    // A client without changes:read gets no endpoint: it could not read what it would receive.
    let narrow = w
        .app
        .service_client_token(&w.admin, &["webhooks:manage"])
        .await;
    w.app
        .post("/api/v1/webhooks", &narrow, json!({"url": receiver_a.url}))
        .await
        .expect_problem(403, "insufficient_scope");

    // Revoking a client switches its endpoints off, saying why.
    let clients = w
        .app
        .get("/api/v1/service-clients", &w.admin)
        .await
        .expect(200)
        .body;
    let client_a = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["committee_id"] == w.committee_a.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.app
        .delete(&format!("/api/v1/service-clients/{client_a}"), &w.admin)
        .await
        .expect(204);
    let off = w
        .app
        .get(&format!("/api/v1/webhooks/{hook_a}"), &w.admin)
        .await
        .expect(200)
        .body;
    assert_eq!(off["enabled"], false);
    assert_eq!(off["disabled_reason"], "its service client was revoked");
}

#[tokio::test]
async fn private_and_plain_http_targets_are_refused_outside_tests() {
    let app = spawn_app_with(|s| s.webhooks.allow_private = false).await;
    let admin = app.admin_token().await;
    for url in [
        "http://hooks.example/liaison",
        "https://127.0.0.1/hooks",
        "https://localhost:8443/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://user:secret@hooks.example/",
    ] {
        let refused = app
            .post("/api/v1/webhooks", &admin, json!({"url": url}))
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            refused.body.to_string().contains("url"),
            "{url}: {}",
            refused.body
        );
    }
    let bad_types = app
        .post(
            "/api/v1/webhooks",
            &admin,
            json!({"url": "https://hooks.example/", "event_types": ["opinion"]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        bad_types.body.to_string().contains("event_types[0]"),
        "{}",
        bad_types.body
    );
    // A public name that does not resolve yet is kept: deliveries retry.
    let kept = app
        .post("/api/v1/webhooks", &admin, json!({"url": "https://hooks.example/liaison", "event_types": ["opinion.*", "activity.held"]}))
        .await
        .expect(201);
    assert_eq!(
        kept.body["event_types"],
        json!(["opinion.*", "activity.held"])
    );
    let all = app
        .patch(
            &format!("/api/v1/webhooks/{}", kept.id()),
            &admin,
            json!({"event_types": null}),
        )
        .await
        .expect(200);
    assert_eq!(all.body["event_types"], Value::Null);
}

/// A receiver closes a connection idle for its keep-alive (actix-web's, here: 5 s, closing at
/// 4.5-5 s); a delivery written on it just then would fail unread. The server drops a
/// connection idle for 3 s, so one sent after 3.5 s of quiet comes on a new connection, where
/// a client keeping connections longer would have written it on the old one.
#[tokio::test]
async fn a_delivery_after_a_quiet_spell_comes_on_a_new_connection() {
    let w = World::new().await;
    let receiver = Receiver::start();
    let token = client_token(&w, None).await;
    let (hook, _) = register(&w.app, &token, &receiver.url, json!(["ping.*"])).await;
    ping(&w.app, &token, &hook).await.expect(202);
    let first = receiver.wait_for(20, |r| r.first().cloned()).await;
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    ping(&w.app, &token, &hook).await.expect(202);
    let second = receiver.wait_for(20, |r| r.get(1).cloned()).await;
    assert_eq!((first.answered, second.answered), (200, 200));
    assert_ne!(first.peer_port, 0);
    assert_ne!(
        first.peer_port, second.peer_port,
        "the second delivery reused a connection left idle for 3.5 s"
    );
}
