//! A planned activity changed (issue 14, point 9): the changed plan is checked as a new one,
//! every change is on the activity's timeline, and a published activity that moves or is
//! called off shows it on the public schedule and in the iCalendar feed (same UID, higher
//! SEQUENCE).

use reqwest::Method;
use serde_json::{Value, json};

use crate::activities::{local_day, plan, plan_body};
use crate::helpers::World;

/// (participations of the activity, those that carry its start and whether it was held).
async fn participations_dated(w: &World, activity: uuid::Uuid) -> (i64, i64) {
    use diesel::sql_types::{BigInt, Uuid};
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Dated {
        #[diesel(sql_type = BigInt)]
        total: i64,
        #[diesel(sql_type = BigInt)]
        dated: i64,
    }
    let row: Dated = diesel::sql_query(
        "SELECT count(*) AS total, count(*) FILTER (WHERE p.starts_at = a.starts_at
                                                       AND p.activity_held = (a.status = 'held')) AS dated
         FROM activity_participants p JOIN activities a ON a.id = p.activity_id
         WHERE a.id = $1",
    )
    .bind::<Uuid, _>(activity)
    .get_result(&mut w.app.db().await)
    .await
    .unwrap();
    (row.total, row.dated)
}

/// (SEQUENCE, DTSTART, STATUS) of the activity's event in the station's feed.
async fn in_feed(w: &World, activity: uuid::Uuid) -> (String, String, String) {
    let reply = w
        .app
        .request(
            Method::GET,
            &format!("/public/v1/stations/{}/calendar.ics", w.group_a),
            None,
            None,
        )
        .await
        .expect(200);
    let text = reply.body.as_str().unwrap().to_owned();
    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("valid iCalendar");
    let uid = format!("activity-{activity}@liaison");
    let event = calendar
        .components
        .iter()
        .find(|c| {
            c.name == "VEVENT"
                && c.properties
                    .iter()
                    .any(|p| p.name == "UID" && p.val.as_str() == uid)
        })
        .unwrap_or_else(|| panic!("{uid} not in the feed"));
    let property = |name: &str| {
        event
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.as_str().to_owned())
            .unwrap_or_default()
    };
    (
        property("SEQUENCE"),
        property("DTSTART"),
        property("STATUS"),
    )
}

async fn on_schedule(w: &World, activity: uuid::Uuid) -> Value {
    let reply = w
        .app
        .request(
            Method::GET,
            &format!(
                "/public/v1/schedule?from={}&to={}&station_id={}",
                local_day(0),
                local_day(30),
                w.group_a
            ),
            None,
            None,
        )
        .await
        .expect(200);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["activity_id"] == json!(activity))
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_published_activity_moved_shows_its_new_time_everywhere() {
    let w = World::new().await;
    let id = plan(&w, &w.group_staff_a, plan_body(&w, local_day(10), true)).await;
    let path = format!("/api/v1/activities/{id}");
    let (sequence, first_start, status) = in_feed(&w, id).await;
    assert_eq!((sequence.as_str(), status.as_str()), ("0", "CONFIRMED"));

    let patch = |body: Value, etag: &'static str| {
        let app = &w.app;
        let token = w.group_staff_a.clone();
        let path = path.clone();
        async move {
            app.send(
                Method::PATCH,
                &path,
                Some(&token),
                Some(body),
                &[("If-Match", etag)],
            )
            .await
        }
    };
    let day = local_day(12);
    let moved = json!({"starts_at": format!("{day}T14:00"), "ends_at": format!("{day}T16:00")});
    patch(moved.clone(), "\"v7\"")
        .await
        .expect_problem(412, "precondition_failed");
    let reply = patch(moved, "\"v1\"").await.expect(200);
    assert_eq!(reply.header("etag"), Some("\"v2\""));
    assert_eq!(reply.body["starts_at"], format!("{day}T14:00:00+08:00"));

    // Published and moved to within the notice period: refused. A plan without deputies: refused.
    let soon = local_day(1);
    patch(
        json!({"starts_at": format!("{soon}T09:00"), "ends_at": format!("{soon}T11:00")}),
        "\"v2\"",
    )
    .await
    .expect_problem(422, "validation_failed");
    patch(json!({"representative_ids": []}), "\"v2\"")
        .await
        .expect_problem(422, "work_plan_incomplete");

    let item = on_schedule(&w, id).await;
    assert_eq!(item["starts_at"], format!("{day}T14:00:00+08:00"));
    let (sequence, start, _) = in_feed(&w, id).await;
    assert_eq!(sequence, "1");
    assert_ne!(start, first_start);
    assert_eq!(start, format!("{}T060000Z", day.format("%Y%m%d")));
    // Its deputy's participation moved with it: the obligations page reads a deputy's year by
    // the participation's own start (migration 000018).
    assert_eq!(participations_dated(&w, id).await, (1, 1));

    // The timeline keeps what it was.
    let events = w
        .app
        .get(&format!("{path}/events"), &w.group_staff_a)
        .await
        .expect(200);
    let items = events.body["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["planned", "changed"]);
    let change = &items[1]["payload"];
    assert_eq!(
        change["starts_at"]["to"],
        json!(format!("{}T06:00:00Z", day))
    );
    assert!(change.get("topic").is_none(), "only what changed: {change}");

    // Called off: still in the feed, cancelled, with a higher SEQUENCE; no more changes.
    w.app
        .send(
            Method::POST,
            &format!("{path}/cancel"),
            Some(&w.group_staff_a),
            Some(json!({"reason": "场地维修"})),
            &[],
        )
        .await
        .expect(200);
    let (sequence, _, status) = in_feed(&w, id).await;
    assert_eq!((sequence.as_str(), status.as_str()), ("2", "CANCELLED"));
    assert_eq!(on_schedule(&w, id).await["cancelled"], true);
    patch(json!({"topic": "改期"}), "\"v3\"")
        .await
        .expect_problem(409, "invalid_transition");
    let events = w
        .app
        .get(&format!("{path}/events"), &w.group_staff_a)
        .await
        .expect(200);
    assert_eq!(events.body["items"][2]["action"], "cancelled");
}

#[tokio::test]
async fn an_unpublished_plan_is_published_later_and_its_venue_changed() {
    let w = World::new().await;
    let id = plan(&w, &w.group_staff_a, plan_body(&w, local_day(10), false)).await;
    assert_eq!(on_schedule(&w, id).await, Value::Null);
    let path = format!("/api/v1/activities/{id}");
    // Both a station and an address: refused; the address instead of the station: fine.
    w.app
        .patch(&path, &w.group_staff_a, json!({"address": "社区活动中心"}))
        .await
        .expect_problem(422, "validation_failed");
    let reply = w
        .app
        .patch(
            &path,
            &w.group_staff_a,
            json!({"address": "社区活动中心", "liaison_group_id": null, "published": true}),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["published"], true);
    assert_eq!(reply.body["address"], "社区活动中心");
    // Published now, at the new place; another committee's staff cannot touch it.
    w.app
        .patch(&path, &w.committee_staff_b, json!({"topic": "x"}))
        .await
        .expect_problem(404, "not_found");
    w.app
        .patch(&path, &w.representative, json!({"topic": "x"}))
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn a_declared_activity_counts_only_once_confirmed() {
    use chrono::Datelike;
    let w = World::new().await;
    let day = local_day(1);
    let mut body = plan_body(&w, day, false);
    body["kind"] = json!("annual_report");
    // Naming another deputy, or publishing, is not a declaration.
    let mut other = body.clone();
    other["representative_ids"] = json!([w.representative_a, w.fresh_contact().await.0]);
    w.app
        .post("/api/v1/activities", &w.representative, other)
        .await
        .expect_problem(422, "validation_failed");
    let mut published = body.clone();
    published["published"] = json!(true);
    w.app
        .post("/api/v1/activities", &w.representative, published)
        .await
        .expect_problem(422, "validation_failed");
    let declared = w
        .app
        .post("/api/v1/activities", &w.representative, body.clone())
        .await
        .expect(201);
    assert_eq!(declared.body["status"], "declared");
    let id = declared.id();
    let path = format!("/api/v1/activities/{id}");
    // Not a plan yet: it cannot be held, and the report does not count.
    w.app
        .post(
            &format!("{path}/hold"),
            &w.group_staff_a,
            crate::activities::hold_body(&w, json!([])),
        )
        .await
        .expect_problem(409, "invalid_transition");
    let obligations = format!(
        "/api/v1/obligations?year={}&representative={}",
        day.year(),
        w.representative_a
    );
    let evidence = |list: &Value| list["items"][0]["rules"][0]["evidence"].clone();
    let before = w.app.get(&obligations, &w.admin).await.expect(200);
    assert_eq!(evidence(&before.body), json!([]));
    // The deputy cannot confirm their own; staff do, then it is held like any plan.
    w.app
        .post(&format!("{path}/confirm"), &w.representative, json!({}))
        .await
        .expect_problem(403, "forbidden");
    let confirmed = w
        .app
        .post(&format!("{path}/confirm"), &w.group_staff_a, json!({}))
        .await
        .expect(200);
    assert_eq!(confirmed.body["status"], "planned");
    w.app
        .post(
            &format!("{path}/hold"),
            &w.group_staff_a,
            crate::activities::hold_body(&w, json!([])),
        )
        .await
        .expect(200);
    let after = w.app.get(&obligations, &w.admin).await.expect(200);
    assert_eq!(evidence(&after.body), json!([id]));
    // The page reads the held activity from the participation's own copy (migration 000029).
    let (total, held) = participations_dated(&w, id).await;
    assert!(total > 0 && held == total, "{held} of {total} marked held");
    let events = w
        .app
        .get(&format!("{path}/events"), &w.admin)
        .await
        .expect(200);
    let actions: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["declared", "confirmed", "held"]);

    // A second declaration rejected: it says why and can no longer be confirmed.
    let second = w
        .app
        .post("/api/v1/activities", &w.representative, body)
        .await
        .expect(201)
        .id();
    let rejected = w
        .app
        .post(
            &format!("/api/v1/activities/{second}/reject"),
            &w.committee_staff_a,
            json!({"reason": "与已登记的述职重复"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(rejected.body["reject_reason"], "与已登记的述职重复");
    w.app
        .post(
            &format!("/api/v1/activities/{second}/confirm"),
            &w.group_staff_a,
            json!({}),
        )
        .await
        .expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn voters_of_the_constituency_read_the_report_and_others_do_not() {
    let w = World::new().await;
    let mut body = plan_body(&w, local_day(3), false);
    body["kind"] = json!("annual_report");
    let report = plan(&w, &w.group_staff_a, body.clone()).await;
    let text = "## 2026 年履职报告\n\n一、参加视察 4 次……";
    let mut hold = crate::activities::hold_body(&w, json!([]));
    hold["report_text"] = json!(text);
    w.app
        .post(
            &format!("/api/v1/activities/{report}/hold"),
            &w.group_staff_a,
            hold.clone(),
        )
        .await
        .expect(200);
    // Only a report to voters has a text.
    let other = plan(&w, &w.group_staff_a, plan_body(&w, local_day(4), false)).await;
    w.app
        .post(
            &format!("/api/v1/activities/{other}/hold"),
            &w.group_staff_a,
            hold,
        )
        .await
        .expect_problem(422, "validation_failed");

    let path = format!(
        "/api/v1/representatives/{}/annual-reports",
        w.representative_a
    );
    let read = w.app.get(&path, &w.voter).await.expect(200);
    assert_eq!(read.body["items"][0]["activity_id"], json!(report));
    assert_eq!(read.body["items"][0]["report_text"], text);
    assert!(!read.body.to_string().contains("phone"), "{}", read.body);
    // The voter still evaluates it.
    w.app
        .post(
            &format!("/api/v1/activities/{report}/evaluations"),
            &w.voter,
            json!({"rating": "satisfied"}),
        )
        .await
        .expect(201);
    // A voter of another constituency does not see this deputy's reports.
    let elsewhere = w
        .app
        .post(
            "/api/v1/voters",
            &w.admin,
            json!({"name": "外区选民", "constituency_id": w.constituency_b, "phone": "13600000009"}),
        )
        .await
        .expect(201)
        .id();
    let (_, stranger) = w
        .app
        .account(&w.admin, "voter.elsewhere", "voter", Some(elsewhere))
        .await;
    w.app
        .get(&path, &stranger)
        .await
        .expect_problem(404, "not_found");
    w.app
        .get(&path, &w.handling_body)
        .await
        .expect_problem(403, "forbidden");
}
