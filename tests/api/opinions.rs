//! The opinion lifecycle over HTTP: the full story, visibility per role, the append-only
//! timeline, due dates, concurrency, idempotency and ETags.

use chrono::{Days, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Reply, World};

pub fn opinion_body(world: &World) -> Value {
    json!({
        "title": "鲁谷路路灯坏了",
        "content": "小区门口的路灯已经坏了一个月，晚上出行不安全。",
        "category": "urban_management",
        "constituency_id": world.constituency_a,
        "representative_id": world.representative_a,
        "source": "online",
        "urgent": false,
        "public_consent": true,
        "location": "鲁谷路 12 号"
    })
}

/// Submits `body` as the world's voter; the new opinion's id.
pub async fn submit_with(w: &World, body: Value) -> Uuid {
    w.app
        .post("/api/v1/opinions", &w.voter, body)
        .await
        .expect(201)
        .id()
}

/// Submits the usual opinion as the world's voter; its id.
pub async fn submit(world: &World) -> Uuid {
    submit_with(world, opinion_body(world)).await
}

pub async fn step(world: &World, token: &str, id: Uuid, body: Value) -> Reply {
    world
        .app
        .post(&format!("/api/v1/opinions/{id}/transitions"), token, body)
        .await
}

pub fn refer_to(body: Uuid) -> Value {
    json!({"action": "refer", "handling_body_id": body, "channel": "recess_suggestion"})
}

pub fn answer() -> Value {
    json!({"action": "answer", "outcome": "resolved", "text": "已更换路灯。"})
}

pub fn feed_back() -> Value {
    json!({"action": "feed_back", "method": "phone", "text": "已电话告知选民路灯已修复。"})
}

pub async fn events(world: &World, token: &str, id: Uuid) -> Vec<Value> {
    let reply = world
        .app
        .get(&format!("/api/v1/opinions/{id}/events"), token)
        .await
        .expect(200);
    reply.body["items"].as_array().unwrap().clone()
}

pub async fn state_of(world: &World, id: Uuid) -> String {
    let reply = world
        .app
        .get(&format!("/api/v1/opinions/{id}"), &world.admin)
        .await
        .expect(200);
    reply.body["state"].as_str().unwrap().to_owned()
}

/// A new handling body of committee A.
pub async fn new_body(world: &World, name: &str) -> Uuid {
    new_body_in(world, world.committee_a, name).await
}

/// A new handling body of `committee`.
pub async fn new_body_in(world: &World, committee: Uuid, name: &str) -> Uuid {
    world
        .app
        .post(
            "/api/v1/handling-bodies",
            &world.admin,
            json!({"name": name, "kind": "government_department", "committee_id": committee}),
        )
        .await
        .expect(201)
        .id()
}

#[tokio::test]
async fn the_full_story_each_role_seeing_only_what_it_may() {
    let w = World::new().await;
    let app = &w.app;
    let created = app
        .post("/api/v1/opinions", &w.voter, opinion_body(&w))
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(created.body["state"], "received");
    assert_eq!(created.body["overdue"], false);
    assert_eq!(created.body["voter_id"], w.voter_a.to_string());
    assert!(created.body["current_due_at"].is_string());
    assert_eq!(created.header("etag"), Some("\"v1\""));
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/opinions/{id}").as_str())
    );
    let path = format!("/api/v1/opinions/{id}");

    // Before referral: the deputy it was addressed to, group A and committee A see it; the
    // other committee and the handling body do not.
    for token in [&w.representative, &w.group_staff_a, &w.committee_staff_a] {
        app.get(&path, token).await.expect(200);
    }
    for token in [&w.committee_staff_b, &w.handling_body] {
        app.get(&path, token).await.expect_problem(404, "not_found");
    }
    // A voter cannot refer; feeding back a received opinion is not a step of the lifecycle.
    step(&w, &w.voter, id, refer_to(w.body_a))
        .await
        .expect_problem(403, "forbidden");
    let refused = step(&w, &w.committee_staff_a, id, feed_back())
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused.body["state"], "received");
    // What this caller may do instead: the same answer as the view's `actions` (answering
    // on the spot is the deputy's, so staff are not offered it).
    assert_eq!(
        refused.body["allowed_actions"],
        json!(["refer", "decline", "edit", "escalate"])
    );

    // Staff refer it to another body, which returns it: transferred to body A, with an
    // internal note.
    let other = new_body(&w, "区住建委").await;
    let referred = step(&w, &w.committee_staff_a, id, refer_to(other))
        .await
        .expect(200);
    assert_eq!(referred.body["state"], "referred");
    assert_eq!(referred.body["lead_handling_body_id"], other.to_string());
    app.get(&path, &w.handling_body)
        .await
        .expect_problem(404, "not_found");
    let transferred = step(
        &w,
        &w.committee_staff_a,
        id,
        json!({"action": "transfer", "handling_body_id": w.body_a, "reason": "不属于本单位职责", "internal": true}),
    )
    .await
    .expect(200);
    assert_eq!(transferred.body["state"], "referred");
    assert_eq!(
        transferred.body["lead_handling_body_id"],
        w.body_a.to_string()
    );

    // The body sees it now, without the voter's identity, and accepts then answers it.
    let seen = app.get(&path, &w.handling_body).await.expect(200);
    assert_eq!(seen.body["voter_id"], Value::Null);
    assert_eq!(
        seen.body["actions"],
        json!(["transfer", "answer", "accept"])
    );
    let listed = app
        .get("/api/v1/opinions", &w.handling_body)
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let referrals = app
        .get(&format!("{path}/referrals"), &w.handling_body)
        .await
        .expect(200);
    let items = referrals.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the first referral keeps its record");
    assert_eq!(items[0]["return_reason"], "不属于本单位职责");
    let live = items[1]["id"].as_str().unwrap();
    app.post(
        &format!("{path}/referrals/{live}/accept"),
        &w.handling_body,
        json!({}),
    )
    .await
    .expect(200);
    let answered = step(&w, &w.handling_body, id, answer()).await.expect(200);
    assert_eq!(answered.body["state"], "answered");
    assert_eq!(answered.body["outcome"], "resolved");

    // The deputy who took it feeds back; the voter rates unsatisfied; staff reopen.
    step(&w, &w.handling_body, id, feed_back())
        .await
        .expect_problem(403, "forbidden");
    let fed = step(&w, &w.representative, id, feed_back())
        .await
        .expect(200);
    assert_eq!(fed.body["state"], "fed_back");
    assert_eq!(fed.body["current_due_at"], Value::Null);
    step(&w, &w.committee_staff_a, id, json!({"action": "reopen"}))
        .await
        .expect_problem(409, "reopen_needs_unsatisfied_rating");
    app.post(
        &format!("{path}/rating"),
        &w.committee_staff_a,
        json!({"rating": "unsatisfied"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let rated = app
        .post(
            &format!("{path}/rating"),
            &w.voter,
            json!({"rating": "unsatisfied", "comment": "路灯又坏了"}),
        )
        .await
        .expect(200);
    assert_eq!(rated.body["rating"], "unsatisfied");
    app.post(
        &format!("{path}/rating"),
        &w.voter,
        json!({"rating": "satisfied"}),
    )
    .await
    .expect_problem(409, "already_rated");
    let reopened = step(
        &w,
        &w.committee_staff_a,
        id,
        json!({"action": "reopen", "reason": "选民不满意"}),
    )
    .await
    .expect(200);
    assert_eq!(reopened.body["state"], "referred");
    assert_eq!(reopened.body["round"], 2);
    assert_eq!(reopened.body["rating"], Value::Null);
    assert_eq!(reopened.body["lead_handling_body_id"], w.body_a.to_string());

    // Round two ends satisfied; nothing more may be reopened.
    step(&w, &w.handling_body, id, answer()).await.expect(200);
    step(&w, &w.group_staff_a, id, feed_back())
        .await
        .expect(200);
    app.post(
        &format!("{path}/rating"),
        &w.voter,
        json!({"rating": "satisfied"}),
    )
    .await
    .expect(200);
    step(&w, &w.committee_staff_a, id, json!({"action": "reopen"}))
        .await
        .expect_problem(409, "reopen_needs_unsatisfied_rating");

    // The timeline: staff see every step, the voter all but the internal transfer note; each
    // step's from is the previous step's to, and the last to is the state.
    let all = events(&w, &w.committee_staff_a, id).await;
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "receive",
            "refer",
            "transfer",
            "accept",
            "answer",
            "feed_back",
            "rate",
            "reopen",
            "answer",
            "feed_back",
            "rate"
        ]
    );
    for pair in all.windows(2) {
        assert_eq!(pair[1]["from"], pair[0]["to"], "{pair:?}");
    }
    assert_eq!(all.last().unwrap()["to"], state_of(&w, id).await);
    let voters = events(&w, &w.voter, id).await;
    assert_eq!(voters.len(), all.len() - 1);
    assert!(voters.iter().all(|e| e["internal"] == false));
    // Another committee's staff cannot read the timeline either.
    app.get(&format!("{path}/events"), &w.committee_staff_b)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn on_the_spot_answers_and_declines() {
    let w = World::new().await;
    let mut body = opinion_body(&w);
    body["source"] = json!("reception");
    body["voter_id"] = json!(w.voter_a);
    let id = w
        .app
        .post("/api/v1/opinions", &w.representative, body.clone())
        .await
        .expect(201)
        .id();
    // Only the deputy who took it answers on the spot; staff record bodies' answers instead.
    step(&w, &w.committee_staff_a, id, answer())
        .await
        .expect_problem(403, "forbidden");
    // In person (the default on the spot): the voter heard it, so it is fed back at once,
    // with no feedback due, and the voter may rate it.
    let answered = step(&w, &w.representative, id, answer()).await.expect(200);
    assert_eq!(answered.body["state"], "fed_back");
    assert_eq!(answered.body["current_due_at"], Value::Null);
    let timeline = events(&w, &w.admin, id).await;
    assert_eq!(timeline.len(), 2, "one step: {timeline:?}");
    assert_eq!(timeline[1]["action"], "answer");
    assert_eq!(timeline[1]["to"], "fed_back");
    assert_eq!(timeline[1]["payload"]["on_the_spot"], true);
    assert_eq!(timeline[1]["payload"]["in_person"], true);
    w.app
        .post(
            &format!("/api/v1/opinions/{id}/rating"),
            &w.voter,
            json!({"rating": "satisfied"}),
        )
        .await
        .expect(200);
    // Recorded after the voter left: today's path, with a feedback clock.
    let later = w
        .app
        .post("/api/v1/opinions", &w.representative, body.clone())
        .await
        .expect(201)
        .id();
    let mut gone = answer();
    gone["in_person"] = json!(false);
    let answered = step(&w, &w.representative, later, gone).await.expect(200);
    assert_eq!(answered.body["state"], "answered");
    assert_ne!(answered.body["current_due_at"], Value::Null);
    // A body's answer to a referral is never "in person".
    let referred = w
        .app
        .post("/api/v1/opinions", &w.representative, body.clone())
        .await
        .expect(201)
        .id();
    step(&w, &w.admin, referred, refer_to(w.body_a))
        .await
        .expect(200);
    let mut in_person = answer();
    in_person["in_person"] = json!(true);
    step(&w, &w.handling_body, referred, in_person)
        .await
        .expect_problem(422, "validation_failed");

    let id = w
        .app
        .post("/api/v1/opinions", &w.representative, body)
        .await
        .expect(201)
        .id();
    step(
        &w,
        &w.representative,
        id,
        json!({"action": "decline", "reason": "个人诉讼事项"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let declined = step(
        &w,
        &w.representative,
        id,
        json!({"action": "decline", "reason": "个人诉讼事项", "guidance": "已告知向区法院起诉"}),
    )
    .await
    .expect(200);
    assert_eq!(declined.body["state"], "declined");
    assert_eq!(declined.body["actions"], json!([]));
    let refused = step(&w, &w.admin, id, refer_to(w.body_a))
        .await
        .expect_problem(409, "invalid_transition");
    assert_eq!(refused.body["allowed_actions"], json!([]));
}

#[tokio::test]
async fn bad_opinions_are_refused_and_write_nothing() {
    let w = World::new().await;
    let before = w.app.count("opinions").await;
    let cases = [
        ("category", json!("astrology")),
        ("constituency_id", json!(w.constituency_b)),
        ("source", json!("reception")),
        ("representative_id", json!(Uuid::now_v7())),
        ("title", json!("   ")),
    ];
    for (field, value) in cases {
        let mut body = opinion_body(&w);
        body[field] = value;
        let reply = w
            .app
            .post("/api/v1/opinions", &w.voter, body)
            .await
            .expect_problem(422, "validation_failed");
        assert!(
            reply.body["errors"][field].is_array(),
            "{field}: {}",
            reply.body
        );
    }
    // Handling bodies and service accounts do not record opinions.
    for token in [&w.handling_body, &w.service] {
        w.app
            .post("/api/v1/opinions", token, opinion_body(&w))
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(w.app.count("opinions").await, before);
    assert_eq!(w.app.count("opinion_events").await, 0);
    assert_eq!(w.app.count("outbox").await, 0);
}

#[tokio::test]
async fn urgent_opinions_are_announced_in_the_same_transaction() {
    let w = World::new().await;
    let mut body = opinion_body(&w);
    body["urgent"] = json!(true);
    let id = submit_with(&w, body).await;
    let mut conn = w.app.db().await;
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use liaison::db::schema::outbox;
    let rows: Vec<(String, Uuid, Value)> = outbox::table
        .select((outbox::topic, outbox::aggregate_id, outbox::payload))
        .order(outbox::seq.asc())
        .load(&mut conn)
        .await
        .unwrap();
    let topics: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(topics, ["opinion.received", "opinion.urgent"]);
    assert!(rows.iter().all(|r| r.1 == id));
    // Ids and states only: nothing the voter wrote or who they are.
    let text = serde_json::to_string(&rows.iter().map(|r| &r.2).collect::<Vec<_>>()).unwrap();
    assert!(
        !text.contains("路灯") && !text.contains(&w.voter_a.to_string()),
        "{text}"
    );

    // A correction that makes an opinion urgent announces it and tells the staff, in the same
    // round trip and transaction as the correction itself.
    let plain = submit(&w).await;
    let told = async |conn: &mut diesel_async::AsyncPgConnection| {
        let sql = format!(
            "SELECT count(*) AS n FROM notifications \
             WHERE opinion_id = '{plain}' AND kind = 'urgent_opinion'"
        );
        crate::helpers::number(conn, &sql).await
    };
    assert_eq!(told(&mut conn).await, 0);
    w.app
        .patch(
            &format!("/api/v1/opinions/{plain}"),
            &w.committee_staff_a,
            json!({"urgent": true}),
        )
        .await
        .expect(200);
    let topics: Vec<String> = outbox::table
        .filter(outbox::aggregate_id.eq(plain))
        .select(outbox::topic)
        .order(outbox::seq.asc())
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(topics.last().map(String::as_str), Some("opinion.urgent"));
    assert_eq!(topics.len(), 3, "{topics:?}");
    assert!(told(&mut conn).await > 0, "the staff are told");
}

#[tokio::test]
async fn the_timeline_is_append_only_and_matches_the_state() {
    let w = World::new().await;
    let id = submit(&w).await;
    let mut conn = w.app.db().await;
    use diesel_async::RunQueryDsl;
    for sql in [
        "UPDATE opinion_events SET action = 'refer'".to_owned(),
        "DELETE FROM opinion_events".to_owned(),
        "TRUNCATE opinion_events CASCADE".to_owned(),
        // Nor can its opinion go (the report's measures rely on it: they name their opinion
        // without a foreign key, migration 000024).
        format!("DELETE FROM opinions WHERE id = '{id}'"),
        // The state must equal the last event's target, checked at commit.
        format!("UPDATE opinions SET state = 'answered' WHERE id = '{id}'"),
    ] {
        let result = diesel::sql_query(&sql).execute(&mut conn).await;
        assert!(result.is_err(), "{sql} was allowed");
    }
    assert_eq!(w.app.count("opinion_events").await, 1);
    assert_eq!(state_of(&w, id).await, "received");
}

#[tokio::test]
async fn list_filters_search_and_pages() {
    let w = World::new().await;
    let mut ids = vec![];
    for (title, category, urgent) in [
        ("鲁谷路路灯坏了", "urban_management", false),
        ("希望增加公交线路", "transport", true),
        ("学校门口交通拥堵", "transport", false),
    ] {
        let mut body = opinion_body(&w);
        body["title"] = json!(title);
        body["content"] = json!(format!("{title}，请尽快处理。"));
        body["category"] = json!(category);
        body["urgent"] = json!(urgent);
        ids.push(submit_with(&w, body).await);
    }
    step(&w, &w.committee_staff_a, ids[0], refer_to(w.body_a))
        .await
        .expect(200);
    let list = |query: &str| {
        let path = format!("/api/v1/opinions?{query}");
        let token = w.committee_staff_a.clone();
        let app = &w.app;
        async move { app.get(&path, &token).await.expect(200).item_ids() }
    };
    // Newest first.
    assert_eq!(list("").await, [ids[2], ids[1], ids[0]]);
    assert_eq!(list("state=referred").await, [ids[0]]);
    assert_eq!(list("category=transport").await, [ids[2], ids[1]]);
    assert_eq!(list("urgent=true").await, [ids[1]]);
    assert_eq!(
        list(&format!("handling_body_id={}", w.body_a)).await,
        [ids[0]]
    );
    assert_eq!(list("q=%E5%85%AC%E4%BA%A4").await, [ids[1]], "公交");
    assert_eq!(
        list("q=%E4%BA%A4%E9%80%9A%E6%8B%A5%E5%A0%B5").await,
        [ids[2]],
        "交通拥堵"
    );
    assert_eq!(list(&format!("committee_id={}", w.standing)).await.len(), 3);
    assert_eq!(
        list(&format!("committee_id={}", w.committee_b)).await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        list(&format!("representative_id={}", w.representative_a))
            .await
            .len(),
        3
    );
    let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
    assert_eq!(
        list(&format!("received_from={today}&received_to={today}"))
            .await
            .len(),
        3
    );
    assert_eq!(
        list(&format!("received_to={}", today - Days::new(1))).await,
        Vec::<Uuid>::new()
    );
    // Another committee's staff see none of it; paging walks all three.
    let other = w
        .app
        .get("/api/v1/opinions", &w.committee_staff_b)
        .await
        .expect(200);
    assert_eq!(other.body["items"], json!([]));
    let first = w
        .app
        .get("/api/v1/opinions?limit=2", &w.admin)
        .await
        .expect(200);
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = w
        .app
        .get(
            &format!("/api/v1/opinions?limit=2&cursor={cursor}"),
            &w.admin,
        )
        .await
        .expect(200);
    assert_eq!(second.body["items"][0]["id"], ids[0].to_string());
    assert_eq!(second.body["next_cursor"], Value::Null);
    // A range that ends before it starts is empty, not an error: every schema-valid query
    // is answered.
    let inverted = w
        .app
        .get(
            "/api/v1/opinions?received_from=2026-02-01&received_to=2026-01-01",
            &w.admin,
        )
        .await
        .expect(200);
    assert_eq!(inverted.body["items"], json!([]));
    let categories = w
        .app
        .get(
            &format!(
                "/api/v1/opinion-categories?constituency_id={}",
                w.constituency_a
            ),
            &w.voter,
        )
        .await
        .expect(200);
    assert!(
        categories.body["items"]
            .as_array()
            .unwrap()
            .contains(&json!("public_safety"))
    );
}

#[tokio::test]
async fn a_list_shows_an_opinion_referred_to_several_bodies_once() {
    // An opinion with two live referrals is one item of the page, and counts once toward
    // its limit (a page once joined the referrals, a row per referral).
    let w = World::new().await;
    let assisting = new_body(&w, "区住建委").await;
    let shared = submit(&w).await;
    let alone = submit(&w).await;
    let mut refer = refer_to(w.body_a);
    refer["assisting_body_ids"] = json!([assisting]);
    step(&w, &w.committee_staff_a, shared, refer)
        .await
        .expect(200);
    for limit in ["", "&limit=1"] {
        let page = w
            .app
            .get(
                &format!("/api/v1/opinions?state=referred{limit}"),
                &w.committee_staff_a,
            )
            .await
            .expect(200);
        let items = page.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", page.body);
        assert_eq!(items[0]["id"], shared.to_string());
        assert_eq!(items[0]["lead_handling_body_id"], w.body_a.to_string());
    }
    let all = w
        .app
        .get("/api/v1/opinions", &w.committee_staff_a)
        .await
        .expect(200);
    let ids: Vec<&str> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [alone.to_string(), shared.to_string()]);
    assert!(all.body["next_cursor"].is_null());
}

/// Migration 000030 fills the copy of each opinion's live referrals from its referrals: run
/// again (reverted to before it, then applied) on opinions referred, referred to two bodies,
/// transferred and only received, it leaves what the steps had kept; and its trigger keeps
/// the copy for any writer that bumps the version.
#[tokio::test]
async fn the_live_referrals_migration_fills_what_the_steps_keep() {
    use diesel_async::RunQueryDsl;
    let w = World::new().await;
    let assisting = new_body(&w, "区住建委").await;
    let other = new_body(&w, "区交通委").await;
    let (shared, moved, waiting) = (submit(&w).await, submit(&w).await, submit(&w).await);
    let mut refer = refer_to(w.body_a);
    refer["assisting_body_ids"] = json!([assisting]);
    step(&w, &w.committee_staff_a, shared, refer)
        .await
        .expect(200);
    step(&w, &w.committee_staff_a, moved, refer_to(w.body_a))
        .await
        .expect(200);
    let transfer =
        json!({"action": "transfer", "handling_body_id": other, "reason": "非本单位职责"});
    step(&w, &w.committee_staff_a, moved, transfer)
        .await
        .expect(200);

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        live: Value,
    }
    let read = async || -> Vec<Kept> {
        diesel::sql_query("SELECT id, live_referrals AS live FROM opinions ORDER BY id")
            .load(&mut w.app.db().await)
            .await
            .unwrap()
    };
    let kept = read().await;
    let live = |id: Uuid| &kept.iter().find(|k| k.id == id).unwrap().live;
    assert_eq!(
        live(shared),
        &json!([[w.body_a, "lead", 1], [assisting, "assisting", 1]])
    );
    assert_eq!(live(moved), &json!([[other, "lead", 1]]));
    assert_eq!(live(waiting), &json!([]));

    let url = w.app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        use diesel_async::AsyncPgConnection;
        use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
        use diesel_migrations::MigrationHarness;
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            Connection::establish(&url).unwrap();
        while !conn
            .revert_last_migration(liaison::db::MIGRATIONS)
            .unwrap()
            .to_string()
            .contains("000030")
        {}
    })
    .await
    .unwrap();
    liaison::db::run_migrations(&w.app.database_url)
        .await
        .unwrap();
    assert_eq!(read().await, kept);

    // Kept by the database, whichever server writes the step: a referral handed back and the
    // version bumped in plain SQL, as a server that knows nothing of the copy would.
    w.app
        .sql(&format!(
            "UPDATE referrals SET returned_at = now(), return_reason = '测试'
              WHERE opinion_id = '{shared}' AND handling_body_id = '{assisting}'"
        ))
        .await;
    w.app
        .sql(&format!(
            "UPDATE opinions SET version = version + 1 WHERE id = '{shared}'"
        ))
        .await;
    let now = read().await;
    let live = &now.iter().find(|k| k.id == shared).unwrap().live;
    assert_eq!(live, &json!([[w.body_a, "lead", 1]]));
}

#[tokio::test]
async fn a_write_that_leaves_the_row_unlike_its_timeline_fails_in_its_own_statement() {
    use liaison::db::in_transaction;
    use liaison::error::ApiError;
    use liaison::opinions::lifecycle::State;
    use liaison::opinions::model::{OpinionChanges, apply, left_as};
    let w = World::new().await;
    let id = submit(&w).await;
    let mut conn = w.app.db().await;
    let version = async |conn: &mut diesel_async::AsyncPgConnection| {
        let sql = format!("SELECT version::bigint AS n FROM opinions WHERE id = '{id}'");
        crate::helpers::number(conn, &sql).await
    };
    let write = async |conn: &mut diesel_async::AsyncPgConnection, committee, version| {
        in_transaction(conn, async |conn| {
            let check = left_as(committee, State::Received, 1, false, version);
            let changes = OpinionChanges::default();
            apply(conn, (id, check), &[], &changes, Utc::now()).await?;
            Ok::<_, ApiError>(())
        })
        .await
    };
    // The row as written (version 1 → 2) is what the check says: the write goes through.
    write(&mut conn, w.committee_a, 2).await.unwrap();
    assert_eq!(version(&mut conn).await, 2);
    // A check that disagrees on any column fails the statement, and nothing is written.
    let failed = write(&mut conn, w.committee_b, 3).await.unwrap_err();
    assert_eq!(failed.status().as_u16(), 500, "{failed:?}");
    write(&mut conn, w.committee_a, 4).await.unwrap_err();
    assert_eq!(
        version(&mut conn).await,
        2,
        "the failed writes left nothing"
    );
}
