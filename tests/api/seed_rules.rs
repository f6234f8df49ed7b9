//! The seeds' rules as the obligations page judges them (issue 14, points 1–5): a late
//! centralised contact, a household shortfall, dated contact links, congress sessions and a
//! rota changed mid-year.

use chrono::Datelike;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::activities::local_day;
use crate::helpers::World;
use crate::obligations::held;
use crate::opinions::{new_body_in, refer_to, step, submit};

/// The rules of one deputy for `year`: (rule, status, shortfall).
async fn judged(w: &World, deputy: Uuid, year: i32) -> Vec<(String, String, Value)> {
    let list = w
        .app
        .get(
            &format!("/api/v1/obligations?year={year}&representative={deputy}"),
            &w.admin,
        )
        .await
        .expect(200);
    list.body["items"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["shortfall"].clone(),
            )
        })
        .collect()
}

fn status_of<'a>(rules: &'a [(String, String, Value)], rule: &str) -> &'a (String, String, Value) {
    rules
        .iter()
        .find(|r| r.0 == rule)
        .unwrap_or_else(|| panic!("{rule} missing"))
}

#[tokio::test]
async fn a_november_centralised_contact_is_late_and_one_household_is_a_shortfall() {
    let w = World::new().await;
    let a = w.representative_a;
    held(&w, "centralised_contact", "forum", "2025-11-12", &[a], &[]).await;
    let rules = judged(&w, a, 2025).await;
    assert_eq!(status_of(&rules, "centralised_contact").1, "late");
    // A names one household (voter A) today; the county rules ask for at least two.
    let this_year = judged(&w, a, local_day(0).year()).await;
    let households = status_of(&this_year, "fixed_household_contact");
    assert_eq!(
        (households.1.as_str(), &households.2),
        ("overdue", &json!(1))
    );
    assert_eq!(status_of(&this_year, "annual_report").2, Value::Null);
    // A district that asks for five voter liaisons sees the shortfall too.
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.admin,
            json!({"min_voter_liaisons": 5, "min_fixed_households": 1}),
        )
        .await
        .expect(200);
    let this_year = judged(&w, a, local_day(0).year()).await;
    assert_eq!(
        status_of(&this_year, "voter_liaisons"),
        &("voter_liaisons".into(), "overdue".into(), json!(5))
    );
    assert_eq!(status_of(&this_year, "fixed_household_contact").2, json!(0));
    // A minimum above the cap set alongside it is refused.
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.admin,
            json!({"min_fixed_households": 4, "max_fixed_households": 3}),
        )
        .await
        .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_removed_link_ends_and_stays_in_the_history() {
    let w = World::new().await;
    let (deputy, voter, link) = w.fresh_contact().await;
    let contacts = format!("/api/v1/representatives/{deputy}/contacts");
    let listed = w.app.get(&contacts, &w.admin).await.expect(200);
    assert_eq!(listed.body["items"][0]["from"], json!(local_day(0)));
    assert_eq!(listed.body["items"][0]["until"], Value::Null);
    w.app
        .delete(&format!("{contacts}/{link}"), &w.admin)
        .await
        .expect(204);
    // Gone from the links in force, kept with its end date in the history.
    let listed = w.app.get(&contacts, &w.admin).await.expect(200);
    assert_eq!(listed.body["items"], json!([]));
    let history = w
        .app
        .get(&format!("{contacts}?include_ended=true"), &w.admin)
        .await
        .expect(200);
    assert_eq!(history.body["items"][0]["until"], json!(local_day(0)));
    // Ending it twice is a 404; naming the voter again starts a new link.
    w.app
        .delete(&format!("{contacts}/{link}"), &w.admin)
        .await
        .expect_problem(404, "not_found");
    w.app
        .post(
            &contacts,
            &w.admin,
            json!({"voter_id": voter, "kind": "voter_liaison"}),
        )
        .await
        .expect(201);
    let history = w
        .app
        .get(&format!("{contacts}?include_ended=true"), &w.admin)
        .await
        .expect(200);
    assert_eq!(history.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_pre_session_consultation_is_judged_against_each_session() {
    let w = World::new().await;
    let a = w.representative_a;
    let (b, _, _) = w.fresh_contact().await;
    let (_, district_staff) = w
        .app
        .account(
            &w.admin,
            "district.staff",
            "committee_staff",
            Some(w.standing),
        )
        .await;
    let session = json!({"level": "district", "term": 16, "number": 5,
                         "opens_on": "2025-02-20", "closes_on": "2025-02-23"});
    // Only admins and the Standing Committee's staff record sessions.
    w.app
        .post(
            "/api/v1/congress-sessions",
            &w.committee_staff_a,
            session.clone(),
        )
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(
            "/api/v1/congress-sessions",
            &w.group_staff_a,
            session.clone(),
        )
        .await
        .expect_problem(403, "forbidden");
    let created = w
        .app
        .post(
            "/api/v1/congress-sessions",
            &district_staff,
            session.clone(),
        )
        .await
        .expect(201);
    assert_eq!(created.body["term"], 16);
    w.app
        .post("/api/v1/congress-sessions", &w.admin, session.clone())
        .await
        .expect_problem(409, "already_exists");
    let mut backwards = session.clone();
    backwards["number"] = json!(6);
    backwards["closes_on"] = json!("2025-02-01");
    w.app
        .post("/api/v1/congress-sessions", &w.admin, backwards)
        .await
        .expect_problem(422, "validation_failed");
    let listed = w
        .app
        .get(
            "/api/v1/congress-sessions?year=2025&level=district",
            &w.representative,
        )
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    // A consulted in January, before the February session; B only in December, which the old
    // year-end rule took for met.
    held(
        &w,
        "pre_session_consultation",
        "forum",
        "2025-01-10",
        &[a],
        &[],
    )
    .await;
    held(
        &w,
        "pre_session_consultation",
        "forum",
        "2025-12-05",
        &[b],
        &[],
    )
    .await;
    assert_eq!(
        status_of(&judged(&w, a, 2025).await, "pre_session_consultation").1,
        "met"
    );
    assert_eq!(
        status_of(&judged(&w, b, 2025).await, "pre_session_consultation").1,
        "overdue"
    );
    // A session moved to next January puts B's December consultation in its window.
    let id = created.id();
    w.app
        .patch(
            &format!("/api/v1/congress-sessions/{id}"),
            &w.admin,
            json!({"opens_on": "2026-01-08", "closes_on": "2026-01-11"}),
        )
        .await
        .expect(200);
    assert_eq!(
        status_of(&judged(&w, b, 2026).await, "pre_session_consultation").1,
        "met"
    );
}

/// The names on duty at each occurrence of the public schedule in a window.
async fn on_duty(w: &World, from: &str, to: &str) -> Vec<(String, Value)> {
    let reply = w
        .app
        .request(
            reqwest::Method::GET,
            &format!(
                "/public/v1/schedule?from={from}&to={to}&station={}",
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
        .map(|i| {
            (
                i["starts_at"].as_str().unwrap()[..10].to_owned(),
                i["representatives"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_rota_changed_now_leaves_the_past_on_the_old_list() {
    let w = World::new().await;
    let (a, b) = (w.representative_a, w.fresh_contact().await.0);
    let year = local_day(0).year();
    let rules = format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a);
    let rule = w
        .app
        .post(
            &rules,
            &w.group_staff_a,
            json!({"rrule": "FREQ=DAILY", "dtstart": format!("{year}-01-01"),
                   "start_time": "09:00", "end_time": "11:00", "representative_ids": [a]}),
        )
        .await
        .expect(201)
        .id();
    let path = format!("{rules}/{rule}");
    let name_of = |id: Uuid| {
        let app = &w.app;
        let admin = w.admin.clone();
        async move {
            app.get(&format!("/api/v1/representatives/{id}"), &admin)
                .await
                .expect(200)
                .body["name"]
                .clone()
        }
    };
    let (name_a, name_b) = (name_of(a).await, name_of(b).await);
    // A change dated before this month is refused: those months are judged already.
    w.app
        .patch(
            &path,
            &w.group_staff_a,
            json!({"representative_ids": [b], "effective_from": format!("{year}-01-01")}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let tomorrow = local_day(1);
    let changed = w
        .app
        .patch(
            &path,
            &w.group_staff_a,
            json!({"representative_ids": [b], "effective_from": tomorrow}),
        )
        .await
        .expect(200);
    assert_eq!(
        changed.body["representative_ids"],
        json!([a]),
        "today is still A's"
    );
    assert_eq!(changed.body["versions"].as_array().unwrap().len(), 2);
    // The public schedule keeps A until today and shows B from tomorrow.
    let days = on_duty(&w, &local_day(0).to_string(), &local_day(2).to_string()).await;
    assert_eq!(days.len(), 3);
    assert_eq!(days[0].1, json!([{"name": name_a}]));
    assert_eq!(days[1].1, json!([{"name": name_b}]));
    let first = on_duty(&w, &format!("{year}-01-01"), &format!("{year}-01-03")).await;
    assert!(
        first.iter().all(|d| d.1 == json!([{"name": name_a}])),
        "{first:?}"
    );
    // The obligations page judges months already past on A, not on B.
    if local_day(0).month() > 1 {
        let rota =
            |rules: Vec<(String, String, Value)>| status_of(&rules, "station_rota").1.clone();
        assert_eq!(rota(judged(&w, a, year).await), "overdue");
        assert_ne!(rota(judged(&w, b, year).await), "overdue");
    }
    // Ending the rule from the day after tomorrow keeps it listed with its end and keeps the
    // schedule before it.
    let end = local_day(2);
    w.app
        .delete(&format!("{path}?effective_from={end}"), &w.group_staff_a)
        .await
        .expect(204);
    let listed = w.app.get(&rules, &w.group_staff_a).await.expect(200);
    assert_eq!(listed.body["items"][0]["ends_on"], json!(end));
    let days = on_duty(&w, &local_day(0).to_string(), &local_day(5).to_string()).await;
    assert_eq!(days.len(), 2, "today and tomorrow only: {days:?}");
}

#[tokio::test]
async fn via_parent_refuses_a_district_body_and_escalate_hands_the_opinion_up() {
    use crate::opinions::events;
    let w = World::new().await;
    let district_body = new_body_in(&w, w.standing, "区城管委").await;
    // Direct (the default): committee A's staff refer straight to the district body.
    let direct = submit(&w).await;
    step(&w, &w.committee_staff_a, direct, refer_to(district_body))
        .await
        .expect(200);
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.admin,
            json!({"referral_route": "via_parent"}),
        )
        .await
        .expect(200);
    let id = submit(&w).await;
    step(&w, &w.committee_staff_a, id, refer_to(district_body))
        .await
        .expect_invalid("handling_body_id");
    step(&w, &w.committee_staff_a, id, json!({"action": "escalate"}))
        .await
        .expect_problem(422, "validation_failed");
    let escalated = step(
        &w,
        &w.representative,
        id,
        json!({"action": "escalate", "reason": "涉及全区道路规划"}),
    )
    .await
    .expect(200);
    assert_eq!(escalated.body["state"], "received");
    assert_eq!(escalated.body["committee_id"], json!(w.standing));
    let timeline = events(&w, &w.admin, id).await;
    let last = timeline.last().unwrap();
    assert_eq!(last["action"], "escalate");
    assert_eq!(last["payload"]["from_committee_id"], json!(w.committee_a));
    assert_eq!(last["payload"]["to_committee_id"], json!(w.standing));
    assert_eq!(last["payload"]["reason"], "涉及全区道路规划");
    // The district's staff own it now and refer it to their body; at the top there is no
    // parent to hand it to.
    let (_, district_staff) = w
        .app
        .account(
            &w.admin,
            "district.staff",
            "committee_staff",
            Some(w.standing),
        )
        .await;
    step(
        &w,
        &district_staff,
        id,
        json!({"action": "escalate", "reason": "再上报"}),
    )
    .await
    .expect_problem(409, "no_parent_committee");
    step(&w, &district_staff, id, refer_to(district_body))
        .await
        .expect(200);
}

/// The list a front end offers (`referable-bodies`, drawn in SQL) and the step's own check
/// (by where the server keeps each body sitting) are one rule: under either route the step
/// accepts exactly the bodies the list offers.
#[tokio::test]
async fn a_refer_accepts_exactly_the_bodies_the_list_offers() {
    let w = World::new().await;
    let district = new_body_in(&w, w.standing, "区住建委").await;
    let beside = new_body_in(&w, w.committee_b, "乙街道城管科").await;
    let candidates = [district, w.body_a, beside];
    for route in ["direct", "via_parent"] {
        w.app
            .put(
                &format!("/api/v1/committees/{}/policy", w.committee_a),
                &w.admin,
                json!({"referral_route": route}),
            )
            .await
            .expect(200);
        let listed = w
            .app
            .get(
                &format!("/api/v1/opinions/{}/referable-bodies", submit(&w).await),
                &w.committee_staff_a,
            )
            .await
            .expect(200);
        let offered: Vec<Uuid> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap().parse().unwrap())
            .filter(|b| candidates.contains(b))
            .collect();
        let mut accepted = Vec::new();
        for body in candidates {
            let id = submit(&w).await;
            let reply = step(&w, &w.committee_staff_a, id, refer_to(body)).await;
            if reply.status.as_u16() == 200 {
                accepted.push(body);
            } else {
                reply.expect_problem(422, "validation_failed");
            }
        }
        let sorted = |mut v: Vec<Uuid>| {
            v.sort();
            v
        };
        assert_eq!(sorted(accepted), sorted(offered.clone()), "under {route}");
        assert!(
            offered.contains(&w.body_a) && !offered.contains(&beside),
            "under {route}"
        );
    }
}
