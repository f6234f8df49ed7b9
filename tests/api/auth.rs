use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TEST_AUDIENCE, TEST_ISSUER, TEST_JWT_SECRET, World, spawn_app};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(claims: serde_json::Value, secret: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Claims of a real session, so that only the property under test is wrong.
async fn live_claims(app: &crate::helpers::TestApp) -> serde_json::Value {
    let token = app.admin_token().await;
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn login_returns_tokens_and_me_describes_the_account() {
    let app = spawn_app().await;
    let reply = app.login("admin", PASSWORD).await.expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert!(reply.body["refresh_token"].as_str().unwrap().len() >= 40);
    let token = reply.body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid.as_deref(), Some("test"));

    let me = app.get("/api/v1/me", token).await.expect(200);
    assert_eq!(me.body["username"], "admin");
    assert_eq!(me.body["role"], "admin");
    assert!(me.body["scope"].is_null());
    assert!(me.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn me_shows_the_scope_of_bound_accounts() {
    let w = World::new().await;
    let me = w
        .app
        .get("/api/v1/me", &w.committee_staff_a)
        .await
        .expect(200);
    assert_eq!(me.body["role"], "committee_staff");
    assert_eq!(me.body["scope"]["kind"], "committee");
    assert_eq!(me.body["scope"]["id"], w.committee_a.to_string());
    assert_eq!(me.body["scope"]["name"], "八宝山街道人大工委");
    let body = w.app.get("/api/v1/me", &w.handling_body).await.expect(200);
    assert_eq!(body.body["scope"]["kind"], "handling_body");
    assert_eq!(body.body["scope"]["id"], w.body_a.to_string());
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_alike() {
    let app = spawn_app().await;
    let wrong = app
        .login("admin", "not the password")
        .await
        .expect_problem(401, "invalid_credentials");
    let unknown = app
        .login("nobody-here", "not the password")
        .await
        .expect_problem(401, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(wrong.body["title"], unknown.body["title"]);
}

#[tokio::test]
async fn usernames_are_case_insensitive() {
    let app = spawn_app().await;
    app.login("ADMIN", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.login("admin", PASSWORD).await.expect(200);
    let refresh1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let access1 = first.body["access_token"].as_str().unwrap().to_owned();

    let second = app
        .request(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh1})),
        )
        .await
        .expect(200);
    let refresh2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    let access2 = second.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    app.get("/api/v1/me", &access2).await.expect(200);

    // The first token again: someone copied it. The whole session ends.
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh1})),
    )
    .await
    .expect_problem(401, "refresh_token_reused");
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh2})),
    )
    .await
    .expect_problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", &access1)
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/me", &access2)
        .await
        .expect_problem(401, "unauthorized");
    // Other sessions of the same account are untouched.
    let other = app.admin_token().await;
    app.get("/api/v1/me", &other).await.expect(200);
}

#[tokio::test]
async fn concurrent_use_of_one_refresh_token_rotates_once() {
    let app = spawn_app().await;
    let login = app.login("admin", PASSWORD).await.expect(200);
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    let attempts = (0..8).map(|_| {
        app.request(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
    });
    let replies = futures_util::future::join_all(attempts).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert!(ok <= 1, "{ok} concurrent refreshes succeeded");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let login = app.login("admin", PASSWORD).await.expect(200);
    let access = login.body["access_token"].as_str().unwrap();
    let refresh = login.body["refresh_token"].as_str().unwrap();
    let out = app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    out.expect(204);
    app.get("/api/v1/me", access)
        .await
        .expect_problem(401, "unauthorized");
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .expect(401);
    // Idempotent, and silent about tokens it does not know.
    app.request(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": "nonsense"})),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn forged_and_stale_tokens_are_refused() {
    let app = spawn_app().await;
    let claims = live_claims(&app).await;
    let with = |key: &str, value: serde_json::Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    // The untouched claims are accepted: each case below fails for its one reason.
    app.get("/api/v1/me", &sign(claims.clone(), TEST_JWT_SECRET, "test"))
        .await
        .expect(200);

    let expired = sign(with("exp", json!(now() - 120)), TEST_JWT_SECRET, "test");
    let reply = app
        .get("/api/v1/me", &expired)
        .await
        .expect_problem(401, "unauthorized");
    assert!(reply.body["detail"].as_str().unwrap().contains("expired"));

    let other_key = sign(
        claims.clone(),
        "another-secret-0123456789-abcdefghijklmnop",
        "test",
    );
    app.get("/api/v1/me", &other_key)
        .await
        .expect_problem(401, "unauthorized");

    let wrong_audience = sign(with("aud", json!("someone-else")), TEST_JWT_SECRET, "test");
    app.get("/api/v1/me", &wrong_audience)
        .await
        .expect_problem(401, "unauthorized");

    let wrong_issuer = sign(with("iss", json!("evil")), TEST_JWT_SECRET, "test");
    app.get("/api/v1/me", &wrong_issuer)
        .await
        .expect_problem(401, "unauthorized");

    let unknown_kid = sign(claims.clone(), TEST_JWT_SECRET, "retired");
    app.get("/api/v1/me", &unknown_kid)
        .await
        .expect_problem(401, "unauthorized");

    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let alg_none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT", "kid": "test"})),
        b64(claims.clone())
    );
    app.get("/api/v1/me", &alg_none)
        .await
        .expect_problem(401, "unauthorized");

    let no_exp = {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove("exp");
        sign(c, TEST_JWT_SECRET, "test")
    };
    app.get("/api/v1/me", &no_exp)
        .await
        .expect_problem(401, "unauthorized");

    let other_session = sign(with("sid", json!(Uuid::now_v7())), TEST_JWT_SECRET, "test");
    app.get("/api/v1/me", &other_session)
        .await
        .expect_problem(401, "unauthorized");

    app.request(Method::GET, "/api/v1/me", None, None)
        .await
        .expect_problem(401, "unauthorized");
    let _ = TEST_ISSUER;
    let _ = TEST_AUDIENCE;
}

#[tokio::test]
async fn rotated_keys_keep_old_tokens_valid() {
    let old_secret = "old-secret-0123456789-abcdefghijklmnopqrstuv";
    let app = crate::helpers::spawn_app_with(|s| {
        s.jwt.verify_only = vec![liaison::config::JwtKey::parse("old", old_secret).unwrap()];
    })
    .await;
    let claims = live_claims(&app).await;
    app.get("/api/v1/me", &sign(claims.clone(), old_secret, "old"))
        .await
        .expect(200);
    // A verify-only key is tied to its kid.
    app.get("/api/v1/me", &sign(claims, old_secret, "test"))
        .await
        .expect(401);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.login("admin", "wrong password").await.expect(401);
    }
    let limited = app
        .login("admin", "wrong password")
        .await
        .expect_problem(429, "rate_limited");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900);
    // Even the right password waits out the window.
    app.login("admin", PASSWORD).await.expect(429);
    // An unknown name is limited the same way, so 429 does not reveal who exists.
    for _ in 0..5 {
        app.login("ghost", "wrong password").await.expect(401);
    }
    app.login("ghost", "wrong password").await.expect(429);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_address() {
    let app =
        crate::helpers::spawn_app_with(|s| s.login_throttle.max_failures_per_address = 3).await;
    for name in ["a1", "a2", "a3"] {
        app.login(name, "wrong password").await.expect(401);
    }
    app.login("a4", "wrong password").await.expect(429);
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions() {
    let w = World::new().await;
    w.app.get("/api/v1/me", &w.group_staff_a).await.expect(200);
    w.app
        .patch(
            &format!("/api/v1/users/{}", w.group_staff_a_id),
            &w.admin,
            json!({"disabled": true}),
        )
        .await
        .expect(200);
    w.app
        .get("/api/v1/me", &w.group_staff_a)
        .await
        .expect_problem(401, "unauthorized");
    w.app
        .login("group.a", PASSWORD)
        .await
        .expect_problem(401, "invalid_credentials");
    w.app
        .patch(
            &format!("/api/v1/users/{}", w.group_staff_a_id),
            &w.admin,
            json!({"disabled": false}),
        )
        .await
        .expect(200);
    w.app.login("group.a", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn changing_a_password_ends_sessions_and_the_new_one_works() {
    let w = World::new().await;
    w.app
        .patch(
            &format!("/api/v1/users/{}", w.group_staff_a_id),
            &w.admin,
            json!({"password": "a brand new password"}),
        )
        .await
        .expect(200);
    w.app.get("/api/v1/me", &w.group_staff_a).await.expect(401);
    w.app.login("group.a", PASSWORD).await.expect(401);
    w.app
        .login("group.a", "a brand new password")
        .await
        .expect(200);
}
