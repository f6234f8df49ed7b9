//! Staff notifications (issue 14, point 8): an urgent opinion reaches its committee's and the
//! district's staff in the same transaction; an overdue referral is announced once by a sweep
//! that two replicas run at the same time.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::World;
use crate::opinions::{opinion_body, refer_to, step, submit, submit_with};

async fn notifications(w: &World, token: &str, query: &str) -> Value {
    w.app
        .get(&format!("/api/v1/notifications{query}"), token)
        .await
        .expect(200)
        .body
}

#[tokio::test]
async fn an_urgent_opinion_reaches_the_committee_and_district_staff() {
    let w = World::new().await;
    let (_, district) = w
        .app
        .account(
            &w.admin,
            "district.staff",
            "committee_staff",
            Some(w.standing),
        )
        .await;
    let ordinary = submit(&w).await;
    let mut body = opinion_body(&w);
    body["urgent"] = json!(true);
    let urgent = submit_with(&w, body).await;
    for token in [&w.committee_staff_a, &district] {
        let list = notifications(&w, token, "").await;
        assert_eq!(list["unread"], 1, "{list}");
        let item = &list["items"][0];
        assert_eq!(item["kind"], "urgent_opinion");
        assert_eq!(item["opinion_id"], json!(urgent));
        assert_eq!(item["read_at"], Value::Null);
        assert_ne!(item["opinion_id"], json!(ordinary));
        let me = w.app.get("/api/v1/me", token).await.expect(200);
        assert_eq!(me.body["unread_notifications"], 1);
    }
    // Another committee's staff and the station's staff are not told.
    for token in [&w.committee_staff_b, &w.group_staff_a] {
        assert_eq!(notifications(&w, token, "").await["items"], json!([]));
    }
    // Reading it: once read it stays read at the first time, and is listed after unread ones.
    let id = notifications(&w, &district, "").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = w
        .app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &district,
            json!({}),
        )
        .await
        .expect(200);
    let first = read.body["read_at"].clone();
    assert_ne!(first, Value::Null);
    let again = w
        .app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &district,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(again.body["read_at"], first);
    assert_eq!(notifications(&w, &district, "").await["unread"], 0);
    assert_eq!(
        notifications(&w, &district, "?state=unread").await["items"],
        json!([])
    );
    // Someone else's notification is not yours to read.
    w.app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &w.committee_staff_a,
            json!({}),
        )
        .await
        .expect_problem(404, "not_found");
    w.app
        .get("/api/v1/notifications?cursor=nonsense", &district)
        .await
        .expect_problem(400, "invalid_cursor");
}

#[tokio::test]
async fn the_list_pages_unread_first() {
    let w = World::new().await;
    for _ in 0..3 {
        let mut body = opinion_body(&w);
        body["urgent"] = json!(true);
        w.app
            .post("/api/v1/opinions", &w.voter, body)
            .await
            .expect(201);
    }
    let all = notifications(&w, &w.committee_staff_a, "").await;
    let ids: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    // Read the newest: it goes to the end.
    w.app
        .post(
            &format!("/api/v1/notifications/{}/read", ids[0]),
            &w.committee_staff_a,
            json!({}),
        )
        .await
        .expect(200);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = notifications(
            &w,
            &w.committee_staff_a,
            &format!("?limit=1&cursor={cursor}"),
        )
        .await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, [ids[1].clone(), ids[2].clone(), ids[0].clone()]);
}

#[tokio::test]
async fn an_overdue_referral_is_announced_once_by_two_replicas_sweeping() {
    let w = World::new().await;
    let id = submit(&w).await;
    step(&w, &w.committee_staff_a, id, refer_to(w.body_a))
        .await
        .expect(200);
    w.app
        .sql(&format!(
            "UPDATE referrals SET due_at = now() - interval '1 day' WHERE opinion_id = '{id}'"
        ))
        .await;
    let sweeping = |s: &mut liaison::config::Settings| {
        s.notification_sweep = Some(Duration::from_millis(50));
    };
    let _one = w.app.replica(sweeping);
    let _two = w.app.replica(sweeping);
    let mut found = Value::Null;
    for _ in 0..100 {
        let list = notifications(&w, &w.committee_staff_a, "").await;
        if list["items"].as_array().is_some_and(|i| !i.is_empty()) {
            found = list;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found["items"][0]["kind"], "referral_overdue", "{found}");
    assert_eq!(found["items"][0]["opinion_id"], json!(id));
    // Both replicas keep sweeping; still exactly one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = notifications(&w, &w.committee_staff_a, "").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(w.app.count("notifications").await, 1);
}
