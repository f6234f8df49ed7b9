//! A deputy's duty record (JSON and CSV) and the draft of the report to voters made from it.

use chrono::Datelike;
use serde_json::json;

use crate::activities::{hold_body, local_day, plan, plan_body};
use crate::helpers::World;

#[tokio::test]
async fn the_duty_record_and_the_report_draft() {
    let w = World::new().await;
    let today = local_day(0);
    let year = today.year();
    let mut report = plan_body(&w, today, false);
    report["kind"] = json!("annual_report");
    report["form"] = json!("forum");
    let report = plan(&w, &w.group_staff_a, report).await;
    w.app
        .post(
            &format!("/api/v1/activities/{report}/hold"),
            &w.group_staff_a,
            hold_body(
                &w,
                json!([{"visitor_name": "李大爷", "issues": [
                    {"title": "楼道灯坏了", "content": "三号楼楼道灯坏了。", "category": "housing"}]}]),
            ),
        )
        .await
        .expect(200);
    w.app
        .post(
            &format!("/api/v1/activities/{report}/evaluations"),
            &w.voter,
            json!({"rating": "satisfied"}),
        )
        .await
        .expect(201);
    let reception = plan(&w, &w.group_staff_a, plan_body(&w, today, false)).await;
    w.app
        .post(
            &format!("/api/v1/activities/{reception}/hold"),
            &w.group_staff_a,
            hold_body(&w, json!([])),
        )
        .await
        .expect(200);
    let cancelled = plan(&w, &w.group_staff_a, plan_body(&w, today, false)).await;
    w.app
        .post(
            &format!("/api/v1/activities/{cancelled}/cancel"),
            &w.group_staff_a,
            json!({"reason": "改期"}),
        )
        .await
        .expect(200);

    let path = format!(
        "/api/v1/representatives/{}/duty-record?year={year}",
        w.representative_a
    );
    let r = w.app.get(&path, &w.representative).await.expect(200);
    assert_eq!(
        r.body["activities"].as_array().unwrap().len(),
        2,
        "the cancelled one is left out"
    );
    let t = &r.body["totals"];
    assert_eq!(t["activities_attended"], 2);
    assert_eq!(t["voters_met"], 24);
    assert_eq!(t["reports_to_voters"], 1);
    assert_eq!(t["opinions"], 1);
    assert_eq!(t["opinions_by_state"], json!({"received": 1}));
    let evaluated = r.body["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == json!(report))
        .unwrap();
    assert_eq!(evaluated["evaluations"]["satisfied"], 1);

    let csv = w
        .app
        .get(&format!("{path}&format=csv"), &w.group_staff_a)
        .await
        .expect(200);
    assert!(csv.content_type().starts_with("text/csv"));
    let text = csv
        .body
        .as_str()
        .unwrap()
        .trim_start_matches('\u{FEFF}')
        .to_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| &r[0] == "activity").count(), 2);
    let opinion = rows.iter().find(|r| &r[0] == "opinion").unwrap();
    assert_eq!((&opinion[4], &opinion[5]), ("楼道灯坏了", "received"));

    let draft = w
        .app
        .get(
            &format!(
                "/api/v1/representatives/{}/annual-report-draft?year={year}&format=markdown",
                w.representative_a
            ),
            &w.representative,
        )
        .await
        .expect(200);
    assert!(draft.content_type().starts_with("text/markdown"));
    let md = draft.body.as_str().unwrap();
    for expected in [
        "张代表",
        "向选民述职：1 次",
        "进站接待选民：1 次",
        "已受理：1 件",
        "满意 1 票",
    ] {
        assert!(md.contains(expected), "{expected} missing from\n{md}");
    }
    let json_draft = w
        .app
        .get(
            &format!(
                "/api/v1/representatives/{}/annual-report-draft?year={year}",
                w.representative_a
            ),
            &w.group_staff_a,
        )
        .await
        .expect(200);
    assert_eq!(json_draft.body["totals"]["opinions"], 1);
    assert_eq!(json_draft.body["markdown"].as_str().unwrap(), md);

    w.app
        .get(&path, &w.committee_staff_b)
        .await
        .expect_problem(404, "not_found");
    w.app
        .get(&format!("{path}&format=markdown"), &w.admin)
        .await
        .expect_problem(400, "invalid_query");
}

/// A record of many opinions (the JSON is streamed, a chunk per 64 KiB) comes out whole,
/// each opinion once and in order (by time received, then id: three to each second), with
/// the totals counted over all of them, as many as the CSV's rows.
#[tokio::test]
async fn a_record_of_many_opinions_is_streamed_whole_and_in_order() {
    use diesel_async::RunQueryDsl;
    let w = World::new().await;
    let first = crate::opinions::submit(&w).await;
    // 2,400 more like it (over 300 KiB of JSON), three to each second received, a third of
    // them referred, each with the timeline event its state needs.
    let mut db = w.app.db().await;
    diesel::sql_query(format!(
        "WITH made AS (
             INSERT INTO opinions (id, committee_id, constituency_id, liaison_group_id,
                                   representative_id, voter_id, title, content, category,
                                   source, urgent, public_consent, state, received_at,
                                   current_due_at, created_by)
             SELECT gen_random_uuid(), committee_id, constituency_id, liaison_group_id,
                    representative_id, voter_id, title || g, content, category, source, urgent,
                    public_consent, CASE WHEN g % 3 = 0 THEN 'referred' ELSE 'received' END,
                    date_trunc('second', received_at) - make_interval(secs => g / 3),
                    current_due_at, created_by
             FROM opinions, generate_series(1, 2400) AS g
             WHERE id = '{first}'
             RETURNING id, state, received_at)
         INSERT INTO opinion_events (id, opinion_id, action, to_state, round, actor_role, at,
                                     payload, internal)
         SELECT gen_random_uuid(), id, CASE state WHEN 'referred' THEN 'refer' ELSE 'receive' END,
                state, 1, 'committee_staff', received_at, '{{}}', false
         FROM made"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    let year = local_day(0).year();
    let path = format!(
        "/api/v1/representatives/{}/duty-record?year={year}",
        w.representative_a
    );
    let r = w.app.get(&path, &w.committee_staff_a).await.expect(200);
    let opinions = r.body["opinions"].as_array().unwrap();
    assert_eq!(opinions.len(), 2401);
    let ids: std::collections::HashSet<&str> =
        opinions.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2401, "each opinion once");
    let keys: Vec<(chrono::DateTime<chrono::FixedOffset>, &str)> = opinions
        .iter()
        .map(|o| {
            let at = o["received_at"].as_str().unwrap();
            (
                chrono::DateTime::parse_from_rfc3339(at).unwrap(),
                o["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(keys.is_sorted(), "by time received, then id");
    let t = &r.body["totals"];
    assert_eq!(t["opinions"], 2401);
    assert_eq!(
        t["opinions_by_state"],
        json!({"received": 1601, "referred": 800})
    );
    let csv = w
        .app
        .get(&format!("{path}&format=csv"), &w.committee_staff_a)
        .await
        .expect(200);
    let rows = csv.body.as_str().unwrap().lines().count();
    assert_eq!(rows, 1 + 2401, "a heading and a line per opinion");
}
