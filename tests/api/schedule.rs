//! Reception rules and the public schedule: expansion over odd months, month ends and a
//! cancelled date, published activities only, no personal data, and an iCalendar feed that an
//! independent parser reads.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::activities::{local_day, plan, plan_body};
use crate::helpers::{REPRESENTATIVE_PHONE, VOTER_PHONE, World};

fn starts(reply: &Value) -> Vec<String> {
    reply["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["starts_at"].as_str().unwrap().to_owned())
        .collect()
}

/// A deputy of constituency B on duty at station B on the last day of every month.
async fn month_end_rule(w: &World) -> Uuid {
    let deputy = w
        .app
        .post(
            "/api/v1/representatives",
            &w.admin,
            json!({"name": "刘代表", "gender": "male", "level": "district", "term": 16,
                   "constituency_id": w.constituency_b, "liaison_group_id": w.group_b}),
        )
        .await
        .expect(201)
        .id();
    w.app
        .post(
            &format!("/api/v1/liaison-groups/{}/reception-rules", w.group_b),
            &w.committee_staff_b,
            json!({"rrule": "FREQ=MONTHLY;BYMONTHDAY=-1", "dtstart": "2025-01-01",
                   "start_time": "14:30", "end_time": "16:30", "representative_ids": [deputy]}),
        )
        .await
        .expect(201)
        .id()
}

async fn odd_month_rule(w: &World) -> Value {
    w.app
        .post(
            &format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
            &w.group_staff_a,
            json!({"rrule": "FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYMONTHDAY=15", "dtstart": "2025-01-01",
                   "start_time": "09:00", "end_time": "11:00",
                   "representative_ids": [w.representative_a], "exdates": ["2025-07-15"]}),
        )
        .await
        .expect(201)
        .body
}

#[tokio::test]
async fn recurring_receptions_expand_over_odd_months_month_ends_and_cancelled_dates() {
    let w = World::new().await;
    let rule = odd_month_rule(&w).await;
    assert_eq!(rule["start_time"], "09:00");
    assert_eq!(rule["exdates"], json!(["2025-07-15"]));
    month_end_rule(&w).await;

    let year = w
        .app
        .request(
            reqwest::Method::GET,
            &format!(
                "/public/v1/schedule?from=2025-01-01&to=2025-12-31&station={}",
                w.group_a
            ),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        starts(&year.body),
        [
            "2025-01-15T09:00:00+08:00",
            "2025-03-15T09:00:00+08:00",
            "2025-05-15T09:00:00+08:00",
            "2025-09-15T09:00:00+08:00",
            "2025-11-15T09:00:00+08:00",
        ],
        "odd months only, and 15 July called off"
    );
    let first = &year.body["items"][0];
    assert_eq!(first["ends_at"], "2025-01-15T11:00:00+08:00");
    assert_eq!(first["kind"], "station_reception");
    assert_eq!(first["liaison_group_id"], json!(w.group_a));
    assert_eq!(first["representatives"], json!([{"name": "张代表"}]));
    assert!(first["place"].as_str().unwrap().contains("八宝山联络站"));

    // Both stations, over month ends including a leap-free February, sorted by time.
    let spring = w
        .app
        .request(
            reqwest::Method::GET,
            "/public/v1/schedule?from=2025-01-20&to=2025-04-30",
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(
        starts(&spring.body),
        [
            "2025-01-31T14:30:00+08:00",
            "2025-02-28T14:30:00+08:00",
            "2025-03-15T09:00:00+08:00",
            "2025-03-31T14:30:00+08:00",
            "2025-04-30T14:30:00+08:00",
        ]
    );
    // By constituency: only receptions with a deputy elected there.
    let b = w
        .app
        .request(
            reqwest::Method::GET,
            &format!(
                "/public/v1/schedule?from=2025-01-20&to=2025-04-30&constituency={}",
                w.constituency_b
            ),
            None,
            None,
        )
        .await
        .expect(200);
    assert_eq!(starts(&b.body).len(), 4);
    assert!(
        b.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["representatives"] == json!([{"name": "刘代表"}]))
    );

    // Calling off a coming date takes it out; the past stays as it was (a change applies
    // from today on).
    let ahead = format!(
        "/public/v1/schedule?from={}&to={}&station={}",
        local_day(0),
        local_day(300),
        w.group_a
    );
    let public = |path: String| {
        let app = &w.app;
        async move {
            app.request(reqwest::Method::GET, &path, None, None)
                .await
                .expect(200)
                .body
        }
    };
    let coming = starts(&public(ahead.clone()).await);
    let next_day = &coming[0][..10];
    let rule_id = rule["id"].as_str().unwrap();
    w.app
        .patch(
            &format!(
                "/api/v1/liaison-groups/{}/reception-rules/{rule_id}",
                w.group_a
            ),
            &w.group_staff_a,
            json!({"exdates": ["2025-07-15", "2025-09-15", next_day]}),
        )
        .await
        .expect(200);
    assert_eq!(starts(&public(ahead).await).len(), coming.len() - 1);
    let past = format!(
        "/public/v1/schedule?from=2025-01-01&to=2025-12-31&station={}",
        w.group_a
    );
    assert_eq!(starts(&public(past).await).len(), 5, "September 2025 stays");
}

#[tokio::test]
async fn reception_rules_are_validated_and_scoped() {
    let w = World::new().await;
    let path = format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a);
    let body = |rrule: &str, start: &str, end: &str| {
        json!({"rrule": rrule, "dtstart": "2025-01-01", "start_time": start, "end_time": end,
               "representative_ids": [w.representative_a]})
    };
    let before = w.app.count("reception_rules").await;
    for (b, field) in [
        (body("FREQ=FORTNIGHTLY", "09:00", "11:00"), "rrule"),
        (body("FREQ=MINUTELY", "09:00", "11:00"), "rrule"),
        (
            body("FREQ=MONTHLY;BYMONTHDAY=15", "11:00", "09:00"),
            "end_time",
        ),
        (
            body("FREQ=MONTHLY;BYMONTHDAY=15", "9 am", "11:00"),
            "start_time",
        ),
    ] {
        let reply = w
            .app
            .post(&path, &w.group_staff_a, b)
            .await
            .expect_problem(422, "validation_failed");
        assert!(reply.body["errors"][field].is_array(), "{}", reply.body);
    }
    // Another district's staff do not see station A at all.
    w.app
        .post(
            &path,
            &w.committee_staff_b,
            body("FREQ=MONTHLY;BYMONTHDAY=15", "09:00", "11:00"),
        )
        .await
        .expect_problem(404, "not_found");
    assert_eq!(w.app.count("reception_rules").await, before);
}

#[tokio::test]
async fn the_public_schedule_shows_published_activities_and_no_personal_data() {
    let w = World::new().await;
    odd_month_rule(&w).await;
    let published = plan(&w, &w.group_staff_a, plan_body(&w, local_day(10), true)).await;
    let unpublished = plan(&w, &w.group_staff_a, plan_body(&w, local_day(11), false)).await;
    let cancelled = plan(&w, &w.group_staff_a, plan_body(&w, local_day(12), true)).await;
    w.app
        .post(
            &format!("/api/v1/activities/{cancelled}/cancel"),
            &w.group_staff_a,
            json!({"reason": "场地维修"}),
        )
        .await
        .expect(200);
    let path = format!(
        "/public/v1/schedule?from={}&to={}&station={}",
        local_day(0),
        local_day(30),
        w.group_a
    );
    let reply = w
        .app
        .request(reqwest::Method::GET, &path, None, None)
        .await
        .expect(200);
    let activities: Vec<(&Value, &Value)> = reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["activity_id"].is_null())
        .map(|i| (&i["activity_id"], &i["cancelled"]))
        .collect();
    // The unpublished one is not there; the cancelled one stays, marked, for those who
    // planned to come.
    assert_eq!(
        activities,
        [
            (&json!(published), &json!(false)),
            (&json!(cancelled), &json!(true))
        ]
    );
    assert_ne!(published, unpublished);
    // Sent a slice at a time (`responses::InSlices`), still with its length, not chunked.
    let length: usize = reply.header("content-length").unwrap().parse().unwrap();
    assert!(length > 100, "{length}");
    assert_eq!(reply.header("transfer-encoding"), None);
    let text = reply.body.to_string();
    for secret in [
        VOTER_PHONE,
        REPRESENTATIVE_PHONE,
        "王站长",
        "李联络员",
        "phone",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // Long and inverted windows: a_long_schedule_window_is_cut_and_an_inverted_one_is_empty.
}

#[tokio::test]
async fn a_long_schedule_window_is_cut_and_an_inverted_one_is_empty() {
    let w = World::new().await;
    odd_month_rule(&w).await;
    let get = |query: &'static str| {
        let app = &w.app;
        async move {
            app.request(
                reqwest::Method::GET,
                &format!("/public/v1/schedule?{query}"),
                None,
                None,
            )
            .await
            .expect(200)
            .body
        }
    };
    let long = get("from=2025-01-01&to=2027-12-31").await;
    assert_eq!(long["from"], "2025-01-01");
    assert_eq!(
        long["to"], "2026-01-01",
        "366 days served, the answer says where it ended"
    );
    // The 15th of the odd months of 2025, but for July, called off.
    assert_eq!(long["items"].as_array().unwrap().len(), 5);
    let inverted = get("from=2025-03-01&to=2025-01-01").await;
    assert_eq!(inverted["items"], json!([]));
}

#[tokio::test]
async fn the_station_calendar_parses_with_an_independent_parser() {
    let w = World::new().await;
    odd_month_rule(&w).await;
    let published = plan(&w, &w.group_staff_a, plan_body(&w, local_day(10), true)).await;
    let reply = w
        .app
        .request(
            reqwest::Method::GET,
            &format!("/public/v1/stations/{}/calendar.ics", w.group_a),
            None,
            None,
        )
        .await
        .expect(200);
    assert!(reply.content_type().starts_with("text/calendar"));
    let text = reply.body.as_str().unwrap().to_owned();
    assert!(text.contains("\r\n"), "lines end in CRLF");
    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("valid iCalendar");
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    let property = |e: &icalendar::parser::Component, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.as_str().to_owned())
    };
    // The same window through the JSON schedule: every item is one event.
    let json = w
        .app
        .request(
            reqwest::Method::GET,
            &format!(
                "/public/v1/schedule?from={}&to={}&station={}",
                local_day(0) - chrono::Days::new(30),
                local_day(180),
                w.group_a
            ),
            None,
            None,
        )
        .await
        .expect(200);
    let expected = json.body["items"].as_array().unwrap();
    assert_eq!(events.len(), expected.len());
    assert!(
        events.len() >= 4,
        "six months hold at least three odd 15ths and the activity"
    );
    let activity_event = events
        .iter()
        .find(|e| property(e, "UID") == Some(format!("activity-{published}@liaison")))
        .expect("the published activity is in the feed");
    assert_eq!(property(activity_event, "SUMMARY").unwrap(), "进站接待选民");
    let start = property(activity_event, "DTSTART").unwrap();
    assert_eq!(
        start,
        format!("{}T010000Z", local_day(10).format("%Y%m%d")),
        "09:00 Beijing time is 01:00 UTC"
    );
    assert!(
        property(activity_event, "DESCRIPTION")
            .unwrap()
            .contains("张代表")
    );
    assert!(!text.contains(REPRESENTATIVE_PHONE) && !text.contains("王站长"));

    w.app
        .request(
            reqwest::Method::GET,
            &format!("/public/v1/stations/{}/calendar.ics", Uuid::now_v7()),
            None,
            None,
        )
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_kept_schedule_gives_way_to_a_change_made_through_another_server() {
    // Each server keeps built schedules; a change committed through any server must show on
    // the next read everywhere.
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let path = format!(
        "/public/v1/schedule?from=2025-01-01&to=2025-12-31&station={}",
        w.group_a
    );
    assert_eq!(starts(&read(&other, &path).await).len(), 0);
    assert_eq!(
        starts(&read(&other, &path).await).len(),
        0,
        "kept, still empty"
    );
    let rule = odd_month_rule(&w).await;
    assert_eq!(
        starts(&read(&other, &path).await).len(),
        5,
        "the new rule, read elsewhere"
    );
    // Rotas change from this month on: the coming year loses its next reception.
    let ahead = format!("/public/v1/schedule?to=2099-01-01&station={}", w.group_a);
    let coming = starts(&read(&other, &ahead).await);
    let next_day = &coming[0][..10];
    let rule_id = rule["id"].as_str().unwrap();
    w.app
        .patch(
            &format!(
                "/api/v1/liaison-groups/{}/reception-rules/{rule_id}",
                w.group_a
            ),
            &w.group_staff_a,
            json!({"exdates": ["2025-07-15", next_day]}),
        )
        .await
        .expect(200);
    assert_eq!(starts(&read(&other, &ahead).await).len(), coming.len() - 1);
    assert_eq!(starts(&read(&w.app, &ahead).await).len(), coming.len() - 1);
    // A renamed station shows under its new name.
    w.app
        .patch(
            &format!("/api/v1/liaison-groups/{}", w.group_a),
            &w.admin,
            json!({"name": "新名字联络站"}),
        )
        .await
        .expect(200);
    let renamed = read(&other, &path).await;
    assert!(
        renamed["items"][0]["place"]
            .as_str()
            .unwrap()
            .starts_with("新名字联络站"),
        "{renamed}"
    );
}

async fn read(app: &crate::helpers::TestApp, path: &str) -> Value {
    app.request(reqwest::Method::GET, path, None, None)
        .await
        .expect(200)
        .body
}

#[tokio::test]
async fn a_client_holding_the_schedule_is_told_it_has_not_changed_until_it_has() {
    let w = World::new().await;
    odd_month_rule(&w).await;
    let path = format!(
        "/public/v1/schedule?from={}&to={}&station={}",
        local_day(0),
        local_day(30),
        w.group_a
    );
    let get = |held: Option<String>| {
        let (app, path) = (&w.app, &path);
        async move {
            let headers: Vec<(&str, &str)> = held
                .as_deref()
                .map(|tag| vec![("If-None-Match", tag)])
                .unwrap_or_default();
            app.send(reqwest::Method::GET, path, None, None, &headers)
                .await
        }
    };
    let first = get(None).await.expect(200);
    let tag = first.header("etag").expect("an ETag").to_owned();
    let unchanged = get(Some(tag.clone())).await.expect(304);
    assert_eq!(unchanged.body, Value::Null);
    assert_eq!(unchanged.header("etag"), Some(tag.as_str()));
    get(Some(format!("W/{tag}"))).await.expect(304);
    get(Some(format!("\"other\", {tag}"))).await.expect(304);
    // Not a list of tags: refused, as a malformed If-Match is.
    get(Some("not a tag".into()))
        .await
        .expect_problem(400, "bad_request");
    // Another window is another answer.
    let other_window = w
        .app
        .send(
            reqwest::Method::GET,
            &format!(
                "/public/v1/schedule?from={}&station={}",
                local_day(1),
                w.group_a
            ),
            None,
            None,
            &[("If-None-Match", tag.as_str())],
        )
        .await
        .expect(200);
    assert_ne!(other_window.header("etag"), Some(tag.as_str()));
    // Anything the schedule shows changes: the tag held no longer matches.
    let published = plan(&w, &w.group_staff_a, plan_body(&w, local_day(10), true)).await;
    let changed = get(Some(tag.clone())).await.expect(200);
    assert_ne!(changed.header("etag"), Some(tag.as_str()));
    assert!(
        changed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["activity_id"] == json!(published)),
        "{}",
        changed.body
    );
}

#[tokio::test]
async fn a_client_that_takes_gzip_gets_the_same_schedule_compressed_under_its_own_tag() {
    use std::io::Read;
    let w = World::new().await;
    odd_month_rule(&w).await;
    month_end_rule(&w).await;
    let path = "/public/v1/schedule?from=2025-01-01&to=2025-12-31".to_owned();
    let get = |coding: Option<&'static str>, held: Option<String>| {
        let (app, path) = (&w.app, &path);
        async move {
            let mut req = app.client.get(format!("{}{path}", app.address));
            if let Some(coding) = coding {
                req = req.header("accept-encoding", coding);
            }
            if let Some(tag) = held {
                req = req.header("if-none-match", tag);
            }
            let resp = req.send().await.unwrap();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            // The CORS layer adds its own names to `Vary`.
            let varies = header("vary").is_some_and(|v| {
                v.split(',')
                    .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
            });
            let heads = (header("etag"), header("content-encoding"), varies);
            (resp.status().as_u16(), heads, resp.bytes().await.unwrap())
        }
    };
    let (status, (plain_tag, coding, vary), plain) = get(None, None).await;
    assert_eq!((status, coding), (200, None));
    assert!(vary, "varies by Accept-Encoding");
    let schedule: Value = serde_json::from_slice(&plain).unwrap();
    assert!(!schedule["items"].as_array().unwrap().is_empty());

    let (status, (gzip_tag, coding, vary), zipped) = get(Some("gzip, deflate, br"), None).await;
    assert_eq!((status, coding.as_deref()), (200, Some("gzip")));
    assert!(vary, "varies by Accept-Encoding");
    assert_ne!(gzip_tag, plain_tag, "other bytes, another tag");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain, "the same schedule");
    assert!(
        zipped.len() * 3 < plain.len(),
        "{} bytes compressed, {} plain",
        zipped.len(),
        plain.len()
    );

    // Kept, the compressed answer is the same bytes again; the tag held is honoured.
    let (_, _, again) = get(Some("gzip"), None).await;
    assert_eq!(again, zipped);
    let (status, (tag, _, vary), body) = get(Some("gzip"), gzip_tag.clone()).await;
    assert_eq!((status, tag, body.len()), (304, gzip_tag, 0));
    assert!(vary, "varies by Accept-Encoding");
    // Refused by its weight, or a header that cannot be read: the plain schedule.
    for coding in ["gzip;q=0, identity", "br", "gzip;q=not-a-number"] {
        let (status, (tag, coding, _), body) = get(Some(coding), None).await;
        assert_eq!((status, coding), (200, None));
        assert_eq!((tag, body), (plain_tag.clone(), plain.clone()));
    }
}
