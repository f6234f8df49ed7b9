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
