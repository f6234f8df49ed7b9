use serde_json::json;

use crate::helpers::{PASSWORD, World};

#[tokio::test]
async fn committee_staff_never_grant_a_role_above_their_own() {
    let w = World::new().await;
    let before = w.app.count("accounts").await;
    for role in ["admin", "service"] {
        w.app
            .post(
                "/api/v1/users",
                &w.committee_staff_a,
                json!({"username": format!("x.{role}"), "password": PASSWORD, "role": role}),
            )
            .await
            .expect_problem(403, "forbidden");
    }
    assert_eq!(w.app.count("accounts").await, before);
}

#[tokio::test]
async fn committee_staff_manage_accounts_inside_their_subtree_only() {
    let w = World::new().await;
    let app = &w.app;
    let created = app
        .post(
            "/api/v1/users",
            &w.committee_staff_a,
            json!({"username": "station.a2", "password": PASSWORD, "role": "group_staff", "scope_id": w.group_a}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["role"], "group_staff");
    assert_eq!(created.body["scope_id"], w.group_a.to_string());
    assert_eq!(created.body["scope_kind"], "liaison_group");
    assert!(created.body.get("password_hash").is_none() && created.body.get("password").is_none());

    app
        .post(
            "/api/v1/users",
            &w.committee_staff_a,
            json!({"username": "station.b2", "password": PASSWORD, "role": "group_staff", "scope_id": w.group_b}),
        )
        .await
        .expect_invalid("scope_id");

    let list = app
        .get("/api/v1/users", &w.committee_staff_a)
        .await
        .expect(200);
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"staff.a") && names.contains(&"group.a") && names.contains(&"station.a2"),
        "{names:?}"
    );
    assert!(
        names.contains(&"body.a"),
        "handling body of A is in scope: {names:?}"
    );
    assert!(
        !names.contains(&"staff.b") && !names.contains(&"admin"),
        "{names:?}"
    );

    let admin_id = app
        .get("/api/v1/users?role=admin", &w.admin)
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/api/v1/users/{admin_id}"), &w.committee_staff_a)
        .await
        .expect(404);
    app.patch(
        &format!("/api/v1/users/{admin_id}"),
        &w.committee_staff_a,
        json!({"disabled": true}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn role_and_scope_must_fit_together() {
    let w = World::new().await;
    let post = |body: serde_json::Value| w.app.post("/api/v1/users", &w.admin, body);
    let r = post(json!({"username": "no.scope", "password": PASSWORD, "role": "committee_staff"}))
        .await;
    r.expect_invalid("scope_id");
    let r = post(json!({"username": "bad.scope", "password": PASSWORD, "role": "admin", "scope_id": w.committee_a})).await;
    r.expect_problem(422, "validation_failed");
    let r = post(json!({"username": "wrong.kind", "password": PASSWORD, "role": "group_staff", "scope_id": w.committee_a})).await;
    r.expect_problem(422, "validation_failed");
    post(json!({"username": "ADMIN", "password": PASSWORD, "role": "admin"}))
        .await
        .expect_problem(409, "username_taken");
    post(json!({"username": "short.pw", "password": "short", "role": "admin"}))
        .await
        .expect_invalid("password");
}

#[tokio::test]
async fn accounts_cannot_disable_themselves_or_change_their_own_role() {
    let w = World::new().await;
    let me = w.app.get("/api/v1/me", &w.committee_staff_a).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me, w.committee_staff_a_id.to_string());
    w.app
        .patch(
            &format!("/api/v1/users/{me}"),
            &w.committee_staff_a,
            json!({"disabled": true}),
        )
        .await
        .expect_problem(409, "cannot_disable_self");
    w.app
        .patch(
            &format!("/api/v1/users/{me}"),
            &w.committee_staff_a,
            json!({"role": "group_staff", "scope_id": w.group_a}),
        )
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn admins_change_roles_and_bindings() {
    let w = World::new().await;
    let path = format!("/api/v1/users/{}", w.group_staff_a_id);
    let changed = w
        .app
        .patch(
            &path,
            &w.admin,
            json!({"role": "committee_staff", "scope_id": w.committee_b}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["role"], "committee_staff");
    assert_eq!(changed.body["scope_kind"], "committee");
    // The live session sees the new scope at once.
    let me = w.app.get("/api/v1/me", &w.group_staff_a).await.expect(200);
    assert_eq!(me.body["scope"]["id"], w.committee_b.to_string());
    // Staff of A lost sight of it.
    w.app.get(&path, &w.committee_staff_a).await.expect(404);
}

#[tokio::test]
async fn group_staff_and_other_roles_cannot_manage_accounts() {
    let w = World::new().await;
    for token in [
        &w.group_staff_a,
        &w.representative,
        &w.voter,
        &w.handling_body,
        &w.service,
    ] {
        w.app
            .get("/api/v1/users", token)
            .await
            .expect_problem(403, "forbidden");
        w.app
            .post(
                "/api/v1/users",
                token,
                json!({"username": "sneaky", "password": PASSWORD, "role": "voter"}),
            )
            .await
            .expect(403);
    }
}

#[tokio::test]
async fn a_read_answers_for_the_caller_the_session_has_now() {
    // Hot reads send their statements for whom the session was last found to be, alongside
    // the session check; a change of scope or a disabled account must still decide, also
    // when the change is made through another server.
    let w = World::new().await;
    let other = w.app.replica(|_| {});
    let opinion = crate::opinions::submit(&w).await;
    let path = format!("/api/v1/opinions/{opinion}");
    for _ in 0..2 {
        other.get(&path, &w.group_staff_a).await.expect(200);
    }
    let account = format!("/api/v1/users/{}", w.group_staff_a_id);
    w.app
        .patch(
            &account,
            &w.admin,
            json!({"role": "committee_staff", "scope_id": w.committee_b}),
        )
        .await
        .expect(200);
    other.get(&path, &w.group_staff_a).await.expect(404);
    w.app
        .patch(
            &account,
            &w.admin,
            json!({"role": "committee_staff", "scope_id": w.committee_a}),
        )
        .await
        .expect(200);
    let seen = other.get(&path, &w.group_staff_a).await.expect(200);
    assert_eq!(seen.body["id"], opinion.to_string());
    w.app
        .patch(&account, &w.admin, json!({"disabled": true}))
        .await
        .expect(200);
    other
        .get(&path, &w.group_staff_a)
        .await
        .expect_problem(401, "unauthorized");
}
