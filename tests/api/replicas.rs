//! What a server keeps between requests (verified tokens, whom a session was, committees'
//! policies) gives way at once to a change made through another server on the same database.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, World};
use crate::opinions::{answer, feed_back, opinion_body, refer_to, step, submit};

async fn actions(app: &TestApp, w: &World, id: uuid::Uuid) -> Vec<String> {
    let seen = app
        .get(&format!("/api/v1/opinions/{id}"), &w.committee_staff_a)
        .await
        .expect(200);
    seen.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// The steps committee staff are offered on `app` that name a handling body.
async fn steps_naming_a_body(app: &TestApp, w: &World, id: uuid::Uuid) -> Value {
    let bodies = app
        .get(
            &format!("/api/v1/opinions/{id}/referable-bodies"),
            &w.committee_staff_a,
        )
        .await
        .expect(200);
    bodies.body["steps"].clone()
}

#[tokio::test]
async fn a_changed_policy_decides_the_next_read_on_another_server() {
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    // Fed back and rated unsatisfied: staff may reopen while the policy allows another round.
    let id = submit(&w).await;
    step(&w, &w.committee_staff_a, id, refer_to(w.body_a))
        .await
        .expect(200);
    step(&w, &w.handling_body, id, answer()).await.expect(200);
    step(&w, &w.representative, id, feed_back())
        .await
        .expect(200);
    w.app
        .post(
            &format!("/api/v1/opinions/{id}/rating"),
            &w.voter,
            json!({"rating": "unsatisfied"}),
        )
        .await
        .expect(200);
    // Read twice on the other server, so its policy is kept there.
    for _ in 0..2 {
        assert!(actions(&other, &w, id).await.contains(&"reopen".into()));
    }
    let policy = format!("/api/v1/committees/{}/policy", w.committee_a);
    w.app
        .put(&policy, &w.admin, json!({"max_reopen_rounds": 0}))
        .await
        .expect(200);
    assert!(!actions(&other, &w, id).await.contains(&"reopen".into()));
    assert_eq!(steps_naming_a_body(&other, &w, id).await, json!([]));
    // A policy set higher up the tree reaches the committee below it too.
    w.app.put(&policy, &w.admin, json!({})).await.expect(200);
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.standing),
            &w.admin,
            json!({"max_reopen_rounds": 3}),
        )
        .await
        .expect(200);
    assert!(actions(&other, &w, id).await.contains(&"reopen".into()));
    assert_eq!(steps_naming_a_body(&other, &w, id).await, json!(["reopen"]));
}

/// The Beijing day a due date ends (due dates are the end of a day, midnight after it).
fn local_day_of(reply: &Value) -> NaiveDate {
    let at: DateTime<Utc> = reply["current_due_at"].as_str().unwrap().parse().unwrap();
    (at + Duration::hours(8) - Duration::seconds(1)).date_naive()
}

/// Sets committee A's `period` (a policy field) to one working day, so a due date falls on
/// the next working day and a holiday there moves it.
async fn one_working_day(w: &World, period: &str) {
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.admin,
            json!({ period: 1 }),
        )
        .await
        .expect(200);
}

/// Makes `day` a holiday, through the world's own server.
async fn holiday_on(w: &World, day: NaiveDate) {
    w.app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/{day}"),
            Some(&w.admin),
            Some(json!({"kind": "holiday", "name": "临时休假"})),
        )
        .await
        .expect(200);
}

#[tokio::test]
async fn a_new_holiday_moves_the_next_due_date_on_another_server() {
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    one_working_day(&w, "refer_working_days").await;
    let first = other
        .post("/api/v1/opinions", &w.voter, opinion_body(&w))
        .await
        .expect(201);
    let due = local_day_of(&first.body);
    holiday_on(&w, due).await;
    let second = other
        .post("/api/v1/opinions", &w.voter, opinion_body(&w))
        .await
        .expect(201);
    assert!(
        local_day_of(&second.body) > due,
        "{due} is a holiday now, yet the next opinion is due {}",
        second.body["current_due_at"]
    );
}

#[tokio::test]
async fn a_new_holiday_moves_the_next_steps_due_date_on_another_server() {
    // The feed-back date an answer sets is counted on the calendar the other server keeps.
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    one_working_day(&w, "feed_back_working_days").await;
    let answered_on_other = async || {
        let id = submit(&w).await;
        let path = format!("/api/v1/opinions/{id}/transitions");
        other
            .post(&path, &w.committee_staff_a, refer_to(w.body_a))
            .await
            .expect(200);
        other
            .post(&path, &w.handling_body, answer())
            .await
            .expect(200)
    };
    let due = local_day_of(&answered_on_other().await.body);
    holiday_on(&w, due).await;
    let second = answered_on_other().await;
    assert!(
        local_day_of(&second.body) > due,
        "{due} is a holiday now, yet the next feed-back is due {}",
        second.body["current_due_at"]
    );
}

#[tokio::test]
async fn a_session_ended_through_one_server_is_refused_by_another() {
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let login = w.app.login("admin", PASSWORD).await.expect(200);
    let access = login.body["access_token"].as_str().unwrap();
    let refresh = login.body["refresh_token"].as_str().unwrap();
    let id = submit(&w).await;
    let path = format!("/api/v1/opinions/{id}");
    // Read twice on the other server, so it keeps the token and whom the session was.
    for _ in 0..2 {
        other.get(&path, access).await.expect(200);
    }
    w.app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await
        .expect(204);
    other
        .get(&path, access)
        .await
        .expect_problem(401, "unauthorized");
    other
        .get("/api/v1/opinions", access)
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_committee_given_one_below_it_reads_that_ones_opinions_at_once() {
    // Staff of a committee with none below it read with a plain comparison (found with the
    // session); once a committee is added below, the next read covers it, on every server.
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let id = submit(&w).await;
    let listed = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for _ in 0..2 {
        let page = other
            .get("/api/v1/opinions", &w.committee_staff_a)
            .await
            .expect(200);
        assert_eq!(listed(&page), [id.to_string()]);
    }
    let below = w
        .app
        .post(
            "/api/v1/committees",
            &w.admin,
            json!({"name": "八宝山社区工作组", "kind": "joint_group", "parent_id": w.committee_a}),
        )
        .await
        .expect(201)
        .id();
    w.app
        .sql(&format!(
            "UPDATE opinions SET committee_id = '{below}' WHERE id = '{id}'"
        ))
        .await;
    let page = other
        .get("/api/v1/opinions", &w.committee_staff_a)
        .await
        .expect(200);
    assert_eq!(listed(&page), [id.to_string()]);
    let one = other
        .get(&format!("/api/v1/opinions/{id}"), &w.committee_staff_a)
        .await
        .expect(200);
    assert_eq!(one.body["committee_id"], below.to_string());
}

/// A write through one server applies the policy changed through another, after that server
/// has kept the old one: the refer-by categories of a new opinion, and the answer period of a
/// referral.
#[tokio::test]
async fn a_changed_policy_decides_the_next_write_on_another_server() {
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let policy = format!("/api/v1/committees/{}/policy", w.committee_a);
    w.app
        .put(&policy, &w.admin, json!({"answer_months": 1}))
        .await
        .expect(200);
    let refer_by_other = async |id: uuid::Uuid| -> DateTime<Utc> {
        let referred = other
            .post(
                &format!("/api/v1/opinions/{id}/transitions"),
                &w.committee_staff_a,
                refer_to(w.body_a),
            )
            .await
            .expect(200);
        let due = referred.body["current_due_at"].as_str().unwrap();
        DateTime::parse_from_rfc3339(due).unwrap().into()
    };
    // Created and referred on the other server, which keeps the policy as it is now.
    let mut ids = Vec::new();
    for _ in 0..2 {
        let made = other
            .post("/api/v1/opinions", &w.voter, opinion_body(&w))
            .await;
        ids.push(made.expect(201).id());
    }
    let due_in_a_month = refer_by_other(ids[0]).await;
    assert!(due_in_a_month < Utc::now() + Duration::days(40));

    w.app
        .put(
            &policy,
            &w.admin,
            json!({"answer_months": 3, "categories": ["transport", "other"]}),
        )
        .await
        .expect(200);
    let due_in_three_months = refer_by_other(ids[1]).await;
    assert!(
        due_in_three_months > Utc::now() + Duration::days(80),
        "the answer period changed through the first server: {due_in_three_months}"
    );
    let refused = other
        .post("/api/v1/opinions", &w.voter, opinion_body(&w))
        .await
        .expect(422);
    assert!(
        refused.body["errors"]["category"].is_array(),
        "{}",
        refused.body
    );
}

/// GET one opinion checks the session inside its own statement for whom the server last found
/// the session to be; an account rebound through another server reads with its new scope at
/// once, and what is not there still answers 404.
#[tokio::test]
async fn an_account_rebound_through_one_server_reads_with_its_new_scope_on_another() {
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let id = submit(&w).await;
    let path = format!("/api/v1/opinions/{id}");
    // Read twice on the other server, so it keeps whom the session was.
    for _ in 0..2 {
        other.get(&path, &w.committee_staff_a).await.expect(200);
    }
    // Changed through the first server, as an admin.
    let change_account = |body: Value| {
        let w = &w;
        async move {
            w.app
                .patch(
                    &format!("/api/v1/users/{}", w.committee_staff_a_id),
                    &w.admin,
                    body,
                )
                .await
                .expect(200);
        }
    };
    change_account(json!({"scope_id": w.committee_b})).await;
    other
        .get(&path, &w.committee_staff_a)
        .await
        .expect_problem(404, "not_found");
    // Now bound above the opinion's committee: it is in scope again.
    change_account(json!({"scope_id": w.standing})).await;
    for _ in 0..2 {
        let seen = other.get(&path, &w.committee_staff_a).await.expect(200);
        assert_eq!(seen.body["id"], id.to_string());
    }
    let missing = format!("/api/v1/opinions/{}", uuid::Uuid::now_v7());
    other
        .get(&missing, &w.committee_staff_a)
        .await
        .expect_problem(404, "not_found");
    // Disabled: the next read on the other server is refused.
    change_account(json!({"disabled": true})).await;
    other
        .get(&path, &w.committee_staff_a)
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_change_made_in_the_database_alone_ends_a_kept_session_at_once() {
    // A server folds into its reads only that nothing callers are loaded from has changed
    // since it read the session (migration 000021's generation): a session's end, which
    // nothing writes, must still end it, and so must a revocation or a disabled account
    // written straight into the database, as an operator would.
    use diesel_async::RunQueryDsl;
    let w = World::new().await;
    let server = w
        .app
        .replica(|s| s.jwt.refresh_ttl = std::time::Duration::from_secs(3));
    let id = submit(&w).await;
    let path = format!("/api/v1/opinions/{id}");
    let access_of =
        |reply: crate::helpers::Reply| reply.body["access_token"].as_str().unwrap().to_owned();
    let kept = async |token: &str| {
        // Twice, so the server keeps the token and whom the session was.
        for _ in 0..2 {
            server.get(&path, token).await.expect(200);
        }
    };

    // A session of three seconds, started on the server that keeps it; its access token
    // lasts longer.
    let ending = access_of(server.login("staff.a", PASSWORD).await.expect(200));
    kept(&ending).await;
    tokio::time::sleep(std::time::Duration::from_millis(3_200)).await;
    server
        .get(&path, &ending)
        .await
        .expect_problem(401, "unauthorized");

    let mut conn = w.app.db().await;
    let revoked = access_of(w.app.login("admin", PASSWORD).await.expect(200));
    let disabled = access_of(w.app.login("staff.a", PASSWORD).await.expect(200));
    kept(&revoked).await;
    kept(&disabled).await;
    diesel::sql_query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = 'operator'
         WHERE account_id = (SELECT id FROM accounts WHERE username = 'admin')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    server
        .get(&path, &revoked)
        .await
        .expect_problem(401, "unauthorized");
    server.get(&path, &disabled).await.expect(200);
    // A new password hash alone is not what a caller is loaded from: kept sessions stay.
    const CALLERS: &str = "SELECT callers AS n FROM committee_policy_generation";
    let before = crate::helpers::number(&mut conn, CALLERS).await;
    diesel::sql_query(
        "UPDATE accounts SET password_hash = password_hash || '' WHERE username = 'staff.a'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(crate::helpers::number(&mut conn, CALLERS).await, before);
    diesel::sql_query("UPDATE accounts SET disabled_at = now() WHERE username = 'staff.a'")
        .execute(&mut conn)
        .await
        .unwrap();
    server
        .get(&path, &disabled)
        .await
        .expect_problem(401, "unauthorized");
    assert!(crate::helpers::number(&mut conn, CALLERS).await > before);
}

/// A step checks the body it names by where the server keeps it sitting; a body moved in the
/// database alone is checked where it now sits by the next step on a server that kept it.
#[tokio::test]
async fn a_handling_body_moved_is_checked_where_it_now_sits_on_another_server() {
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let refer_on_other = async |id: uuid::Uuid| {
        other
            .post(
                &format!("/api/v1/opinions/{id}/transitions"),
                &w.committee_staff_a,
                refer_to(w.body_a),
            )
            .await
    };
    // Referred on the other server, which now keeps where the body sits (township A).
    let first = submit(&w).await;
    refer_on_other(first).await.expect(200);
    w.app
        .sql(&format!(
            "UPDATE handling_bodies SET committee_id = '{}' WHERE id = '{}'",
            w.committee_b, w.body_a
        ))
        .await;
    // Now in township B, beside A: not a body A's opinions may be referred to.
    let second = submit(&w).await;
    refer_on_other(second)
        .await
        .expect_invalid("handling_body_id");
}
