//! Every write route with a valid body and the invalid bodies it must refuse (data for
//! `bad_input.rs`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, World};

pub struct WriteRoute {
    pub method: Method,
    pub path: String,
    pub valid: Value,
    /// Bodies that must be refused with 422, each naming the failing field.
    pub invalid: Vec<(Value, &'static str)>,
}

pub fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut v = base.clone();
    v[key] = value;
    v
}

fn without(base: &Value, key: &str) -> Value {
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove(key);
    v
}

pub fn routes(w: &World, opinion: uuid::Uuid, activity: uuid::Uuid) -> Vec<WriteRoute> {
    let new_activity = crate::activities::plan_body(w, crate::activities::local_day(10), false);
    let hold = crate::activities::hold_body(w, json!([]));
    let appointment = crate::appointments::request_body(w);
    let rule = json!({"rrule": "FREQ=MONTHLY;BYMONTHDAY=15", "dtstart": "2025-01-01",
                      "start_time": "09:00", "end_time": "11:00",
                      "representative_ids": [w.representative_a]});
    let new_opinion = crate::opinions::opinion_body(w);
    let session = json!({"level": "district", "term": 17, "number": 1,
                         "opens_on": "2026-01-08", "closes_on": "2026-01-11"});
    let long = "长".repeat(201);
    let user = json!({"username": "new.user", "password": PASSWORD, "role": "group_staff", "scope_id": w.group_a});
    let committee = json!({"name": "新工委", "kind": "working_committee", "parent_id": w.standing});
    let group = json!({"name": "新站", "kind": "station", "committee_id": w.committee_a, "address": "某路"});
    let constituency = json!({"name": "新选区", "code": "NEW-1", "committee_id": w.committee_a});
    let body = json!({"name": "新单位", "kind": "court", "committee_id": w.committee_a});
    let rep = json!({"name": "新代表", "gender": "male", "level": "district", "term": 16,
                     "constituency_id": w.constituency_a, "liaison_group_id": w.group_a});
    let voter =
        json!({"name": "新选民", "constituency_id": w.constituency_a, "phone": "13500000001"});
    vec![
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/auth/login".into(),
            valid: json!({"username": "admin", "password": PASSWORD}),
            invalid: vec![
                (json!({"username": "admin"}), "password"),
                (json!({"username": 5, "password": "x"}), "username"),
                (json!({"username": "", "password": "x"}), "username"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/auth/refresh".into(),
            valid: json!({"refresh_token": "whatever"}),
            invalid: vec![
                (json!({}), "refresh_token"),
                (json!({"refresh_token": ""}), "refresh_token"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/users".into(),
            valid: user.clone(),
            invalid: vec![
                (without(&user, "username"), "username"),
                (without(&user, "role"), "role"),
                (with(&user, "role", json!("emperor")), "role"),
                (with(&user, "role", json!(3)), "role"),
                (with(&user, "username", json!("")), "username"),
                (with(&user, "username", json!("u".repeat(65))), "username"),
                (with(&user, "password", json!("short")), "password"),
                (with(&user, "scope_id", json!("not-a-uuid")), "scope_id"),
            ],
        },
        WriteRoute {
            method: Method::PUT,
            path: "/api/v1/me/password".into(),
            valid: json!({"current_password": PASSWORD, "new_password": PASSWORD}),
            invalid: vec![
                (json!({"current_password": PASSWORD}), "new_password"),
                (
                    json!({"current_password": PASSWORD, "new_password": "short"}),
                    "new_password",
                ),
                (
                    json!({"current_password": "not my password", "new_password": PASSWORD}),
                    "current_password",
                ),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/users/{}", w.group_staff_a_id),
            valid: json!({"disabled": false}),
            invalid: vec![
                (json!({"disabled": "yes"}), "disabled"),
                (json!({"role": "emperor"}), "role"),
                (json!({"password": ""}), "password"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/committees".into(),
            valid: committee.clone(),
            invalid: vec![
                (without(&committee, "name"), "name"),
                (with(&committee, "name", json!("")), "name"),
                (with(&committee, "name", json!("   ")), "name"),
                (with(&committee, "name", json!(long)), "name"),
                (with(&committee, "kind", json!("politburo")), "kind"),
                (with(&committee, "parent_id", json!(12)), "parent_id"),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/committees/{}", w.committee_a),
            valid: json!({"name": "改名"}),
            invalid: vec![
                (json!({"name": ""}), "name"),
                (json!({"name": ["a"]}), "name"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/liaison-groups".into(),
            valid: group.clone(),
            invalid: vec![
                (without(&group, "address"), "address"),
                (with(&group, "address", json!("")), "address"),
                (with(&group, "name", json!(long)), "name"),
                (with(&group, "kind", json!("palace")), "kind"),
                (
                    with(&group, "liaison_officers", json!("李明")),
                    "liaison_officers",
                ),
                (
                    with(&group, "liaison_officers", json!([""])),
                    "liaison_officers",
                ),
                (
                    with(&group, "opening_hours", json!("时".repeat(501))),
                    "opening_hours",
                ),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/liaison-groups/{}", w.group_a),
            valid: json!({"address": "新地址"}),
            invalid: vec![
                (json!({"address": ""}), "address"),
                (json!({"kind": "palace"}), "kind"),
                (json!({"head_name": "长".repeat(101)}), "head_name"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/constituencies".into(),
            valid: constituency.clone(),
            invalid: vec![
                (without(&constituency, "code"), "code"),
                (with(&constituency, "code", json!("")), "code"),
                (with(&constituency, "name", json!(long)), "name"),
                (
                    with(&constituency, "committee_id", json!("x")),
                    "committee_id",
                ),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/handling-bodies".into(),
            valid: body.clone(),
            invalid: vec![
                (with(&body, "kind", json!("ministry_of_truth")), "kind"),
                (with(&body, "name", json!("")), "name"),
                (without(&body, "committee_id"), "committee_id"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/representatives".into(),
            valid: rep.clone(),
            invalid: vec![
                (with(&rep, "gender", json!("x")), "gender"),
                (with(&rep, "level", json!("province")), "level"),
                (with(&rep, "term", json!(0)), "term"),
                (with(&rep, "term", json!("16")), "term"),
                (with(&rep, "phone", json!("12345")), "phone"),
                (with(&rep, "employer", json!("长".repeat(201))), "employer"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/voters".into(),
            valid: voter.clone(),
            invalid: vec![
                (without(&voter, "phone"), "phone"),
                (with(&voter, "phone", json!("phone")), "phone"),
                (
                    with(&voter, "id_number", json!("110105194912310021")),
                    "id_number",
                ),
                (with(&voter, "name", json!("")), "name"),
                (with(&voter, "address", json!("址".repeat(501))), "address"),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/voters/{}", w.voter_a),
            valid: json!({"address": "新址"}),
            invalid: vec![
                (json!({"phone": "1"}), "phone"),
                (json!({"id_number": "abc"}), "id_number"),
                (json!({"address": "址".repeat(501)}), "address"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/representatives/{}/contacts", w.representative_a),
            valid: json!({"voter_id": w.voter_a, "kind": "voter_liaison"}),
            invalid: vec![
                (json!({"voter_id": w.voter_a, "kind": "friend"}), "kind"),
                (json!({"kind": "voter_liaison"}), "voter_id"),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/constituencies/{}", w.constituency_a),
            valid: json!({"name": "改名选区"}),
            invalid: vec![
                (json!({"area": "区".repeat(2001)}), "area"),
                (json!({"code": ""}), "code"),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/handling-bodies/{}", w.body_a),
            valid: json!({"name": "改名单位"}),
            invalid: vec![
                (json!({"contact": "电".repeat(201)}), "contact"),
                (json!({"kind": "x"}), "kind"),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/representatives/{}", w.representative_a),
            valid: json!({"position": "副院长"}),
            invalid: vec![
                (json!({"employer": "长".repeat(201)}), "employer"),
                (
                    json!({"public_contact": "长".repeat(201)}),
                    "public_contact",
                ),
                (json!({"status": "retired"}), "status"),
                (json!({"term": 100}), "term"),
                (json!({"phone": "123"}), "phone"),
            ],
        },
        WriteRoute {
            method: Method::PUT,
            path: format!("/api/v1/committees/{}/policy", w.committee_a),
            valid: json!({"max_voter_liaisons": 4}),
            invalid: vec![
                (json!({"max_voter_liaisons": -1}), "max_voter_liaisons"),
                (json!({"max_fixed_households": "3"}), "max_fixed_households"),
                (
                    json!({"max_fixed_households": 1001}),
                    "max_fixed_households",
                ),
                (json!({"categories": []}), "categories"),
                (json!({"categories": ["Transport"]}), "categories"),
                (json!({"categories": ["a", "a"]}), "categories"),
                (json!({"answer_months": 0}), "answer_months"),
                (json!({"max_reopen_rounds": 21}), "max_reopen_rounds"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/opinions".into(),
            valid: new_opinion.clone(),
            invalid: vec![
                (without(&new_opinion, "title"), "title"),
                (
                    with(
                        &new_opinion,
                        "external_ref",
                        json!({"system": "DBHD", "id": "1"}),
                    ),
                    "external_ref.system",
                ),
                (
                    with(
                        &new_opinion,
                        "external_ref",
                        json!({"system": "dbhd", "id": " "}),
                    ),
                    "external_ref.id",
                ),
                (with(&new_opinion, "content", json!("")), "content"),
                (with(&new_opinion, "source", json!("pigeon")), "source"),
                (
                    with(&new_opinion, "category", json!("astrology")),
                    "category",
                ),
                (with(&new_opinion, "urgent", json!("yes")), "urgent"),
                (
                    with(&new_opinion, "constituency_id", json!("x")),
                    "constituency_id",
                ),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/opinions/{opinion}"),
            valid: json!({"title": "新标题"}),
            invalid: vec![
                (json!({"title": ""}), "title"),
                (json!({"category": "astrology"}), "category"),
                (json!({"urgent": 1}), "urgent"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/opinions/{opinion}/transitions"),
            valid: json!({"action": "decline", "reason": "个人诉讼", "guidance": "法院"}),
            invalid: vec![
                (json!({"action": "fly"}), "action"),
                (
                    json!({"action": "refer", "channel": "recess_suggestion"}),
                    "handling_body_id",
                ),
                (
                    json!({"action": "refer", "handling_body_id": w.body_a, "channel": "fax"}),
                    "channel",
                ),
                (
                    json!({"action": "answer", "outcome": "great", "text": "x"}),
                    "outcome",
                ),
                (json!({"action": "answer", "outcome": "resolved"}), "text"),
                (
                    json!({"action": "feed_back", "method": "phone", "text": "  "}),
                    "text",
                ),
                (json!({"action": "decline", "reason": "x"}), "guidance"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/opinions/{opinion}/rating"),
            valid: json!({"rating": "satisfied"}),
            invalid: vec![(json!({"rating": "meh"}), "rating"), (json!({}), "rating")],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/activities".into(),
            valid: new_activity.clone(),
            invalid: vec![
                (with(&new_activity, "kind", json!("party")), "kind"),
                (
                    with(&new_activity, "external_ref", json!({"system": "dbhd"})),
                    "external_ref.id",
                ),
                (with(&new_activity, "form", json!("letter")), "form"),
                (
                    with(&new_activity, "starts_at", json!("next tuesday")),
                    "starts_at",
                ),
                (with(&new_activity, "topic", json!("  ")), "topic"),
                (
                    with(
                        &new_activity,
                        "liaison_group_id",
                        json!(uuid::Uuid::now_v7()),
                    ),
                    "liaison_group_id",
                ),
                (
                    with(
                        &new_activity,
                        "organiser_committee_id",
                        json!(w.committee_a),
                    ),
                    "organiser_committee_id",
                ),
                (
                    with(
                        &new_activity,
                        "representative_ids",
                        json!([uuid::Uuid::now_v7()]),
                    ),
                    "representative_ids",
                ),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/activities/{activity}/hold"),
            valid: hold.clone(),
            invalid: vec![
                (with(&hold, "voters_met", json!(-1)), "voters_met"),
                (with(&hold, "summary", json!("")), "summary"),
                (
                    with(&hold, "attendee_representative_ids", json!([])),
                    "attendee_representative_ids",
                ),
                (
                    with(
                        &hold,
                        "registrations",
                        json!([{"visitor_name": "", "issues": []}]),
                    ),
                    "registrations[0].visitor_name",
                ),
                (
                    with(
                        &hold,
                        "registrations",
                        json!([{"visitor_name": "李", "phone": "12"}]),
                    ),
                    "registrations[0].phone",
                ),
                (
                    with(
                        &hold,
                        "registrations",
                        json!([{"visitor_name": "李", "issues": [{"title": "t", "content": "c", "category": "astrology"}]}]),
                    ),
                    "registrations[0].issues[0].category",
                ),
                (
                    with(&hold, "contacted_voter_ids", json!([uuid::Uuid::now_v7()])),
                    "contacted_voter_ids",
                ),
                (
                    with(
                        &hold,
                        "registrations",
                        json!([{"visitor_name": "李", "voter_id": uuid::Uuid::now_v7()}]),
                    ),
                    "registrations[0].voter_id",
                ),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/activities/{activity}/cancel"),
            valid: json!({"reason": "场地维修"}),
            invalid: vec![(json!({"reason": ""}), "reason"), (json!({}), "reason")],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/activities/{activity}/evaluations"),
            valid: json!({"rating": "satisfied"}),
            invalid: vec![(json!({"rating": "meh"}), "rating")],
        },
        WriteRoute {
            method: Method::POST,
            path: format!("/api/v1/liaison-groups/{}/reception-rules", w.group_a),
            valid: rule.clone(),
            invalid: vec![
                (with(&rule, "rrule", json!("FREQ=SECONDLY")), "rrule"),
                (with(&rule, "rrule", json!("")), "rrule"),
                (with(&rule, "dtstart", json!("2025-02-30")), "dtstart"),
                (with(&rule, "start_time", json!("25:00")), "start_time"),
                (with(&rule, "end_time", json!("08:00")), "end_time"),
                (
                    with(&rule, "representative_ids", json!([])),
                    "representative_ids",
                ),
                (with(&rule, "exdates", json!(["someday"])), "exdates[0]"),
            ],
        },
        WriteRoute {
            method: Method::PATCH,
            path: format!("/api/v1/activities/{activity}"),
            valid: json!({"topic": "改期"}),
            invalid: vec![
                (json!({"starts_at": "2026-13-01T09:00"}), "starts_at"),
                (json!({"topic": ""}), "topic"),
                (json!({"address": "长".repeat(501)}), "address"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/service-clients".into(),
            valid: json!({"name": "系统", "scopes": ["opinions:read"]}),
            invalid: vec![
                (json!({"name": " ", "scopes": ["opinions:read"]}), "name"),
                (json!({"name": "系统", "scopes": []}), "scopes"),
                (
                    json!({"name": "系统", "scopes": ["opinions:write"]}),
                    "scopes[0]",
                ),
                (
                    json!({"name": "系统", "scopes": ["opinions:read"], "committee_id": "x"}),
                    "committee_id",
                ),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/webhooks".into(),
            valid: json!({"url": "http://127.0.0.1:9/bad-input"}),
            invalid: vec![
                (json!({"url": ""}), "url"),
                (json!({"url": "ftp://hooks.example/"}), "url"),
                (
                    json!({"url": "https://hooks.example/", "event_types": []}),
                    "event_types",
                ),
                (
                    json!({"url": "https://hooks.example/", "event_types": ["opinion"]}),
                    "event_types[0]",
                ),
                (
                    json!({"url": "https://hooks.example/", "description": "长".repeat(501)}),
                    "description",
                ),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/congress-sessions".into(),
            valid: session.clone(),
            invalid: vec![
                (with(&session, "level", json!("province")), "level"),
                (with(&session, "term", json!(0)), "term"),
                (with(&session, "number", json!(101)), "number"),
                (with(&session, "opens_on", json!("2026-02-30")), "opens_on"),
                (
                    with(&session, "closes_on", json!("2026-01-01")),
                    "closes_on",
                ),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/appointments".into(),
            valid: appointment.clone(),
            invalid: vec![
                (with(&appointment, "topic", json!("")), "topic"),
                (
                    with(&appointment, "preferred_times", json!([])),
                    "preferred_times",
                ),
                (
                    with(
                        &appointment,
                        "preferred_times",
                        json!([{"starts_at": "soon", "ends_at": "2030-01-01T10:00"}]),
                    ),
                    "preferred_times[0].starts_at",
                ),
                (
                    with(
                        &appointment,
                        "representative_id",
                        json!(uuid::Uuid::now_v7()),
                    ),
                    "representative_id",
                ),
                (
                    with(&appointment, "voter_id", json!(uuid::Uuid::now_v7())),
                    "voter_id",
                ),
            ],
        },
        WriteRoute {
            method: Method::PUT,
            path: "/api/v1/calendar/2031-01-01".into(),
            valid: json!({"kind": "holiday", "name": "元旦"}),
            invalid: vec![
                (json!({"kind": "party"}), "kind"),
                (json!({"kind": "holiday", "name": "x".repeat(101)}), "name"),
            ],
        },
        WriteRoute {
            method: Method::POST,
            path: "/api/v1/auth/register".into(),
            valid: json!({"username": "new.voter", "password": PASSWORD, "name": "新", "phone": "13500000000", "constituency": w.constituency_a}),
            invalid: vec![
                (
                    json!({"username": "x", "password": PASSWORD, "name": "新", "phone": "13500000000", "constituency": w.constituency_a}),
                    "username",
                ),
                (
                    json!({"username": "new.voter", "password": "short", "name": "新", "phone": "13500000000", "constituency": w.constituency_a}),
                    "password",
                ),
            ],
        },
    ]
}
