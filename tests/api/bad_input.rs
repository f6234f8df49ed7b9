//! Bad input on every write route: the right status, a problem+json body, nothing written.

use serde_json::json;

use crate::bad_input_routes::{routes, with};
use crate::helpers::World;

/// Row counts of every table a write could touch, in one query on one connection.
pub async fn snapshot(w: &World) -> Vec<i64> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
        n: Vec<i64>,
    }
    let tables = [
        "accounts",
        "committees",
        "liaison_groups",
        "sessions",
        "constituencies",
        "handling_bodies",
        "representatives",
        "voters",
        "contact_links",
        "committee_policies",
        "opinions",
        "opinion_events",
        "referrals",
        "calendar_days",
        "outbox",
        "idempotency_keys",
        "activities",
        "activity_participants",
        "activity_contacts",
        "activity_evaluations",
        "reception_registrations",
        "reception_rules",
        "reception_rule_versions",
        "congress_sessions",
        "activity_events",
        "notifications",
        "appointments",
        "service_clients",
        "webhook_endpoints",
        "webhook_deliveries",
    ];
    let counts: Vec<String> = tables
        .iter()
        .map(|t| format!("(SELECT count(*) FROM {t})"))
        .collect();
    let mut conn = w.app.db().await;
    diesel::sql_query(format!("SELECT ARRAY[{}] AS n", counts.join(", ")))
        .get_result::<Counts>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn bad_input_is_refused_with_a_problem_and_changes_nothing() {
    let w = World::new().await;
    let opinion = crate::opinions::submit(&w).await;
    let mut report = crate::activities::plan_body(&w, crate::activities::local_day(10), false);
    report["kind"] = json!("annual_report");
    let activity = crate::activities::plan(&w, &w.admin, report).await;
    let before = snapshot(&w).await;
    let before_group = w
        .app
        .get(&format!("/api/v1/liaison-groups/{}", w.group_a), &w.admin)
        .await
        .body;
    for route in routes(&w, opinion, activity) {
        let label = format!("{} {}", route.method, route.path);
        let send = |content_type: &'static str, body: Vec<u8>| {
            w.app.raw(
                route.method.clone(),
                &route.path,
                Some(&w.admin),
                content_type,
                body,
            )
        };

        let r = send("application/json", br#"{"name": "#.to_vec()).await;
        assert_eq!(r.status, 400, "{label} malformed: {}", r.body);
        assert_eq!(r.body["code"], "malformed_json", "{label}");
        assert_eq!(r.content_type(), "application/problem+json");

        let r = send("application/json", b"".to_vec()).await;
        assert_eq!(r.status, 400, "{label} empty body");

        let r = send(
            "application/json",
            serde_json::to_vec(&with(&route.valid, "bogus", json!(1))).unwrap(),
        )
        .await;
        assert_eq!(r.status, 422, "{label} unknown field: {}", r.body);
        assert!(r.body["errors"]["bogus"].is_array(), "{label}: {}", r.body);

        let r = send("application/json", b"[1, 2]".to_vec()).await;
        assert_eq!(r.status, 422, "{label} not an object: {}", r.body);

        let r = send("text/plain", serde_json::to_vec(&route.valid).unwrap()).await;
        assert_eq!(r.status, 415, "{label} content type: {}", r.body);

        let mut huge = br#"{"name": ""#.to_vec();
        huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        huge.extend(br#""}"#);
        let r = send("application/json", huge).await;
        assert_eq!(r.status, 413, "{label} 10 MB body: {}", r.body);
        assert_eq!(r.body["code"], "payload_too_large");

        for (body, field) in &route.invalid {
            let r = send("application/json", serde_json::to_vec(body).unwrap()).await;
            assert_eq!(r.status, 422, "{label} {body}: {}", r.body);
            assert_eq!(r.body["code"], "validation_failed");
            assert!(
                r.body["errors"][field].is_array(),
                "{label} {body} should name {field}: {}",
                r.body
            );
        }
    }
    assert_eq!(snapshot(&w).await, before, "bad input changed the database");
    let after_group = w
        .app
        .get(&format!("/api/v1/liaison-groups/{}", w.group_a), &w.admin)
        .await
        .body;
    assert_eq!(before_group, after_group);
}

#[tokio::test]
async fn malformed_ids_in_paths_are_not_found() {
    let w = World::new().await;
    w.app
        .get("/api/v1/committees/not-a-uuid", &w.admin)
        .await
        .expect_problem(404, "not_found");
    w.app
        .get("/api/v1/no-such-route", &w.admin)
        .await
        .expect_problem(404, "not_found");
}
