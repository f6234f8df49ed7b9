//! Due dates of opinions, counted in working days against the district's calendar.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Reply, World};
use crate::opinions::opinion_body;

/// The first Saturday strictly after `day`.
fn next_saturday(day: NaiveDate) -> NaiveDate {
    let mut d = day + Days::new(1);
    while d.weekday() != Weekday::Sat {
        d = d + Days::new(1);
    }
    d
}

#[tokio::test]
async fn due_dates_count_working_days_over_holidays_and_make_up_days() {
    let w = World::new().await;
    let today = (Utc::now() + chrono::Duration::hours(8)).date_naive();
    let saturday = next_saturday(today);
    // Every day from tomorrow to Friday off, the Saturday worked (调休).
    let mut day = today + Days::new(1);
    while day < saturday {
        w.app
            .request(
                Method::PUT,
                &format!("/api/v1/calendar/{day}"),
                Some(&w.admin),
                Some(json!({"kind": "holiday", "name": "国庆节"})),
            )
            .await
            .expect(200);
        day = day + Days::new(1);
    }
    w.app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/{saturday}"),
            Some(&w.admin),
            Some(json!({"kind": "workday", "name": "国庆节调休"})),
        )
        .await
        .expect(200);
    // Committee staff may not change the national calendar.
    w.app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/{saturday}"),
            Some(&w.committee_staff_a),
            Some(json!({"kind": "holiday"})),
        )
        .await
        .expect_problem(403, "forbidden");
    let year = w
        .app
        .get(
            &format!("/api/v1/calendar?year={}", saturday.year()),
            &w.voter,
        )
        .await
        .expect(200);
    assert!(
        year.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["day"] == saturday.to_string())
    );

    // Refer within 2 working days: the make-up Saturday, then Monday.
    w.app
        .request(
            Method::PUT,
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            Some(&w.admin),
            Some(json!({"refer_working_days": 2, "urgent_refer_working_days": 1})),
        )
        .await
        .expect(200);
    let end_of = |d: NaiveDate| -> String {
        let midnight = (d + Days::new(1)).and_hms_opt(0, 0, 0).unwrap();
        let utc: DateTime<Utc> =
            DateTime::from_naive_utc_and_offset(midnight - chrono::Duration::hours(8), Utc);
        utc.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let due = |reply: &Reply| -> String {
        let at: DateTime<Utc> = reply.body["current_due_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let normal = w
        .app
        .post("/api/v1/opinions", &w.voter, opinion_body(&w))
        .await
        .expect(201);
    assert_eq!(due(&normal), end_of(saturday + Days::new(2)));
    let mut body = opinion_body(&w);
    body["urgent"] = json!(true);
    let urgent = w
        .app
        .post("/api/v1/opinions", &w.voter, body)
        .await
        .expect(201);
    assert_eq!(due(&urgent), end_of(saturday));

    // Overdue shows once the due date has passed.
    let id = normal.id();
    let mut conn = w.app.db().await;
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!(
        "UPDATE opinions SET current_due_at = now() - interval '1 hour' WHERE id = '{id}'"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let read = w
        .app
        .get(&format!("/api/v1/opinions/{id}"), &w.committee_staff_a)
        .await
        .expect(200);
    assert_eq!(read.body["overdue"], true);
    let overdue = w
        .app
        .get("/api/v1/opinions?overdue=true", &w.committee_staff_a)
        .await
        .expect(200);
    let ids: Vec<&str> = overdue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.to_string()]);
}
