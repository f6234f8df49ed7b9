//! Service clients: client credentials (RFC 6749 §4.4), scopes checked on every request with
//! RFC 6750's `insufficient_scope`, a committee's subtree as the bound, rotation with a grace
//! period, and revocation that stops tokens at once.

use serde_json::{Value, json};

use crate::helpers::{Reply, World};
use crate::opinions::submit;

const TOKEN: &str = "/api/v1/auth/token";

async fn create(w: &World, token: &str, body: Value) -> Value {
    let reply = w
        .app
        .post("/api/v1/service-clients", token, body)
        .await
        .expect(201);
    assert!(reply.header("location").is_some());
    reply.body
}

fn credentials(client: &Value) -> (String, String) {
    (
        client["client_id"].as_str().unwrap().to_owned(),
        client["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn token(w: &World, (id, secret): &(String, String), form: &str) -> Reply {
    w.app.form(TOKEN, Some((id, secret)), form).await
}

async fn access(w: &World, creds: &(String, String), scope: Option<&str>) -> String {
    let form = match scope {
        Some(s) => format!(
            "grant_type=client_credentials&scope={}",
            s.replace(' ', "+")
        ),
        None => "grant_type=client_credentials".to_owned(),
    };
    let reply = token(w, creds, &form).await.expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    reply.body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_client_signs_in_with_its_credentials_and_acts_within_its_scopes() {
    let w = World::new().await;
    let opinion = submit(&w).await;
    let client = create(
        &w,
        &w.admin,
        json!({"name": "代表活动服务系统", "scopes": ["opinions:read", "changes:read", "voters:read"]}),
    )
    .await;
    assert_eq!(client["committee_id"], Value::Null);
    let creds = credentials(&client);
    // The secret is shown once: reads never carry it.
    let read = w
        .app
        .get(
            &format!("/api/v1/service-clients/{}", client["id"].as_str().unwrap()),
            &w.admin,
        )
        .await
        .expect(200);
    assert!(read.body.get("client_secret").is_none());

    let reply = token(&w, &creds, "grant_type=client_credentials")
        .await
        .expect(200);
    assert_eq!(
        reply.body["scope"],
        "opinions:read changes:read voters:read"
    );
    assert!(reply.body["expires_in"].as_u64().unwrap() > 0);
    let bearer = reply.body["access_token"].as_str().unwrap().to_owned();
    w.app
        .get(&format!("/api/v1/opinions/{opinion}"), &bearer)
        .await
        .expect(200);
    let refused = w
        .app
        .get("/api/v1/activities", &bearer)
        .await
        .expect_problem(403, "insufficient_scope");
    assert_eq!(
        refused.header("www-authenticate"),
        Some(r#"Bearer error="insufficient_scope", scope="activities:read""#)
    );
    // Voters read as a deputy reads them: phones masked.
    let voters = w.app.get("/api/v1/voters", &bearer).await.expect(200);
    let phone = voters.body["items"][0]["phone"].as_str().unwrap();
    assert!(phone.contains('*'), "{phone}");
    // Nothing a person does: no password, no account management.
    w.app
        .put(
            "/api/v1/me/password",
            &bearer,
            json!({"current_password": "x", "new_password": "a long enough passphrase 拱门"}),
        )
        .await
        .expect_problem(403, "forbidden");
    w.app
        .get("/api/v1/users", &bearer)
        .await
        .expect_problem(403, "forbidden");

    // Fewer scopes on request, credentials in the form instead of Basic.
    let form = format!(
        "grant_type=client_credentials&scope=changes:read&client_id={}&client_secret={}",
        creds.0, creds.1
    );
    let narrow = w.app.form(TOKEN, None, &form).await.expect(200);
    assert_eq!(narrow.body["scope"], "changes:read");
    let narrow = narrow.body["access_token"].as_str().unwrap();
    w.app
        .get("/api/v1/opinions", narrow)
        .await
        .expect_problem(403, "insufficient_scope");
    w.app.get("/api/v1/changes", narrow).await.expect(200);
}

#[tokio::test]
async fn token_errors_are_in_the_oauth_form() {
    let w = World::new().await;
    let client = create(
        &w,
        &w.admin,
        json!({"name": "报表", "scopes": ["opinions:read"]}),
    )
    .await;
    let creds = credentials(&client);
    let wrong = token(
        &w,
        &(creds.0.clone(), "lss_wrong".into()),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(wrong.status.as_u16(), 401);
    assert_eq!(wrong.body["error"], "invalid_client");
    assert_eq!(
        wrong.header("www-authenticate"),
        Some(r#"Basic realm="liaison""#)
    );
    let grant = token(&w, &creds, "grant_type=password&username=a&password=b").await;
    assert_eq!(
        (grant.status.as_u16(), grant.body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let scope = token(&w, &creds, "grant_type=client_credentials&scope=stats:read").await;
    assert_eq!(
        (scope.status.as_u16(), scope.body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let none = w
        .app
        .form(TOKEN, None, "grant_type=client_credentials")
        .await;
    assert_eq!(
        (none.status.as_u16(), none.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let missing = token(&w, &creds, "scope=opinions:read").await;
    assert_eq!(
        (missing.status.as_u16(), missing.body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn a_committee_bound_client_sees_its_subtree_only() {
    let w = World::new().await;
    let opinion_a = submit(&w).await;
    // Committee staff bind clients inside their subtree only, never to the whole district.
    w.app
        .post(
            "/api/v1/service-clients",
            &w.committee_staff_a,
            json!({"name": "x", "scopes": ["opinions:read"]}),
        )
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(
            "/api/v1/service-clients",
            &w.committee_staff_a,
            json!({"name": "x", "scopes": ["opinions:read"], "committee_id": w.committee_b}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let mine = create(
        &w,
        &w.committee_staff_a,
        json!({"name": "工委的系统", "scopes": ["opinions:read", "people:read"], "committee_id": w.committee_a}),
    )
    .await;
    let theirs = create(
        &w,
        &w.admin,
        json!({"name": "另一工委", "scopes": ["opinions:read"], "committee_id": w.committee_b}),
    )
    .await;
    // Committee B's staff do not see committee A's client.
    w.app
        .get(
            &format!("/api/v1/service-clients/{}", mine["id"].as_str().unwrap()),
            &w.committee_staff_b,
        )
        .await
        .expect_problem(404, "not_found");
    let a = access(&w, &credentials(&mine), None).await;
    let b = access(&w, &credentials(&theirs), None).await;
    w.app
        .get(&format!("/api/v1/opinions/{opinion_a}"), &a)
        .await
        .expect(200);
    w.app
        .get(&format!("/api/v1/opinions/{opinion_a}"), &b)
        .await
        .expect_problem(404, "not_found");
    let listed = w.app.get("/api/v1/opinions", &b).await.expect(200);
    assert_eq!(listed.body["items"], json!([]));
    let groups = w.app.get("/api/v1/liaison-groups", &a).await.expect(200);
    assert!(
        groups.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["committee_id"] == w.committee_a.to_string())
    );
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_a_while_and_revocation_is_immediate() {
    let w = World::new().await;
    let client = create(
        &w,
        &w.admin,
        json!({"name": "同步", "scopes": ["opinions:read", "changes:read"]}),
    )
    .await;
    let id = client["id"].as_str().unwrap().to_owned();
    let old = credentials(&client);
    let bearer = access(&w, &old, None).await;
    let rotated = w
        .app
        .post(
            &format!("/api/v1/service-clients/{id}/rotate-secret"),
            &w.admin,
            json!({}),
        )
        .await
        .expect(200);
    assert!(rotated.body["previous_secret_expires_at"].is_string());
    let new = credentials(&rotated.body);
    assert_ne!(new.1, old.1);
    access(&w, &old, None).await;
    access(&w, &new, None).await;
    // Read first, so the server keeps whom the token was.
    for _ in 0..2 {
        w.app.get("/api/v1/opinions", &bearer).await.expect(200);
    }
    // Narrowing the client narrows its live tokens at once.
    w.app
        .patch(
            &format!("/api/v1/service-clients/{id}"),
            &w.admin,
            json!({"scopes": ["changes:read"]}),
        )
        .await
        .expect(200);
    w.app
        .get("/api/v1/opinions", &bearer)
        .await
        .expect_problem(403, "insufficient_scope");
    w.app.get("/api/v1/changes", &bearer).await.expect(200);
    // Revoked: its token and its secrets stop at once.
    w.app
        .delete(&format!("/api/v1/service-clients/{id}"), &w.admin)
        .await
        .expect(204);
    w.app
        .get("/api/v1/changes", &bearer)
        .await
        .expect_problem(401, "unauthorized");
    let after = token(&w, &new, "grant_type=client_credentials").await;
    assert_eq!(
        (after.status.as_u16(), after.body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    w.app
        .get(&format!("/api/v1/service-clients/{id}"), &w.admin)
        .await
        .expect_problem(404, "not_found");
}

/// The feed through clients: one bound to committee A sees A's change, one bound to B never.
#[tokio::test]
async fn a_bound_client_follows_only_its_subtree_changes() {
    let w = World::new().await;
    let opinion = submit(&w).await;
    let bound = |committee: uuid::Uuid| json!({"name": "同步", "scopes": ["changes:read"], "committee_id": committee});
    let a = access(
        &w,
        &credentials(&create(&w, &w.admin, bound(w.committee_a)).await),
        None,
    )
    .await;
    let b = access(
        &w,
        &credentials(&create(&w, &w.admin, bound(w.committee_b)).await),
        None,
    )
    .await;
    let mut seen_by_a = false;
    for _ in 0..20 {
        let page = w.app.get("/api/v1/changes?wait=1", &a).await.expect(200);
        if page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"]["id"] == opinion.to_string())
        {
            seen_by_a = true;
            break;
        }
    }
    assert!(seen_by_a, "committee A's client sees A's change");
    let page = w.app.get("/api/v1/changes", &b).await.expect(200);
    assert!(
        page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["subject"]["id"] != opinion.to_string()),
        "committee B's client must not see A's change"
    );
}
