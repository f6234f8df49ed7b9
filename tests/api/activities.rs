//! Activities over HTTP: work plans (三落实), holding with registrations that become
//! opinions, cancelling, scope, reports to voters and their evaluations.

use chrono::{Days, FixedOffset, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{VOTER_PHONE, World};

/// A local date `days` from today (Beijing time).
pub fn local_day(days: u64) -> NaiveDate {
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    Utc::now().with_timezone(&beijing).date_naive() + Days::new(days)
}

pub fn plan_body(world: &World, day: NaiveDate, published: bool) -> Value {
    json!({
        "kind": "station_reception",
        "form": "reception",
        "organiser_group_id": world.group_a,
        "liaison_group_id": world.group_a,
        "starts_at": format!("{day}T09:00"),
        "ends_at": format!("{day}T11:00"),
        "representative_ids": [world.representative_a],
        "topic": "进站接待选民",
        "published": published,
    })
}

pub async fn plan(world: &World, token: &str, body: Value) -> Uuid {
    world
        .app
        .post("/api/v1/activities", token, body)
        .await
        .expect(201)
        .id()
}

pub fn hold_body(world: &World, registrations: Value) -> Value {
    json!({
        "attendee_representative_ids": [world.representative_a],
        "voters_met": 12,
        "summary": "接待选民 12 人，收集意见 3 条。",
        "registrations": registrations,
    })
}

fn issue(title: &str, category: &str) -> Value {
    json!({"title": title, "content": format!("{title}，请尽快解决。"), "category": category})
}

#[tokio::test]
async fn a_work_plan_needs_person_time_and_place() {
    let w = World::new().await;
    let before = w.app.count("activities").await;
    let reply = w
        .app
        .post(
            "/api/v1/activities",
            &w.group_staff_a,
            json!({"kind": "forum", "form": "forum", "organiser_group_id": w.group_a,
                   "topic": "座谈会", "representative_ids": []}),
        )
        .await;
    // `forum` is a form, not a kind: the body is refused before the plan is looked at.
    reply.expect_problem(422, "validation_failed");
    let reply = w
        .app
        .post(
            "/api/v1/activities",
            &w.group_staff_a,
            json!({"kind": "centralised_contact", "form": "forum", "organiser_group_id": w.group_a,
                   "topic": "年中集中联系选民", "representative_ids": []}),
        )
        .await
        .expect_problem(422, "work_plan_incomplete");
    let errors = reply.body["errors"].as_object().unwrap();
    let mut fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "ends_at",
            "liaison_group_id",
            "representative_ids",
            "starts_at"
        ]
    );
    // Only the place missing: still incomplete, and only the place is named.
    let mut body = plan_body(&w, local_day(10), false);
    body.as_object_mut().unwrap().remove("liaison_group_id");
    let reply = w
        .app
        .post("/api/v1/activities", &w.group_staff_a, body)
        .await
        .expect_problem(422, "work_plan_incomplete");
    assert_eq!(reply.body["errors"].as_object().unwrap().len(), 1);
    // Ends before it starts.
    let mut body = plan_body(&w, local_day(10), false);
    body["ends_at"] = json!(format!("{}T08:00", local_day(10)));
    w.app
        .post("/api/v1/activities", &w.group_staff_a, body)
        .await
        .expect_problem(422, "validation_failed");
    // Published the day before: under the default three days' notice.
    let reply = w
        .app
        .post(
            "/api/v1/activities",
            &w.group_staff_a,
            plan_body(&w, local_day(1), true),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        reply.body["errors"]["published"][0]
            .as_str()
            .unwrap()
            .contains('3')
    );
    // A report to voters belongs to one deputy.
    let (other, _, _) = w.fresh_contact().await;
    let mut body = plan_body(&w, local_day(10), false);
    body["kind"] = json!("annual_report");
    body["representative_ids"] = json!([w.representative_a, other]);
    w.app
        .post("/api/v1/activities", &w.group_staff_a, body)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        w.app.count("activities").await,
        before,
        "nothing was written"
    );

    let reply = w
        .app
        .post(
            "/api/v1/activities",
            &w.group_staff_a,
            plan_body(&w, local_day(10), true),
        )
        .await
        .expect(201);
    assert_eq!(reply.header("etag"), Some("\"v1\""));
    assert_eq!(reply.body["status"], "planned");
    assert_eq!(reply.body["committee_id"], json!(w.committee_a));
    assert_eq!(
        reply.body["representative_ids"],
        json!([w.representative_a])
    );
    assert!(
        reply.body["starts_at"]
            .as_str()
            .unwrap()
            .ends_with("T09:00:00+08:00"),
        "local times come back in Beijing time: {}",
        reply.body["starts_at"]
    );
    assert_eq!(
        w.app.count("outbox WHERE topic = 'activity.planned'").await,
        1
    );
}

#[tokio::test]
async fn holding_records_registrations_and_turns_issues_into_opinions() {
    let w = World::new().await;
    let id = plan(&w, &w.group_staff_a, plan_body(&w, local_day(5), false)).await;
    let opinions_before = w.app.count("opinions").await;

    // One bad issue refuses the whole record, naming where it is.
    let bad = hold_body(
        &w,
        json!([
            {"visitor_name": "李大爷", "issues": [issue("路灯坏了", "urban_management")]},
            {"visitor_name": "赵阿姨", "issues": [issue("垃圾清运", "no_such_category")]},
        ]),
    );
    let reply = w
        .app
        .post(
            &format!("/api/v1/activities/{id}/hold"),
            &w.group_staff_a,
            bad,
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        reply.body["errors"]
            .get("registrations[1].issues[0].category")
            .is_some(),
        "{}",
        reply.body
    );
    assert_eq!(w.app.count("opinions").await, opinions_before);
    assert_eq!(w.app.count("reception_registrations").await, 0);
    let a = w
        .app
        .get(&format!("/api/v1/activities/{id}"), &w.group_staff_a)
        .await
        .expect(200);
    assert_eq!(a.body["status"], "planned");

    let good = hold_body(
        &w,
        json!([
            {"visitor_name": "李大爷", "phone": VOTER_PHONE, "voter_id": w.voter_a,
             "issues": [issue("路灯坏了", "urban_management"), issue("公交站太远", "transport")]},
            {"visitor_name": "赵阿姨", "issues": [issue("垃圾清运不及时", "environment")]},
            {"visitor_name": "来访登记无诉求"},
        ]),
    );
    let reply = w
        .app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/activities/{id}/hold"),
            Some(&w.group_staff_a),
            Some(good),
            &[("If-Match", "\"v1\"")],
        )
        .await
        .expect(200);
    assert_eq!(reply.body["status"], "held");
    assert_eq!(reply.body["voters_met"], 12);
    assert_eq!(
        reply.body["attendee_representative_ids"],
        json!([w.representative_a])
    );
    assert_eq!(reply.header("etag"), Some("\"v2\""));
    assert_eq!(w.app.count("opinions").await, opinions_before + 3);

    let regs = w
        .app
        .get(
            &format!("/api/v1/activities/{id}/registrations"),
            &w.group_staff_a,
        )
        .await
        .expect(200);
    let items = regs.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["phone"], VOTER_PHONE);
    assert_eq!(items[0]["opinion_ids"].as_array().unwrap().len(), 2);
    assert_eq!(items[2]["opinion_ids"], json!([]));
    let opinion = items[0]["opinion_ids"][0].as_str().unwrap().to_owned();
    let o = w
        .app
        .get(&format!("/api/v1/opinions/{opinion}"), &w.group_staff_a)
        .await
        .expect(200);
    assert_eq!(o.body["activity_id"], json!(id));
    assert_eq!(o.body["source"], "reception");
    assert_eq!(o.body["representative_id"], json!(w.representative_a));
    assert_eq!(o.body["voter_id"], json!(w.voter_a));
    assert_eq!(o.body["state"], "received");

    // The deputy sees the registrations with phones masked.
    let regs = w
        .app
        .get(
            &format!("/api/v1/activities/{id}/registrations"),
            &w.representative,
        )
        .await
        .expect(200);
    let phone = regs.body["items"][0]["phone"].as_str().unwrap();
    assert!(phone.contains('*') && phone != VOTER_PHONE, "{phone}");

    // Held is final: neither a second hold nor a cancel.
    w.app
        .post(
            &format!("/api/v1/activities/{id}/hold"),
            &w.group_staff_a,
            hold_body(&w, json!([])),
        )
        .await
        .expect_problem(409, "invalid_transition");
    w.app
        .post(
            &format!("/api/v1/activities/{id}/cancel"),
            &w.group_staff_a,
            json!({"reason": "下雨"}),
        )
        .await
        .expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn cancelling_and_scope() {
    let w = World::new().await;
    let id = plan(&w, &w.committee_staff_a, plan_body(&w, local_day(7), false)).await;
    // Stale If-Match: 412 and nothing changes.
    w.app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/activities/{id}/cancel"),
            Some(&w.group_staff_a),
            Some(json!({"reason": "场地维修"})),
            &[("If-Match", "\"v7\"")],
        )
        .await
        .expect_problem(412, "precondition_failed");
    // Out of scope: another district's staff do not see it at all.
    w.app
        .get(&format!("/api/v1/activities/{id}"), &w.committee_staff_b)
        .await
        .expect_problem(404, "not_found");
    w.app
        .post(
            &format!("/api/v1/activities/{id}/cancel"),
            &w.committee_staff_b,
            json!({"reason": "x"}),
        )
        .await
        .expect_problem(404, "not_found");
    // The deputy taking part sees it; nobody in another committee does.
    w.app
        .get(&format!("/api/v1/activities/{id}"), &w.representative)
        .await
        .expect(200);
    let list = w
        .app
        .get("/api/v1/activities", &w.committee_staff_b)
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    let reply = w
        .app
        .post(
            &format!("/api/v1/activities/{id}/cancel"),
            &w.group_staff_a,
            json!({"reason": "场地维修"}),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["status"], "cancelled");
    assert_eq!(reply.body["cancel_reason"], "场地维修");
    // Opinions name only activities the recorder can see.
    let other = plan(
        &w,
        &w.admin,
        json!({"kind": "inspection", "form": "visit", "organiser_committee_id": w.committee_b,
               "address": "鲁谷路 1 号", "starts_at": format!("{}T14:00", local_day(3)),
               "ends_at": format!("{}T16:00", local_day(3)),
               "representative_ids": [w.representative_a], "topic": "视察"}),
    )
    .await;
    let mut body = crate::opinions::opinion_body(&w);
    body["source"] = json!("visit");
    body["activity_id"] = json!(other);
    w.app
        .post("/api/v1/opinions", &w.group_staff_a, body)
        .await
        .expect_problem(422, "validation_failed");
    let list = w
        .app
        .get(
            &format!(
                "/api/v1/activities?status=cancelled&liaison_group_id={}",
                w.group_a
            ),
            &w.group_staff_a,
        )
        .await
        .expect(200);
    let ids: Vec<&Value> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(ids, [&json!(id)]);
}

#[tokio::test]
async fn a_report_to_voters_keeps_its_evaluations() {
    let w = World::new().await;
    let mut body = plan_body(&w, local_day(4), false);
    body["kind"] = json!("annual_report");
    body["form"] = json!("forum");
    let id = plan(&w, &w.group_staff_a, body).await;
    let path = format!("/api/v1/activities/{id}/evaluations");
    // Not held yet.
    w.app
        .post(&path, &w.voter, json!({"rating": "satisfied"}))
        .await
        .expect_problem(409, "not_an_evaluable_report");
    w.app
        .post(
            &format!("/api/v1/activities/{id}/hold"),
            &w.group_staff_a,
            hold_body(&w, json!([])),
        )
        .await
        .expect(200);
    let reply = w
        .app
        .post(&path, &w.voter, json!({"rating": "satisfied"}))
        .await
        .expect(201);
    assert_eq!(
        reply.body["evaluations"],
        json!({"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0})
    );
    w.app
        .post(&path, &w.voter, json!({"rating": "unsatisfied"}))
        .await
        .expect_problem(409, "already_evaluated");
    // Paper forms, recorded by staff, count too.
    for rating in ["basically_satisfied", "unsatisfied", "unsatisfied"] {
        w.app
            .post(&path, &w.group_staff_a, json!({"rating": rating}))
            .await
            .expect(201);
    }
    let a = w
        .app
        .get(&format!("/api/v1/activities/{id}"), &w.representative)
        .await
        .expect(200);
    assert_eq!(
        a.body["evaluations"],
        json!({"satisfied": 1, "basically_satisfied": 1, "unsatisfied": 2})
    );
    // A voter of another constituency cannot evaluate this deputy's report.
    let stranger = w
        .app
        .post(
            "/api/v1/voters",
            &w.admin,
            json!({"name": "外区选民", "constituency_id": w.constituency_b, "phone": "13700000999"}),
        )
        .await
        .expect(201)
        .id();
    let (_, token) = w
        .app
        .account(&w.admin, "voter.b", "voter", Some(stranger))
        .await;
    w.app
        .post(&path, &token, json!({"rating": "satisfied"}))
        .await
        .expect_problem(404, "not_found");
}
