//! Meetings at a voter's request: requested → accepted (a voter_requested activity) or
//! declined → held or cancelled, each by the right people.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::activities::{hold_body, local_day};
use crate::helpers::World;

pub fn request_body(w: &World) -> Value {
    json!({
        "representative_id": w.representative_a,
        "topic": "小区加装电梯",
        "preferred_times": [{"starts_at": format!("{}T19:00", local_day(5)),
                             "ends_at": format!("{}T20:00", local_day(5))}],
        "voter_id": w.voter_a,
    })
}

pub fn accept_body(w: &World) -> Value {
    json!({"starts_at": format!("{}T19:00", local_day(6)),
           "ends_at": format!("{}T20:00", local_day(6)),
           "liaison_group_id": w.group_a})
}

pub async fn request(w: &World) -> Uuid {
    w.app
        .post("/api/v1/appointments", &w.voter, request_body(w))
        .await
        .expect(201)
        .id()
}

#[tokio::test]
async fn a_meeting_request_from_asking_to_held() {
    let w = World::new().await;
    // Only deputies of the voter's own constituency.
    let other = w
        .app
        .post(
            "/api/v1/representatives",
            &w.admin,
            json!({"name": "鲁代表", "gender": "male", "level": "district", "term": 16,
                   "constituency_id": w.constituency_b, "liaison_group_id": w.group_b}),
        )
        .await
        .expect(201)
        .id();
    let mut wrong = request_body(&w);
    wrong["representative_id"] = json!(other);
    w.app
        .post("/api/v1/appointments", &w.voter, wrong)
        .await
        .expect_problem(422, "validation_failed");

    let id = request(&w).await;
    let path = format!("/api/v1/appointments/{id}");
    let seen = w.app.get(&path, &w.representative).await.expect(200);
    assert_eq!(seen.body["state"], "requested");
    assert_eq!(
        seen.body["preferred_times"][0]["starts_at"],
        format!("{}T19:00:00+08:00", local_day(5))
    );
    w.app
        .get(&path, &w.committee_staff_b)
        .await
        .expect_problem(404, "not_found");
    // The voter cannot answer their own request.
    w.app
        .post(&format!("{path}/accept"), &w.voter, accept_body(&w))
        .await
        .expect_problem(403, "forbidden");

    let accepted = w
        .app
        .post(
            &format!("{path}/accept"),
            &w.representative,
            accept_body(&w),
        )
        .await
        .expect(200);
    assert_eq!(accepted.body["state"], "accepted");
    let activity = accepted.body["activity_id"].as_str().unwrap().to_owned();
    let a = w
        .app
        .get(&format!("/api/v1/activities/{activity}"), &w.representative)
        .await
        .expect(200);
    assert_eq!(a.body["kind"], "voter_requested");
    assert_eq!(a.body["status"], "planned");
    assert_eq!(a.body["representative_ids"], json!([w.representative_a]));
    assert_eq!(a.body["topic"], "小区加装电梯");
    w.app
        .post(
            &format!("{path}/decline"),
            &w.representative,
            json!({"reason": "太忙"}),
        )
        .await
        .expect_problem(409, "invalid_transition");

    w.app
        .post(
            &format!("/api/v1/activities/{activity}/hold"),
            &w.group_staff_a,
            hold_body(&w, json!([])),
        )
        .await
        .expect(200);
    let held = w.app.get(&path, &w.voter).await.expect(200);
    assert_eq!(held.body["state"], "held");
    assert_eq!(
        w.app.count("outbox WHERE topic = 'appointment.held'").await,
        1,
        "following the activity is announced like any other step"
    );
    w.app
        .post(
            &format!("{path}/cancel"),
            &w.voter,
            json!({"reason": "不用了"}),
        )
        .await
        .expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn declined_and_cancelled_requests() {
    let w = World::new().await;
    let declined = request(&w).await;
    let reply = w
        .app
        .post(
            &format!("/api/v1/appointments/{declined}/decline"),
            &w.group_staff_a,
            json!({"reason": "该事项已转交街道办理"}),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["state"], "declined");
    let mine = w
        .app
        .get(&format!("/api/v1/appointments/{declined}"), &w.voter)
        .await
        .expect(200);
    assert_eq!(mine.body["decline_reason"], "该事项已转交街道办理");

    // Accepted, then called off by the voter: the planned meeting is cancelled with it.
    let id = request(&w).await;
    let accepted = w
        .app
        .post(
            &format!("/api/v1/appointments/{id}/accept"),
            &w.group_staff_a,
            accept_body(&w),
        )
        .await
        .expect(200);
    let activity = accepted.body["activity_id"].as_str().unwrap().to_owned();
    let reply = w
        .app
        .post(
            &format!("/api/v1/appointments/{id}/cancel"),
            &w.voter,
            json!({"reason": "临时出差"}),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["state"], "cancelled");
    let a = w
        .app
        .get(&format!("/api/v1/activities/{activity}"), &w.group_staff_a)
        .await
        .expect(200);
    assert_eq!(a.body["status"], "cancelled");
    assert_eq!(a.body["cancel_reason"], "临时出差");

    // The voter sees only their own requests.
    let list = w
        .app
        .get("/api/v1/appointments", &w.voter)
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        w.app.count("outbox WHERE topic LIKE 'appointment.%'").await,
        5,
        "two requests, a decline, an accept and a cancel"
    );
}
