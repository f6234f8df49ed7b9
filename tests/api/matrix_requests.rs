//! The concrete request each row of the route × role matrix sends: the path with real ids, and
//! a valid body, on a fresh target where the call would succeed.

use reqwest::Method;
use serde_json::{Value, json};

use crate::activities::{hold_body, local_day, plan, plan_body};
use crate::appointments::{accept_body, request, request_body};
use crate::helpers::{PASSWORD, World};
use crate::matrix::Rule;
use crate::opinions::{answer, feed_back, opinion_body, refer_to, step, submit};

/// A session with a term and number no other call in this process has used.
fn congress_session() -> Value {
    use std::sync::atomic::{AtomicI32, Ordering};
    static NEXT: AtomicI32 = AtomicI32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    json!({"level": "district", "term": 1 + n / 100, "number": 1 + n % 100,
           "opens_on": "2031-01-08", "closes_on": "2031-01-11"})
}

/// An opinion raised by voter A through deputy A, taken to `state` by the admin and body A.
async fn fresh_opinion(w: &World, state: &str) -> uuid::Uuid {
    let id = submit(w).await;
    let path = ["referred", "answered", "fed_back"];
    let steps = [refer_to(w.body_a), answer(), feed_back()];
    for (reached, body) in path.iter().zip(steps) {
        if !path.contains(&state)
            || path.iter().position(|s| s == reached) > path.iter().position(|s| *s == state)
        {
            break;
        }
        let token = if *reached == "answered" {
            &w.handling_body
        } else {
            &w.admin
        };
        step(w, token, id, body).await.expect(200);
    }
    id
}

/// A planned (or, with `held`, held) activity at group A with deputy A.
async fn fresh_activity(w: &World, kind: &str, held: bool) -> uuid::Uuid {
    let mut body = plan_body(w, local_day(10), false);
    body["kind"] = json!(kind);
    let id = plan(w, &w.admin, body).await;
    if held {
        w.app
            .post(
                &format!("/api/v1/activities/{id}/hold"),
                &w.admin,
                hold_body(w, json!([])),
            )
            .await
            .expect(200);
    }
    id
}

fn reception_rule(w: &World) -> Value {
    json!({"rrule": "FREQ=MONTHLY;BYMONTHDAY=15", "dtstart": "2025-01-01", "start_time": "09:00",
           "end_time": "11:00", "representative_ids": [w.representative_a]})
}

/// The concrete path and body for one call. Calls that would succeed get a fresh target so
/// one role's success does not change what the next role sees.
pub async fn prepare(w: &World, rule: &Rule, role: &str) -> (String, Option<Value>) {
    let app = &w.app;
    let fresh_committee = || async {
        app.post(
            "/api/v1/committees",
            &w.admin,
            json!({"name": format!("临时{}", uuid::Uuid::now_v7()), "kind": "joint_group", "parent_id": w.committee_a}),
        )
        .await
        .expect(201)
        .id()
    };
    let fresh_group = || async {
        app.post(
            "/api/v1/liaison-groups",
            &w.admin,
            json!({"name": format!("临时{}", uuid::Uuid::now_v7()), "kind": "group", "committee_id": w.committee_a, "address": "地址"}),
        )
        .await
        .expect(201)
        .id()
    };
    let unique = format!(
        "{role}.{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    match (rule.method, rule.path) {
        ("POST", "/api/v1/auth/login") => (
            rule.path.into(),
            Some(json!({"username": "admin", "password": PASSWORD})),
        ),
        ("POST", "/api/v1/auth/refresh" | "/api/v1/auth/logout") => (
            rule.path.into(),
            Some(json!({"refresh_token": "not-a-real-token"})),
        ),
        ("POST", "/api/v1/users") => (
            rule.path.into(),
            Some(
                json!({"username": unique, "password": PASSWORD, "role": "group_staff", "scope_id": w.group_a}),
            ),
        ),
        ("GET", "/api/v1/users/{id}") => (format!("/api/v1/users/{}", w.group_staff_a_id), None),
        ("POST", "/api/v1/me/phone/verify") => (rule.path.into(), Some(json!({"code": "123456"}))),
        ("POST", "/api/v1/me/phone/code") => (rule.path.into(), Some(json!({}))),
        // The same password again: the change is real, the fixtures' log-ins stay valid.
        ("PUT", "/api/v1/me/password") => (
            rule.path.into(),
            Some(json!({"current_password": PASSWORD, "new_password": PASSWORD})),
        ),
        ("PATCH", "/api/v1/users/{id}") => (
            format!("/api/v1/users/{}", w.group_staff_a_id),
            Some(json!({"disabled": false})),
        ),
        ("POST", "/api/v1/committees") => (
            rule.path.into(),
            Some(json!({"name": unique, "kind": "joint_group", "parent_id": w.committee_a})),
        ),
        ("GET", "/api/v1/committees/{id}") => {
            (format!("/api/v1/committees/{}", w.committee_a), None)
        }
        ("PATCH", "/api/v1/committees/{id}") => (
            format!("/api/v1/committees/{}", fresh_committee().await),
            Some(json!({"name": unique})),
        ),
        ("DELETE", "/api/v1/committees/{id}") => (
            format!("/api/v1/committees/{}", fresh_committee().await),
            None,
        ),
        ("POST", "/api/v1/liaison-groups") => (
            rule.path.into(),
            Some(
                json!({"name": unique, "kind": "group", "committee_id": w.committee_a, "address": "地址"}),
            ),
        ),
        ("GET", "/api/v1/liaison-groups/{id}") => {
            (format!("/api/v1/liaison-groups/{}", w.group_a), None)
        }
        ("PATCH", "/api/v1/liaison-groups/{id}") => (
            format!("/api/v1/liaison-groups/{}", w.group_a),
            Some(json!({"opening_hours": unique})),
        ),
        ("DELETE", "/api/v1/liaison-groups/{id}") => (
            format!("/api/v1/liaison-groups/{}", fresh_group().await),
            None,
        ),
        ("POST", "/api/v1/auth/register") => (
            rule.path.into(),
            Some(
                json!({"username": unique, "password": PASSWORD, "name": "新选民", "phone": "13611112222", "constituency": w.constituency_a}),
            ),
        ),
        ("POST", "/api/v1/constituencies") => (
            rule.path.into(),
            Some(json!({"name": unique, "code": unique, "committee_id": w.committee_a})),
        ),
        ("GET", "/api/v1/constituencies/{id}") => {
            (format!("/api/v1/constituencies/{}", w.constituency_a), None)
        }
        ("PATCH", "/api/v1/constituencies/{id}") => (
            format!("/api/v1/constituencies/{}", w.constituency_a),
            Some(json!({"area": unique})),
        ),
        ("DELETE", "/api/v1/constituencies/{id}") => {
            let id = app
                .post(
                    "/api/v1/constituencies",
                    &w.admin,
                    json!({"name": unique, "code": unique, "committee_id": w.committee_a}),
                )
                .await
                .expect(201)
                .id();
            (format!("/api/v1/constituencies/{id}"), None)
        }
        ("POST", "/api/v1/handling-bodies") => (
            rule.path.into(),
            Some(json!({"name": unique, "kind": "court", "committee_id": w.committee_a})),
        ),
        ("GET", "/api/v1/handling-bodies/{id}") => {
            (format!("/api/v1/handling-bodies/{}", w.body_a), None)
        }
        ("PATCH", "/api/v1/handling-bodies/{id}") => (
            format!("/api/v1/handling-bodies/{}", w.body_a),
            Some(json!({"contact": unique})),
        ),
        ("DELETE", "/api/v1/handling-bodies/{id}") => {
            let id = app
                .post(
                    "/api/v1/handling-bodies",
                    &w.admin,
                    json!({"name": unique, "kind": "other", "committee_id": w.committee_a}),
                )
                .await
                .expect(201)
                .id();
            (format!("/api/v1/handling-bodies/{id}"), None)
        }
        ("POST", "/api/v1/representatives") => (
            rule.path.into(),
            Some(
                json!({"name": unique, "gender": "male", "level": "district", "term": 16,
                        "constituency_id": w.constituency_a, "liaison_group_id": w.group_a}),
            ),
        ),
        ("GET", "/api/v1/representatives/{id}" | "/api/v1/representatives/{id}/contacts") => (
            rule.path.replace("{id}", &w.representative_a.to_string()),
            None,
        ),
        ("PATCH", "/api/v1/representatives/{id}") => (
            format!("/api/v1/representatives/{}", w.representative_a),
            Some(json!({"position": unique})),
        ),
        ("POST", "/api/v1/representatives/{id}/contacts") => {
            let voter = w.fresh_voter().await;
            (
                format!("/api/v1/representatives/{}/contacts", w.representative_a),
                Some(json!({"voter_id": voter, "kind": "voter_liaison"})),
            )
        }
        ("DELETE", "/api/v1/representatives/{id}/contacts/{link_id}") => {
            let (rep, _, link) = w.fresh_contact().await;
            (
                format!("/api/v1/representatives/{rep}/contacts/{link}"),
                None,
            )
        }
        ("POST", "/api/v1/voters") => (
            rule.path.into(),
            Some(
                json!({"name": unique, "constituency_id": w.constituency_a, "phone": "13655556666"}),
            ),
        ),
        ("GET", "/api/v1/voters/{id}") => (format!("/api/v1/voters/{}", w.voter_a), None),
        ("PATCH", "/api/v1/voters/{id}") => (
            format!("/api/v1/voters/{}", w.voter_a),
            Some(json!({"address": unique})),
        ),
        ("POST", "/api/v1/voters/{id}/verify") => {
            (format!("/api/v1/voters/{}/verify", w.voter_a), None)
        }
        ("POST", "/api/v1/imports/voters") => (
            rule.path.into(),
            Some(Value::String(format!(
                "name,constituency_code,phone\n{unique},A-01,13644443333\n"
            ))),
        ),
        ("GET", "/api/v1/committees/{id}/policy") => {
            (format!("/api/v1/committees/{}/policy", w.committee_a), None)
        }
        // A committee below committee staff's own: their own committee's rules are set above.
        ("PUT", "/api/v1/committees/{id}/policy") => (
            format!("/api/v1/committees/{}/policy", fresh_committee().await),
            Some(json!({"max_voter_liaisons": 50})),
        ),
        ("POST", "/api/v1/imports/representatives") => (
            rule.path.into(),
            Some(Value::String(format!(
                "name,gender,level,term,constituency_code,liaison_group\n{unique},女,区,16,A-01,八宝山联络站\n"
            ))),
        ),
        ("POST", "/api/v1/congress-sessions") => (rule.path.into(), Some(congress_session())),
        ("GET", "/api/v1/congress-sessions") => (rule.path.into(), None),
        ("GET" | "PATCH" | "DELETE", "/api/v1/congress-sessions/{id}") => {
            let id = app
                .post("/api/v1/congress-sessions", &w.admin, congress_session())
                .await
                .expect(201)
                .id();
            (
                format!("/api/v1/congress-sessions/{id}"),
                (rule.method == "PATCH").then(|| json!({"closes_on": "2031-01-12"})),
            )
        }
        ("GET", "/api/v1/notifications") => (rule.path.into(), None),
        ("GET", "/api/v1/changes") => (rule.path.into(), None),
        ("POST", "/api/v1/auth/token") => (
            rule.path.into(),
            Some(json!({"grant_type": "client_credentials"})),
        ),
        ("POST", "/api/v1/service-clients") => (
            rule.path.into(),
            Some(
                json!({"name": "系统", "scopes": ["opinions:read"], "committee_id": w.committee_a}),
            ),
        ),
        ("GET", "/api/v1/service-clients") => (rule.path.into(), None),
        (_, "/api/v1/service-clients/{id}" | "/api/v1/service-clients/{id}/rotate-secret") => {
            let id = app
                .post(
                    "/api/v1/service-clients",
                    &w.admin,
                    json!({"name": "系统", "scopes": ["opinions:read"], "committee_id": w.committee_a}),
                )
                .await
                .expect(201)
                .id();
            (
                rule.path.replace("{id}", &id.to_string()),
                match rule.method {
                    "PATCH" => Some(json!({"name": "改名"})),
                    "POST" => Some(json!({})),
                    _ => None,
                },
            )
        }
        ("POST", "/api/v1/webhooks") => (
            rule.path.into(),
            Some(json!({"url": "http://127.0.0.1:9/matrix", "event_types": ["ping.*"]})),
        ),
        ("GET", "/api/v1/webhooks") => (rule.path.into(), None),
        ("GET", "/api/v1/stats/opinions" | "/api/v1/stats/activities") => (rule.path.into(), None),
        (
            "GET",
            "/api/v1/exports/opinions"
            | "/api/v1/exports/activities"
            | "/api/v1/exports/stats/opinions",
        ) => (rule.path.into(), None),
        (_, path) if path.starts_with("/api/v1/webhooks/{id}") => {
            let hook = app
                .post(
                    "/api/v1/webhooks",
                    &w.committee_staff_a,
                    json!({"url": "http://127.0.0.1:9/matrix", "event_types": ["ping.*"]}),
                )
                .await
                .expect(201)
                .id()
                .to_string();
            let ping = app
                .post(
                    &format!("/api/v1/webhooks/{hook}/test"),
                    &w.committee_staff_a,
                    json!({}),
                )
                .await
                .expect(202)
                .id()
                .to_string();
            (
                rule.path
                    .replace("{id}", &hook)
                    .replace("{delivery_id}", &ping),
                match rule.method {
                    "PATCH" => Some(json!({"description": "改过"})),
                    "POST" => Some(json!({})),
                    _ => None,
                },
            )
        }
        ("POST", "/api/v1/notifications/{id}/read") => {
            let mut body = opinion_body(w);
            body["urgent"] = json!(true);
            app.post("/api/v1/opinions", &w.voter, body)
                .await
                .expect(201);
            let list = app
                .get("/api/v1/notifications?state=unread", &w.committee_staff_a)
                .await
                .expect(200);
            let id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
            (format!("/api/v1/notifications/{id}/read"), Some(json!({})))
        }
        ("GET", "/api/v1/representatives/{id}/annual-reports") => (
            format!(
                "/api/v1/representatives/{}/annual-reports",
                w.representative_a
            ),
            None,
        ),
        ("GET", "/api/v1/calendar") => (rule.path.into(), None),
        ("PUT", "/api/v1/calendar/{day}") => (
            "/api/v1/calendar/2030-10-01".into(),
            Some(json!({"kind": "holiday", "name": "国庆节"})),
        ),
        ("DELETE", "/api/v1/calendar/{day}") => {
            app.request(
                Method::PUT,
                "/api/v1/calendar/2030-10-02",
                Some(&w.admin),
                Some(json!({"kind": "holiday"})),
            )
            .await
            .expect(200);
            ("/api/v1/calendar/2030-10-02".into(), None)
        }
        ("POST", "/api/v1/opinions") => (rule.path.into(), Some(opinion_body(w))),
        ("GET", "/api/v1/opinions") => (rule.path.into(), None),
        ("GET", "/api/v1/opinions/{id}/referable-bodies") => (
            format!(
                "/api/v1/opinions/{}/referable-bodies",
                fresh_opinion(w, "referred").await
            ),
            None,
        ),
        ("GET", "/api/v1/opinions/{id}") => (
            format!("/api/v1/opinions/{}", fresh_opinion(w, "referred").await),
            None,
        ),
        ("PATCH", "/api/v1/opinions/{id}") => (
            format!("/api/v1/opinions/{}", fresh_opinion(w, "received").await),
            Some(json!({"title": "路灯仍然不亮"})),
        ),
        ("POST", "/api/v1/opinions/{id}/transitions") => (
            format!(
                "/api/v1/opinions/{}/transitions",
                fresh_opinion(w, "received").await
            ),
            Some(refer_to(w.body_a)),
        ),
        ("POST", "/api/v1/opinions/{id}/rating") => (
            format!(
                "/api/v1/opinions/{}/rating",
                fresh_opinion(w, "fed_back").await
            ),
            Some(json!({"rating": "satisfied"})),
        ),
        ("GET", "/api/v1/opinions/{id}/events") => (
            format!(
                "/api/v1/opinions/{}/events",
                fresh_opinion(w, "referred").await
            ),
            None,
        ),
        ("GET", "/api/v1/opinions/{id}/referrals") => (
            format!(
                "/api/v1/opinions/{}/referrals",
                fresh_opinion(w, "referred").await
            ),
            None,
        ),
        ("POST", "/api/v1/opinions/{id}/referrals/{referral_id}/accept") => {
            let id = fresh_opinion(w, "referred").await;
            let referrals = app
                .get(&format!("/api/v1/opinions/{id}/referrals"), &w.admin)
                .await
                .expect(200);
            let referral = referrals.body["items"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            (
                format!("/api/v1/opinions/{id}/referrals/{referral}/accept"),
                Some(json!({})),
            )
        }
        ("GET", "/api/v1/opinion-categories") => (
            format!(
                "/api/v1/opinion-categories?constituency_id={}",
                w.constituency_a
            ),
            None,
        ),
        ("POST", "/api/v1/activities") => {
            (rule.path.into(), Some(plan_body(w, local_day(10), false)))
        }
        ("POST", "/api/v1/activities/{id}/confirm" | "/api/v1/activities/{id}/reject") => {
            let id = app
                .post(
                    "/api/v1/activities",
                    &w.representative,
                    plan_body(w, local_day(10), false),
                )
                .await
                .expect(201)
                .id();
            let action = rule.path.rsplit('/').next().unwrap();
            (
                format!("/api/v1/activities/{id}/{action}"),
                Some(json!({"reason": "重复申报"})).filter(|_| action == "reject"),
            )
        }
        ("GET", "/api/v1/activities/{id}") => (
            format!(
                "/api/v1/activities/{}",
                fresh_activity(w, "station_reception", false).await
            ),
            None,
        ),
        ("PATCH", "/api/v1/activities/{id}") => (
            format!(
                "/api/v1/activities/{}",
                fresh_activity(w, "station_reception", false).await
            ),
            Some(json!({"topic": "改在下午"})),
        ),
        ("GET", "/api/v1/activities/{id}/events") => (
            format!(
                "/api/v1/activities/{}/events",
                fresh_activity(w, "station_reception", true).await
            ),
            None,
        ),
        ("POST", "/api/v1/activities/{id}/hold") => (
            format!(
                "/api/v1/activities/{}/hold",
                fresh_activity(w, "station_reception", false).await
            ),
            Some(hold_body(w, json!([]))),
        ),
        ("POST", "/api/v1/activities/{id}/cancel") => (
            format!(
                "/api/v1/activities/{}/cancel",
                fresh_activity(w, "station_reception", false).await
            ),
            Some(json!({"reason": "场地维修"})),
        ),
        ("GET", "/api/v1/activities/{id}/registrations") => (
            format!(
                "/api/v1/activities/{}/registrations",
                fresh_activity(w, "station_reception", true).await
            ),
            None,
        ),
        ("POST", "/api/v1/activities/{id}/evaluations") => (
            format!(
                "/api/v1/activities/{}/evaluations",
                fresh_activity(w, "annual_report", true).await
            ),
            Some(json!({"rating": "satisfied"})),
        ),
        ("POST", "/api/v1/liaison-groups/{id}/reception-rules") => (
            format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
            Some(reception_rule(w)),
        ),
        ("GET", "/api/v1/liaison-groups/{id}/reception-rules") => (
            format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
            None,
        ),
        ("PATCH" | "DELETE", "/api/v1/liaison-groups/{id}/reception-rules/{rule_id}") => {
            let rule_id = app
                .post(
                    &format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
                    &w.admin,
                    reception_rule(w),
                )
                .await
                .expect(201)
                .id();
            (
                format!(
                    "/api/v1/liaison-groups/{}/reception-rules/{rule_id}",
                    w.group_a
                ),
                (rule.method == "PATCH").then(|| json!({"exdates": ["2025-03-15"]})),
            )
        }
        ("POST", "/api/v1/appointments") => (rule.path.into(), Some(request_body(w))),
        ("GET", "/api/v1/appointments/{id}") => {
            (format!("/api/v1/appointments/{}", request(w).await), None)
        }
        ("POST", "/api/v1/appointments/{id}/accept") => (
            format!("/api/v1/appointments/{}/accept", request(w).await),
            Some(accept_body(w)),
        ),
        ("POST", "/api/v1/appointments/{id}/decline" | "/api/v1/appointments/{id}/cancel") => (
            rule.path.replace("{id}", &request(w).await.to_string()),
            Some(json!({"reason": "另有安排"})),
        ),
        (
            "GET",
            "/api/v1/representatives/{id}/duty-record"
            | "/api/v1/representatives/{id}/annual-report-draft",
        ) => (
            rule.path.replace("{id}", &w.representative_a.to_string()),
            None,
        ),
        ("GET", "/public/v1/stations/{id}/calendar.ics") => (
            format!("/public/v1/stations/{}/calendar.ics", w.group_a),
            None,
        ),
        ("GET", path) => (path.into(), None),
        (method, path) => panic!("no request prepared for {method} {path}"),
    }
}
