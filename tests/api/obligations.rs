//! Obligations for a seeded year: a deputy who met every rule, one who missed the report to
//! voters, one with an overdue opinion — each with exactly the right status and evidence.

use chrono::Datelike;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::activities::local_day;
use crate::helpers::World;

/// Plans and holds an activity at station A on `day` (09:00–11:00 Beijing time).
pub async fn held(
    w: &World,
    kind: &str,
    form: &str,
    day: &str,
    deputies: &[Uuid],
    contacted: &[Uuid],
) -> Uuid {
    let id = w
        .app
        .post(
            "/api/v1/activities",
            &w.group_staff_a,
            json!({"kind": kind, "form": form, "organiser_group_id": w.group_a,
                   "liaison_group_id": w.group_a, "starts_at": format!("{day}T09:00"),
                   "ends_at": format!("{day}T11:00"), "representative_ids": deputies,
                   "topic": kind}),
        )
        .await
        .expect(201)
        .id();
    w.app
        .post(
            &format!("/api/v1/activities/{id}/hold"),
            &w.group_staff_a,
            json!({"attendee_representative_ids": deputies, "voters_met": 5, "summary": "已开展",
                   "contacted_voter_ids": contacted}),
        )
        .await
        .expect(200);
    id
}

fn rules_of(list: &Value, deputy: Uuid) -> Vec<(String, String, Vec<Uuid>)> {
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["representative_id"] == json!(deputy))
        .unwrap_or_else(|| panic!("{deputy} missing from {list}"));
    item["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut evidence: Vec<Uuid> = serde_json::from_value(r["evidence"].clone()).unwrap();
            evidence.sort_unstable();
            (
                r["rule"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                evidence,
            )
        })
        .collect()
}

fn expect(rules: &[(&str, &str, Vec<Uuid>)]) -> Vec<(String, String, Vec<Uuid>)> {
    rules
        .iter()
        .map(|(r, s, e)| {
            let mut e = e.clone();
            e.sort_unstable();
            (r.to_string(), s.to_string(), e)
        })
        .collect()
}

#[tokio::test]
async fn obligations_of_a_seeded_year() {
    let w = World::new().await;
    let a = w.representative_a;
    let (b, _, _) = w.fresh_contact().await;
    let (c, _, _) = w.fresh_contact().await;
    // This committee asks for one household per deputy; A's was named before 2025.
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.admin,
            json!({"min_fixed_households": 1}),
        )
        .await
        .expect(200);
    w.app
        .sql(&format!(
            "UPDATE contact_links SET valid_from = '2024-12-01' WHERE representative_id = '{a}'"
        ))
        .await;
    // Deputy A is on station A's rota on the 15th of every odd month.
    w.app
        .post(
            &format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
            &w.group_staff_a,
            json!({"rrule": "FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYMONTHDAY=15",
                   "dtstart": "2025-01-01", "start_time": "09:00", "end_time": "11:00",
                   "representative_ids": [a]}),
        )
        .await
        .expect(201);

    let centralised = held(
        &w,
        "centralised_contact",
        "forum",
        "2025-06-20",
        &[a, b, c],
        &[],
    )
    .await;
    let pre_session = held(
        &w,
        "pre_session_consultation",
        "forum",
        "2025-12-05",
        &[a, b, c],
        &[],
    )
    .await;
    let report_a = held(&w, "annual_report", "forum", "2025-12-10", &[a], &[]).await;
    let report_c = held(&w, "annual_report", "forum", "2025-12-12", &[c], &[]).await;
    // A meets the fixed-contact household every month: at the station in odd months, at home
    // in even ones.
    let mut receptions = Vec::new();
    let mut household_contacts = Vec::new();
    for month in 1..=12 {
        let id = if month % 2 == 1 {
            let id = held(
                &w,
                "station_reception",
                "reception",
                &format!("2025-{month:02}-15"),
                &[a],
                &[w.voter_a],
            )
            .await;
            receptions.push(id);
            id
        } else {
            held(
                &w,
                "inspection",
                "visit",
                &format!("2025-{month:02}-10"),
                &[a],
                &[w.voter_a],
            )
            .await
        };
        household_contacts.push(id);
    }
    // C has an opinion from June 2025 that nobody referred.
    let mut body = crate::opinions::opinion_body(&w);
    body["representative_id"] = json!(c);
    body["source"] = json!("visit");
    let late = w
        .app
        .post("/api/v1/opinions", &w.group_staff_a, body)
        .await
        .expect(201)
        .id();
    {
        use diesel_async::RunQueryDsl;
        let mut conn = w.app.db().await;
        diesel::sql_query(format!(
            "UPDATE opinions SET received_at = '2025-06-01T02:00:00Z', \
             current_due_at = '2025-06-08T16:00:00Z' WHERE id = '{late}'"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }

    let list = w
        .app
        .get(
            &format!(
                "/api/v1/obligations?year=2025&liaison_group_id={}",
                w.group_a
            ),
            &w.committee_staff_a,
        )
        .await
        .expect(200);
    assert_eq!(list.body["year"], 2025);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        rules_of(&list.body, a),
        expect(&[
            ("annual_report", "met", vec![report_a]),
            ("fixed_household_contact", "met", household_contacts.clone()),
            ("voter_liaisons", "met", vec![]),
            ("station_rota", "met", receptions.clone()),
            ("centralised_contact", "met", vec![centralised]),
            ("pre_session_consultation", "met", vec![pre_session]),
            ("no_overdue_opinions", "met", vec![]),
        ])
    );
    assert_eq!(
        rules_of(&list.body, b),
        expect(&[
            ("annual_report", "overdue", vec![]),
            ("fixed_household_contact", "overdue", vec![]),
            ("voter_liaisons", "met", vec![]),
            ("station_rota", "met", vec![]),
            ("centralised_contact", "met", vec![centralised]),
            ("pre_session_consultation", "met", vec![pre_session]),
            ("no_overdue_opinions", "met", vec![]),
        ])
    );
    assert_eq!(
        rules_of(&list.body, c),
        expect(&[
            ("annual_report", "met", vec![report_c]),
            ("fixed_household_contact", "overdue", vec![]),
            ("voter_liaisons", "met", vec![]),
            ("station_rota", "met", vec![]),
            ("centralised_contact", "met", vec![centralised]),
            ("pre_session_consultation", "met", vec![pre_session]),
            ("no_overdue_opinions", "overdue", vec![late]),
        ])
    );

    // A month without the household contact or the rota reception turns A's rules overdue.
    {
        use diesel_async::RunQueryDsl;
        let mut conn = w.app.db().await;
        diesel::sql_query(format!(
            "DELETE FROM activity_contacts WHERE activity_id = '{}'",
            household_contacts[3]
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let list = w
        .app
        .get(
            &format!("/api/v1/obligations?year=2025&representative_id={a}"),
            &w.representative,
        )
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rules_of(&list.body, a)[1].1, "overdue");

    // This year, B has not reported yet: due until the year ends. The centralised contact is
    // due by the end of August.
    let this_year = w
        .app
        .get(
            &format!("/api/v1/obligations?representative_id={b}"),
            &w.group_staff_a,
        )
        .await
        .expect(200);
    let rules = rules_of(&this_year.body, b);
    assert_eq!(rules[0].1, "due");
    let centralised_now = if local_day(0).month() > 8 {
        "overdue"
    } else {
        "due"
    };
    assert_eq!(rules[4].1, centralised_now);

    // Scope: another district sees none of these deputies; a deputy sees only themself.
    let other = w
        .app
        .get(
            &format!("/api/v1/obligations?year=2025&group={}", w.group_a),
            &w.committee_staff_b,
        )
        .await
        .expect(200);
    assert_eq!(other.body["items"], json!([]));
    let own = w
        .app
        .get("/api/v1/obligations?year=2025", &w.representative)
        .await
        .expect(200);
    let ids: Vec<&Value> = own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["representative_id"])
        .collect();
    assert_eq!(ids, [&json!(a)]);
    w.app
        .get("/api/v1/obligations?year=1999", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
}

/// `no_overdue_opinions` lists the deputy's overdue opinions, or all the open ones while
/// none is overdue; the page reads no more than that evidence (migration 000027), so an open
/// opinion beside an overdue one, one closed, and one received after the year are not listed.
#[tokio::test]
async fn overdue_opinions_as_evidence() {
    let w = World::new().await;
    let (deputy, _, _) = w.fresh_contact().await;
    let opinion = async || {
        let mut body = crate::opinions::opinion_body(&w);
        body["representative_id"] = json!(deputy);
        w.app
            .post("/api/v1/opinions", &w.group_staff_a, body)
            .await
            .expect(201)
            .id()
    };
    let judged = async |year: i32| {
        let page = w
            .app
            .get(
                &format!("/api/v1/obligations?year={year}&representative_id={deputy}"),
                &w.committee_staff_a,
            )
            .await
            .expect(200);
        let rules = rules_of(&page.body, deputy);
        let rule = rules.last().unwrap().clone();
        assert_eq!(rule.0, "no_overdue_opinions");
        (rule.1, rule.2)
    };
    let this_year = local_day(0).year();
    assert_eq!(judged(this_year).await, ("met".to_owned(), vec![]));

    let open = opinion().await;
    let declined = opinion().await;
    crate::opinions::step(
        &w,
        &w.group_staff_a,
        declined,
        json!({"action": "decline", "reason": "个人法律事务", "guidance": "信访办"}),
    )
    .await
    .expect(200);
    assert_eq!(judged(this_year).await, ("due".to_owned(), vec![open]));

    let overdue = opinion().await;
    let last_year = opinion().await;
    w.app
        .sql(&format!(
            "UPDATE opinions SET current_due_at = now() - interval '1 day', \
             received_at = CASE WHEN id = '{last_year}' THEN '{}-06-01T02:00:00Z' \
             ELSE received_at END WHERE id IN ('{overdue}', '{last_year}')",
            this_year - 1
        ))
        .await;
    let mut both = vec![overdue, last_year];
    both.sort_unstable();
    assert_eq!(judged(this_year).await, ("overdue".to_owned(), both));
    // The year before counts only what was received in it.
    assert_eq!(
        judged(this_year - 1).await,
        ("overdue".to_owned(), vec![last_year])
    );
}

/// With a single turn for bulk loads (`db::bulk_reads`), pages asked at once wait for it in
/// line and each is answered in full, the same as a page asked alone: a turn is handed on
/// when a load ends, whatever its page does after.
#[tokio::test]
async fn pages_asked_at_once_take_turns_to_load() {
    let w = World::with(|s| s.bulk_reads_at_once = 1).await;
    let (deputy, _, _) = w.fresh_contact().await;
    held(&w, "annual_report", "forum", "2025-12-10", &[deputy], &[]).await;
    let path = "/api/v1/obligations?year=2025&limit=50";
    let alone = w.app.get(path, &w.committee_staff_a).await.expect(200).body;
    assert!(
        !alone["items"].as_array().unwrap().is_empty(),
        "the page has deputies to judge"
    );
    let pages = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        futures_util::future::join_all((0..12).map(|_| w.app.get(path, &w.committee_staff_a))),
    )
    .await
    .expect("pages waiting for a turn that was never handed on");
    for page in pages {
        assert_eq!(page.expect(200).body, alone);
    }
}
