//! Opinion statistics against a history whose answers are worked out by hand: four opinions
//! taken through the API, then dated into March and April 2025 (Beijing time) in the database.
//!
//! | opinion | received | refer due | first step        | answer              | fed back | rating      |
//! |---------|----------|-----------|-------------------|---------------------|----------|-------------|
//! | O1      | 03-03    | 03-05     | refer 03-04 (24h) | 03-10 resolved (6d) | 03-12    | satisfied   |
//! | O2      | 03-03    | 03-04     | refer 03-06 (72h) | 04-02 partly (27d)  | 04-03    | unsatisfied |
//! | O3      | 03-20    | 03-22     | decline 03-21     |                     |          |             |
//! | O4      | 04-10    | 04-12     | (none: open)      |                     |          |             |
//!
//! All steps at 09:00. O2's answer was due 03-20, so at the end of March it is open and overdue.

use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, World};
use crate::opinions::{feed_back, refer_to, step, submit};

pub(crate) async fn date_event(
    w: &World,
    opinion: Uuid,
    action: &str,
    day: &str,
    due: Option<&str>,
) {
    let mut conn = history_writer(w).await;
    diesel::sql_query(
        "UPDATE opinion_events SET at = ($3 || ' 09:00+08')::timestamptz,
                payload = CASE WHEN $4::text IS NULL THEN payload
                          ELSE jsonb_set(payload, '{due_at}',
                                         to_jsonb(($4 || ' 09:00+08')::timestamptz)) END
         WHERE opinion_id = $1 AND action = $2",
    )
    .bind::<SqlUuid, _>(opinion)
    .bind::<Text, _>(action)
    .bind::<Text, _>(day)
    .bind::<Nullable<Text>, _>(due)
    .execute(&mut conn)
    .await
    .unwrap();
    if action == "receive" {
        diesel::sql_query(
            "UPDATE opinions SET received_at = ($2 || ' 09:00+08')::timestamptz WHERE id = $1",
        )
        .bind::<SqlUuid, _>(opinion)
        .bind::<Text, _>(day)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    // The report's measures follow the timeline's appends; a rewritten history is
    // measured again, as after a bulk load.
    refresh_measures(&mut conn, opinion).await;
}

/// Measures `opinion` again (`refresh_opinion_measures`), as its steps would have.
pub(crate) async fn refresh_measures(conn: &mut diesel_async::AsyncPgConnection, opinion: Uuid) {
    diesel::sql_query("SELECT refresh_opinion_measures(ARRAY[$1])")
        .bind::<SqlUuid, _>(opinion)
        .execute(conn)
        .await
        .unwrap();
}

async fn date_referral(w: &World, opinion: Uuid, referred: &str, due: &str, answered: &str) {
    let mut conn = w.app.db().await;
    diesel::sql_query(
        "UPDATE referrals SET referred_at = ($2 || ' 09:00+08')::timestamptz,
                due_at = ($3 || ' 09:00+08')::timestamptz,
                answered_at = ($4 || ' 09:00+08')::timestamptz
         WHERE opinion_id = $1",
    )
    .bind::<SqlUuid, _>(opinion)
    .bind::<Text, _>(referred)
    .bind::<Text, _>(due)
    .bind::<Text, _>(answered)
    .execute(&mut conn)
    .await
    .unwrap();
    // The report per handling body reads the referrals' measures when it reads sums.
    refresh_measures(&mut conn, opinion).await;
}

async fn rate(w: &World, id: Uuid, rating: &str) {
    w.app
        .post(
            &format!("/api/v1/opinions/{id}/rating"),
            &w.voter,
            json!({"rating": rating}),
        )
        .await
        .expect(200);
}

/// The history in the table above; the opinions O1–O4.
pub(crate) async fn history(w: &World) -> [Uuid; 4] {
    let o1 = submit(w).await;
    step(w, &w.admin, o1, refer_to(w.body_a)).await.expect(200);
    step(
        w,
        &w.handling_body,
        o1,
        json!({"action": "answer", "outcome": "resolved", "text": "已修复"}),
    )
    .await
    .expect(200);
    step(w, &w.admin, o1, feed_back()).await.expect(200);
    rate(w, o1, "satisfied").await;
    date_event(w, o1, "receive", "2025-03-03", Some("2025-03-05")).await;
    date_event(w, o1, "refer", "2025-03-04", Some("2025-03-20")).await;
    date_event(w, o1, "answer", "2025-03-10", None).await;
    date_event(w, o1, "feed_back", "2025-03-12", None).await;
    date_event(w, o1, "rate", "2025-03-13", None).await;
    date_referral(w, o1, "2025-03-04", "2025-03-20", "2025-03-10").await;

    let o2 = submit(w).await;
    step(w, &w.admin, o2, refer_to(w.body_a)).await.expect(200);
    step(
        w,
        &w.handling_body,
        o2,
        json!({"action": "answer", "outcome": "partly_resolved", "text": "部分解决"}),
    )
    .await
    .expect(200);
    step(w, &w.admin, o2, feed_back()).await.expect(200);
    rate(w, o2, "unsatisfied").await;
    date_event(w, o2, "receive", "2025-03-03", Some("2025-03-04")).await;
    date_event(w, o2, "refer", "2025-03-06", Some("2025-03-20")).await;
    date_event(w, o2, "answer", "2025-04-02", None).await;
    date_event(w, o2, "feed_back", "2025-04-03", None).await;
    date_event(w, o2, "rate", "2025-04-04", None).await;
    date_referral(w, o2, "2025-03-06", "2025-03-20", "2025-04-02").await;

    let o3 = submit(w).await;
    step(
        w,
        &w.admin,
        o3,
        json!({"action": "decline", "reason": "个人诉讼", "guidance": "法院"}),
    )
    .await
    .expect(200);
    date_event(w, o3, "receive", "2025-03-20", Some("2025-03-22")).await;
    date_event(w, o3, "decline", "2025-03-21", None).await;

    let o4 = submit(w).await;
    date_event(w, o4, "receive", "2025-04-10", Some("2025-04-12")).await;
    [o1, o2, o3, o4]
}

pub(crate) async fn report(w: &World, token: &str, query: &str) -> Value {
    report_on(&w.app, token, query).await
}

/// The opinion report as `app` (one of several servers on a database) answers it.
pub(crate) async fn report_on(app: &TestApp, token: &str, query: &str) -> Value {
    app.get(&format!("/api/v1/stats/opinions?{query}"), token)
        .await
        .expect(200)
        .body
}

/// A connection that writes the test's own history past the timeline's triggers (which
/// refuse updates).
pub(crate) async fn history_writer(w: &World) -> diesel_async::AsyncPgConnection {
    let mut conn = w.app.db().await;
    diesel::sql_query("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

fn close(actual: &Value, expected: f64) {
    let got = actual
        .as_f64()
        .unwrap_or_else(|| panic!("a number, not {actual}"));
    assert!((got - expected).abs() < 1e-6, "{got} ≠ {expected}");
}

#[tokio::test]
async fn figures_match_the_hand_counted_history() {
    let w = World::new().await;
    history(&w).await;
    let period = "from=2025-03-01&to=2025-05-31";

    let by_month = report(&w, &w.admin, &format!("{period}&group_by=month")).await;
    let months: Vec<&Value> = by_month["items"].as_array().unwrap().iter().collect();
    let labels: Vec<&str> = months
        .iter()
        .map(|m| m["key"]["month"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2025-03", "2025-04", "2025-05"]);
    let (march, april, may) = (months[0], months[1], months[2]);
    for (field, want) in [
        ("received", 3),
        ("referred", 2),
        ("answered", 1),
        ("resolved", 1),
        ("partly_resolved", 0),
        ("fed_back", 1),
        ("declined", 1),
        ("open", 0),
        ("ratings", 1),
        ("response_due", 3),
        ("responded_in_time", 2),
    ] {
        assert_eq!(march[field], want, "March {field}");
    }
    close(&march["response_rate"], 2.0 / 3.0);
    close(&march["resolution_rate"], 1.0);
    close(&march["satisfaction_rate"], 1.0);
    close(&march["refer_hours"]["median"], 48.0);
    close(&march["refer_hours"]["p90"], 67.2);
    close(&march["answer_days"]["median"], 6.0);
    for (field, want) in [
        ("received", 1),
        ("answered", 1),
        ("resolved", 0),
        ("partly_resolved", 1),
        ("open", 0),
        ("overdue", 0),
    ] {
        assert_eq!(april[field], want, "April {field}");
    }
    close(&april["resolution_rate"], 0.0);
    close(&april["satisfaction_rate"], 0.0);
    close(&april["response_rate"], 0.0);
    assert_eq!(april["refer_hours"]["median"], Value::Null);
    // The period ends with May: O4 is still open then, and overdue; May had nothing else.
    assert_eq!(
        (may["open"].as_i64(), may["overdue"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(may["received"], 0);
    for rate in ["response_rate", "resolution_rate", "satisfaction_rate"] {
        assert_eq!(
            may[rate],
            Value::Null,
            "a quiet month's {rate} is null, not 0"
        );
    }

    let t = &by_month["totals"];
    for (field, want) in [
        ("received", 4),
        ("referred", 2),
        ("answered", 2),
        ("resolved", 1),
        ("partly_resolved", 1),
        ("fed_back", 2),
        ("declined", 1),
        ("open", 1),
        ("overdue", 1),
        ("ratings", 2),
        ("satisfied", 1),
        ("response_due", 4),
        ("responded_in_time", 2),
    ] {
        assert_eq!(t[field], want, "total {field}");
    }
    close(&t["response_rate"], 0.5);
    close(&t["resolution_rate"], 0.5);
    close(&t["satisfaction_rate"], 0.5);
    close(&t["answer_days"]["median"], 16.5);
    close(&t["answer_days"]["p90"], 24.9);
    close(&t["feed_back_days"]["median"], 1.5);
    assert!(
        by_month["definitions"]["response_rate"]
            .as_str()
            .unwrap()
            .contains("响应率")
    );

    // By committee: one row, committee A, named, equal to the totals.
    let by_committee = report(&w, &w.admin, period).await;
    let rows = by_committee["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["key"]["id"], w.committee_a.to_string());
    assert_eq!(rows[0]["key"]["name"], "八宝山街道人大工委");
    assert_eq!(rows[0]["received"], 4);

    // By handling body: each referral; body A led both referred opinions.
    let by_body = report(&w, &w.admin, &format!("{period}&group_by=handling_body")).await;
    let body = &by_body["items"][0];
    assert_eq!(body["key"]["id"], w.body_a.to_string());
    assert_eq!(body["key"]["role"], "lead");
    assert_eq!(
        (body["received"].as_i64(), body["answered"].as_i64()),
        (Some(2), Some(2))
    );
    close(&body["resolution_rate"], 0.5);
    close(&body["satisfaction_rate"], 0.5);
    close(&body["answer_days"]["median"], 16.5);
    assert_eq!(body["response_rate"], Value::Null);
    // The body itself reads its own row, and only that grouping.
    let own = report(
        &w,
        &w.handling_body,
        &format!("{period}&group_by=handling_body"),
    )
    .await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    w.app
        .get(
            &format!("/api/v1/stats/opinions?{period}"),
            &w.handling_body,
        )
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn a_past_report_is_reproduced_as_of_its_day_and_scoped() {
    let w = World::new().await;
    history(&w).await;
    let period = "from=2025-03-01&to=2025-04-30";
    // At the end of March, O2's answer had not come: it was open, and overdue (due 03-20).
    let march = report(&w, &w.admin, &format!("{period}&as_of=2025-03-31")).await;
    let t = &march["totals"];
    for (field, want) in [
        ("received", 3),
        ("answered", 1),
        ("partly_resolved", 0),
        ("fed_back", 1),
        ("open", 1),
        ("overdue", 1),
        ("ratings", 1),
        ("response_due", 3),
        ("responded_in_time", 2),
    ] {
        assert_eq!(t[field], want, "as of March 31: {field}");
    }
    close(&t["satisfaction_rate"], 1.0);
    // A month later the same period reads differently: the later steps count.
    let april = report(&w, &w.admin, &format!("{period}&as_of=2025-04-30")).await;
    assert_eq!(april["totals"]["answered"], 2);
    assert_eq!(april["totals"]["received"], 4);
    close(&april["totals"]["satisfaction_rate"], 0.5);
    // And as of now it agrees with April's end (nothing happened since).
    let now = report(&w, &w.admin, period).await;
    assert_eq!(now["totals"], april["totals"]);

    // Committee B's staff count nothing of A's; group staff count their group's; voters none.
    let b = report(&w, &w.committee_staff_b, period).await;
    assert_eq!(b["totals"]["received"], 0);
    assert_eq!(b["items"], json!([]));
    let group = report(&w, &w.group_staff_a, period).await;
    assert_eq!(group["totals"]["received"], 4);
    w.app
        .get("/api/v1/stats/opinions", &w.voter)
        .await
        .expect_problem(403, "forbidden");
    w.app
        .get("/api/v1/stats/opinions?group_by=weekday", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
}

#[tokio::test]
async fn the_report_exports_as_csv_and_as_xlsx_with_a_chart_per_sheet() {
    use calamine::{Data, Reader, Xlsx};
    let w = World::new().await;
    history(&w).await;
    let query = "from=2025-03-01&to=2025-05-31&group_by=month&headers=en";
    let get = |q: String, accept: &'static str| {
        let req = w
            .app
            .client
            .get(format!(
                "{}/api/v1/exports/stats/opinions?{q}",
                w.app.address
            ))
            .bearer_auth(&w.admin)
            .header("accept", accept);
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status().as_u16(), 200);
            let disposition = resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_owned();
            (disposition, resp.bytes().await.unwrap().to_vec())
        }
    };
    let (disposition, csv) = get(query.to_owned(), "text/csv").await;
    assert!(
        disposition.contains("opinion-stats-2025-03-01_2025-05-31.csv"),
        "{disposition}"
    );
    let text = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').lines().collect();
    assert!(lines[0].starts_with("name,received,referred,answered"));
    assert!(
        lines[1].starts_with("2025-03,3,2,1,1,0,1,1,0,0,0.6667,1,1,48,6,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[3].starts_with("2025-05,0,0,0,0,0,0,0,1,1,,,,"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("total,4,2,2,1,1,2,1,1,1,0.5,0.5,0.5,48,16.5,1.5"),
        "{}",
        lines[4]
    );

    let xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let (disposition, xlsx) = get(
        query.replace("group_by=month", "group_by=committee"),
        xlsx_type,
    )
    .await;
    assert!(disposition.contains(".xlsx"));
    for chart in ["xl/charts/chart1.xml", "xl/charts/chart2.xml"] {
        assert!(
            xlsx.windows(chart.len()).any(|w| w == chart.as_bytes()),
            "{chart} in the workbook"
        );
    }
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    assert_eq!(book.sheet_names(), ["Report", "By month"]);
    let report = book.worksheet_range("Report").unwrap();
    assert_eq!(
        report.get_value((1, 0)),
        Some(&Data::String("八宝山街道人大工委".into()))
    );
    assert_eq!(report.get_value((1, 1)), Some(&Data::Float(4.0)));
    assert_eq!(
        report.get_value((2, 0)),
        Some(&Data::String("total".into()))
    );
    let months = book.worksheet_range("By month").unwrap();
    assert_eq!(
        months.get_value((1, 0)),
        Some(&Data::String("2025-03".into()))
    );
    assert_eq!(months.get_value((1, 1)), Some(&Data::Float(3.0)));
    match months.get_value((1, 10)) {
        Some(Data::Float(rate)) => assert!((rate - 2.0 / 3.0).abs() < 1e-9),
        other => panic!("the response rate as a number, not {other:?}"),
    }
}

#[tokio::test]
async fn activity_figures_count_what_was_held_and_the_rota_against_its_schedule() {
    use crate::activities::{hold_body, local_day, plan, plan_body};
    let w = World::new().await;
    let held = plan(&w, &w.group_staff_a, plan_body(&w, local_day(5), false)).await;
    let issue = |t: &str| json!({"title": t, "content": format!("{t}，请尽快解决。"), "category": "urban_management"});
    w.app
        .post(
            &format!("/api/v1/activities/{held}/hold"),
            &w.group_staff_a,
            hold_body(
                &w,
                json!([
                    {"visitor_name": "李大爷", "issues": [issue("路灯坏了"), issue("井盖松动")]},
                    {"visitor_name": "赵阿姨", "issues": [issue("垃圾清运不及时")]},
                ]),
            ),
        )
        .await
        .expect(200);
    let cancelled = plan(&w, &w.group_staff_a, plan_body(&w, local_day(6), false)).await;
    w.app
        .post(
            &format!("/api/v1/activities/{cancelled}/cancel"),
            &w.group_staff_a,
            json!({"reason": "下雨"}),
        )
        .await
        .expect(200);
    plan(&w, &w.group_staff_a, plan_body(&w, local_day(7), false)).await;
    let period = format!("from={}&to={}", local_day(0), local_day(30));

    let by_kind = report_of(&w, &w.admin, &format!("/api/v1/stats/activities?{period}")).await;
    let row = &by_kind["items"][0];
    assert_eq!(row["key"]["code"], "station_reception");
    for (field, want) in [
        ("activities", 3),
        ("held", 1),
        ("cancelled", 1),
        ("voters_met", 12),
        ("deputies_taking_part", 1),
        ("registrations", 2),
        ("opinions_raised", 3),
    ] {
        assert_eq!(row[field], want, "{field}");
    }
    assert_eq!(by_kind["totals"]["activities"], 3);
    assert_eq!(row["rota_rate"], Value::Null);
    let by_deputy = report_of(
        &w,
        &w.admin,
        &format!("/api/v1/stats/activities?{period}&group_by=representative"),
    )
    .await;
    assert_eq!(
        by_deputy["items"][0]["key"]["id"],
        w.representative_a.to_string()
    );
    assert_eq!(by_deputy["items"][0]["activities"], 3);
    let other = report_of(
        &w,
        &w.committee_staff_b,
        &format!("/api/v1/stats/activities?{period}"),
    )
    .await;
    assert_eq!(other["totals"]["activities"], 0);
    w.app
        .get("/api/v1/stats/activities", &w.voter)
        .await
        .expect_problem(403, "forbidden");

    // A rota on the 15th of odd months of 2025, the 15th of July called off: five receptions
    // were due that year, and none was recorded held.
    w.app
        .post(
            &format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
            &w.group_staff_a,
            json!({"rrule": "FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYMONTHDAY=15", "dtstart": "2025-01-01",
                   "start_time": "09:00", "end_time": "11:00",
                   "representative_ids": [w.representative_a], "exdates": ["2025-07-15"]}),
        )
        .await
        .expect(201);
    let rota = report_of(
        &w,
        &w.committee_staff_a,
        "/api/v1/stats/activities?from=2025-01-01&to=2025-12-31&group_by=liaison_group",
    )
    .await;
    let station = &rota["items"][0];
    assert_eq!(station["key"]["id"], w.group_a.to_string());
    assert!(station["key"]["name"].is_string());
    assert_eq!(
        (
            station["rota_scheduled"].as_i64(),
            station["rota_held"].as_i64()
        ),
        (Some(5), Some(0))
    );
    close(&station["rota_rate"], 0.0);
    assert_eq!(rota["totals"]["rota_scheduled"], 5);
}

async fn report_of(w: &World, token: &str, path: &str) -> Value {
    w.app.get(path, token).await.expect(200).body
}

#[tokio::test]
async fn live_steps_and_a_recategorised_opinion_count_at_once() {
    let w = World::new().await;
    let id = submit(&w).await;
    step(&w, &w.admin, id, refer_to(w.body_a)).await.expect(200);
    let by_category = |report: &Value| -> Vec<(String, i64, i64)> {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["key"]["code"].as_str().unwrap().to_owned(),
                    row["received"].as_i64().unwrap(),
                    row["open"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let before = report(&w, &w.admin, "group_by=category").await;
    let category = before["items"][0]["key"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(by_category(&before), vec![(category.clone(), 1, 1)]);
    assert_eq!(before["totals"]["referred"], 1);

    // Recategorised (an edit while received is refused once referred, so a fresh one).
    let other = submit(&w).await;
    w.app
        .patch(
            &format!("/api/v1/opinions/{other}"),
            &w.admin,
            json!({"category": "environment"}),
        )
        .await
        .expect(200);
    let after = report(&w, &w.admin, "group_by=category").await;
    let mut rows = by_category(&after);
    rows.sort();
    let mut expected = vec![(category, 1, 1), ("environment".to_owned(), 1, 1)];
    expected.sort();
    assert_eq!(rows, expected);
    assert_eq!(after["totals"]["received"], 2);
}

/// Steps only note their opinion; refreshes on several servers (and reports catching up) take
/// the notes side by side, and an opinion refreshed by two at once ends with one copy of its
/// measures, the same as recomputing it afresh.
#[tokio::test]
async fn measures_refreshed_side_by_side_are_kept_once() {
    use diesel::sql_types::{Bool, Integer};
    let w = World::new().await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let id = submit(&w).await;
        step(&w, &w.admin, id, refer_to(w.body_a)).await.expect(200);
        ids.push(id);
    }
    let mut conn = w.app.db().await;
    // Many notes per opinion, as a burst of steps on few opinions leaves them.
    diesel::sql_query(
        "INSERT INTO opinion_measures_stale (opinion_id)
         SELECT id FROM unnest($1::uuid[]) AS id, generate_series(1, 60)",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&ids)
    .execute(&mut conn)
    .await
    .unwrap();
    let refreshers = (0..4).map(|n| {
        let url = w.app.database_url.clone();
        tokio::spawn(async move {
            use diesel_async::AsyncConnection;
            let mut conn = diesel_async::AsyncPgConnection::establish(&url)
                .await
                .unwrap();
            loop {
                #[derive(diesel::QueryableByName)]
                struct Taken {
                    #[diesel(sql_type = Integer)]
                    taken: i32,
                }
                let row: Taken =
                    diesel::sql_query("SELECT refresh_stale_opinion_measures($1, $2) AS taken")
                        .bind::<Integer, _>(7)
                        .bind::<Bool, _>(n % 2 == 0)
                        .get_result(&mut conn)
                        .await
                        .unwrap();
                if row.taken == 0 {
                    break;
                }
            }
        })
    });
    for refresher in refreshers.collect::<Vec<_>>() {
        refresher.await.unwrap();
    }
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = || {
        diesel::sql_query("SELECT count(*) AS n FROM opinion_measures WHERE opinion_id = ANY($1)")
            .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids.clone())
    };
    let stale: Count = diesel::sql_query("SELECT count(*) AS n FROM opinion_measures_stale")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(stale.n, 0, "every note taken");
    let kept: Count = count().get_result(&mut conn).await.unwrap();
    diesel::sql_query("SELECT refresh_opinion_measures($1)")
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(&ids)
        .execute(&mut conn)
        .await
        .unwrap();
    let afresh: Count = count().get_result(&mut conn).await.unwrap();
    // Received, referred, responded-or-late and the open span after each of the two steps.
    assert!(afresh.n >= 6 * 4, "{afresh:?}");
    assert_eq!(kept, afresh);
    // The whole rebuild, a committed thousand at a time, leaves the same.
    {
        use diesel_async::SimpleAsyncConnection;
        conn.batch_execute("CALL refresh_all_opinion_measures()")
            .await
            .unwrap();
    }
    let rebuilt: Count = count().get_result(&mut conn).await.unwrap();
    assert_eq!(rebuilt, afresh);
    // The sums the refreshes kept side by side are those rebuilt from scratch.
    assert!(!sums_as_text(&mut conn).await.is_empty());
    let kept_sums = sums_as_text(&mut conn).await;
    diesel::sql_query("SELECT rebuild_opinion_measures_sums()")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept_sums, sums_as_text(&mut conn).await);
    let report = report(&w, &w.admin, "group_by=category").await;
    assert_eq!(report["totals"]["received"], 6);
    assert_eq!(report["totals"]["referred"], 6);
}

/// Every yearly and monthly sum that counts something, as text, in key order.
pub(crate) async fn sums_as_text(conn: &mut diesel_async::AsyncPgConnection) -> String {
    #[derive(diesel::QueryableByName)]
    struct Sums {
        #[diesel(sql_type = Nullable<Text>)]
        sums: Option<String>,
    }
    let sums: Sums = diesel::sql_query(
        "SELECT string_agg(concat_ws('|', grouping, grain, period, committee_id, key_id, key_code, kind,
                                     since, n, hist), E'\\n'
                           ORDER BY grouping, grain, period, committee_id, key_id, key_code, kind, since)
                AS sums
         FROM opinion_measures_sums WHERE n <> 0",
    )
    .get_result(conn)
    .await
    .unwrap();
    sums.sums.unwrap_or_default()
}
