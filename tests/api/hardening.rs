//! What an outside security and fault test found, each kept fixed by a test here.

use serde_json::json;

use crate::helpers::{VOTER_PHONE, World};

#[tokio::test]
async fn masked_fields_cannot_be_spelled_out_through_search_filters() {
    let w = World::new().await;
    let app = &w.app;
    // A deputy sees the phone masked: searching by it would answer yes or no per guess.
    for query in [
        format!("phone={VOTER_PHONE}"),
        "id_number=11010519491231002X".to_owned(),
    ] {
        app.get(&format!("/api/v1/voters?{query}"), &w.representative)
            .await
            .expect_problem(400, "filter_not_allowed");
    }
    // Staff, who see the phone in full, search by it.
    let found = app
        .get(
            &format!("/api/v1/voters?phone={VOTER_PHONE}"),
            &w.group_staff_a,
        )
        .await
        .expect(200);
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["items"][0]["id"], json!(w.voter_a));
}

#[tokio::test]
async fn handling_bodies_cannot_link_a_voters_opinions_through_the_timeline() {
    let w = World::new().await;
    let app = &w.app;
    let id = crate::opinions::submit(&w).await;
    crate::opinions::step(&w, &w.admin, id, crate::opinions::refer_to(w.body_a))
        .await
        .expect(200);
    let path = format!("/api/v1/opinions/{id}/events");
    let voter_account = |events: &serde_json::Value| {
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "receive")
            .map(|e| e["actor_id"].clone())
            .unwrap()
    };
    let staff_view = app.get(&path, &w.admin).await.expect(200);
    assert!(
        voter_account(&staff_view.body).is_string(),
        "staff see who acted"
    );
    let body_view = app.get(&path, &w.handling_body).await.expect(200);
    assert!(
        voter_account(&body_view.body).is_null(),
        "{}",
        body_view.body
    );
    let opinion = app
        .get(&format!("/api/v1/opinions/{id}"), &w.handling_body)
        .await
        .expect(200);
    assert!(opinion.body["voter_id"].is_null());
}

/// A raw HTTP/1.1 GET, so the path reaches the server byte for byte (an HTTP client would
/// normalise `%2e%2e` away).
async fn raw_get(app: &crate::helpers::TestApp, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn every_error_is_problem_json_even_outside_the_api() {
    let app = crate::helpers::spawn_app().await;
    for path in [
        "/docs/%2e%2e/%2e%2e/etc/passwd",
        "/docs/no-such-file.js",
        "/nowhere",
    ] {
        let (head, body) = raw_get(&app, path).await;
        assert!(head.starts_with("http/1.1 404"), "{path}: {head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{path}: {head}"
        );
        // The body may come chunked; the problem document is in it either way.
        assert!(body.contains("\"code\":\"not_found\""), "{path}: {body}");
    }
    let wrong_method = app
        .request(reqwest::Method::DELETE, "/openapi.json", None, None)
        .await;
    assert!(wrong_method.status.is_client_error());
    assert_eq!(wrong_method.content_type(), "application/problem+json");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let w = World::new().await;
    let app = &w.app;
    let signed_in = app.get("/api/v1/me", &w.admin).await.expect(200);
    let refused = app
        .get("/api/v1/users", &w.voter)
        .await
        .expect_problem(403, "forbidden");
    let public = app
        .request(reqwest::Method::GET, "/public/v1/stations", None, None)
        .await
        .expect(200);
    for reply in [&signed_in, &refused, &public] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        let csp = reply.header("content-security-policy").unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(
            reply.header("strict-transport-security").is_none(),
            "no HSTS unless TLS is in front"
        );
    }
    assert_eq!(signed_in.header("cache-control"), Some("no-store"));
    assert_eq!(refused.header("cache-control"), Some("no-store"));
    let (docs, _) = raw_get(app, "/docs/").await;
    assert!(
        docs.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{docs}"
    );

    let behind_tls = crate::helpers::spawn_app_with(|s| s.hsts = true).await;
    let reply = behind_tls
        .request(reqwest::Method::GET, "/healthz", None, None)
        .await;
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn a_nul_byte_is_a_field_error_not_a_500() {
    let w = World::new().await;
    let app = &w.app;
    let before = app.count("opinions").await;
    let mut body = crate::opinions::opinion_body(&w);
    body["title"] = json!("路灯\u{0}不亮");
    app.post("/api/v1/opinions", &w.voter, body)
        .await
        .expect_invalid("title");
    assert_eq!(app.count("opinions").await, before);
    app.get("/api/v1/opinions?q=%00", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
    // Tabs and newlines are text.
    let mut body = crate::opinions::opinion_body(&w);
    body["content"] = json!("第一行\n\t第二行");
    app.post("/api/v1/opinions", &w.voter, body)
        .await
        .expect(201);
}

#[tokio::test]
async fn a_look_alike_name_does_not_get_around_the_lockout() {
    let app = crate::helpers::spawn_app().await;
    for _ in 0..5 {
        app.login("admin", "wrong password").await.expect(401);
    }
    app.login("admin", "wrong password").await.expect(429);
    // U+0130 folds to `i` in some lower-casings: it must never reach the account.
    for name in ["admİn", "ADMİN", "ａｄｍｉｎ"] {
        let reply = app.login(name, crate::helpers::PASSWORD).await;
        assert_ne!(reply.status.as_u16(), 200, "{name} logged in as admin");
    }
    // Other spellings of the same name are the same account, locked the same way.
    app.login(" ADMIN ", crate::helpers::PASSWORD)
        .await
        .expect(429);
}

async fn login_from(app: &crate::helpers::TestApp, address: &str, password: &str) -> u16 {
    app.send(
        reqwest::Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "admin", "password": password})),
        &[("X-Forwarded-For", address)],
    )
    .await
    .status
    .as_u16()
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_known_admin_out() {
    let app = crate::helpers::spawn_app_with(|s| s.trust_proxy_headers = true).await;
    for _ in 0..5 {
        assert_eq!(login_from(&app, "203.0.113.7", "wrong password").await, 401);
    }
    assert_eq!(login_from(&app, "203.0.113.7", "wrong password").await, 429);
    assert_eq!(
        login_from(&app, "203.0.113.7", crate::helpers::PASSWORD).await,
        429,
        "the guessing address waits"
    );
    // The admin, from their own address, is not locked out by the stranger.
    assert_eq!(
        login_from(&app, "198.51.100.20", crate::helpers::PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn guessing_from_many_addresses_meets_the_per_account_ceiling() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.trust_proxy_headers = true;
        s.login_throttle.max_failures_per_account_total = 8;
    })
    .await;
    for i in 0..8 {
        let address = format!("192.0.2.{i}");
        assert_eq!(login_from(&app, &address, "wrong password").await, 401);
    }
    assert_eq!(login_from(&app, "192.0.2.200", "wrong password").await, 429);
}

#[tokio::test]
async fn a_stolen_token_cannot_change_the_password_without_the_current_one() {
    let w = World::new().await;
    let app = &w.app;
    // Through the account-management route, one's own password is not changed at all.
    let own = format!("/api/v1/users/{}", w.committee_staff_a_id);
    app.patch(
        &own,
        &w.committee_staff_a,
        json!({"password": "taken over at last"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let change = |current: &str| json!({"current_password": current, "new_password": "a much better passphrase"});
    app.request(
        reqwest::Method::PUT,
        "/api/v1/me/password",
        Some(&w.committee_staff_a),
        Some(change("a guess")),
    )
    .await
    .expect_invalid("current_password");
    app.login("staff.a", crate::helpers::PASSWORD)
        .await
        .expect(200);
    app.request(
        reqwest::Method::PUT,
        "/api/v1/me/password",
        Some(&w.committee_staff_a),
        Some(change(crate::helpers::PASSWORD)),
    )
    .await
    .expect(204);
    // This session goes on; the old password is gone.
    app.get("/api/v1/me", &w.committee_staff_a)
        .await
        .expect(200);
    app.login("staff.a", crate::helpers::PASSWORD)
        .await
        .expect(401);
    app.login("staff.a", "a much better passphrase")
        .await
        .expect(200);
}

#[tokio::test]
async fn a_reset_password_must_be_changed_and_the_reset_is_recorded() {
    let w = World::new().await;
    let app = &w.app;
    let path = format!("/api/v1/users/{}", w.group_staff_a_id);
    // Committee staff may not reset an account above them.
    app.patch(
        &format!("/api/v1/users/{}", w.committee_staff_a_id),
        &w.group_staff_a,
        json!({"password": "someone else's now"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.patch(&path, &w.admin, json!({"password": "temporary password 1"}))
        .await
        .expect(200);
    app.get("/api/v1/me", &w.group_staff_a).await.expect(401);
    let token = app
        .login("group.a", "temporary password 1")
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = app.get("/api/v1/me", &token).await.expect(200);
    assert_eq!(me.body["must_change_password"], true);
    app.get("/api/v1/opinions", &token)
        .await
        .expect_problem(403, "password_change_required");
    app.request(
        reqwest::Method::PUT,
        "/api/v1/me/password",
        Some(&token),
        Some(json!({"current_password": "temporary password 1", "new_password": "my own choice at last"})),
    )
    .await
    .expect(204);
    app.get("/api/v1/opinions", &token).await.expect(200);
    assert_eq!(
        app.count("audit_events").await,
        2,
        "the reset and the change"
    );
}

#[tokio::test]
async fn the_register_cannot_be_probed_through_id_number_collisions() {
    use crate::helpers::VOTER_ID_NUMBER;
    let w = World::new().await;
    let app = &w.app;
    // A voter may not set their own ID number: staff record it from the card.
    app.patch(
        &format!("/api/v1/voters/{}", w.voter_a),
        &w.voter,
        json!({"id_number": VOTER_ID_NUMBER}),
    )
    .await
    .expect_problem(403, "forbidden");
    let new_voter = |n: u32| {
        json!({
            "name": format!("测试{n}"),
            "constituency_id": w.constituency_b,
            "phone": format!("1350000{n:04}"),
            "id_number": VOTER_ID_NUMBER,
        })
    };
    let audited = app.count("audit_events").await;
    // Out of scope: a conflict that names nothing, and is written down.
    let hidden = app
        .post("/api/v1/voters", &w.committee_staff_b, new_voter(1))
        .await
        .expect_problem(409, "already_exists");
    let text = hidden.body.to_string();
    assert!(
        !text.contains("ID number") && !text.contains(&w.voter_a.to_string()),
        "{text}"
    );
    assert_eq!(app.count("audit_events").await, audited + 1);
    // In scope, staff are told which voter holds it.
    let mut own = new_voter(2);
    own["constituency_id"] = json!(w.constituency_a);
    let named = app
        .post("/api/v1/voters", &w.committee_staff_a, own)
        .await
        .expect_problem(409, "already_exists");
    assert_eq!(named.body["voter_id"], json!(w.voter_a));
    // Probing further is rate limited.
    let mut last = 0;
    for n in 3..15 {
        last = app
            .post("/api/v1/voters", &w.committee_staff_b, new_voter(n))
            .await
            .status
            .as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn guessable_passwords_are_refused_with_the_reason() {
    let w = World::new().await;
    let app = &w.app;
    let before = app.count("accounts").await;
    for weak in ["aaaaaaaaaa", "1234567890", "password12", "zhang.san.1990"] {
        let refused = app
            .post(
                "/api/v1/users",
                &w.admin,
                json!({"username": "zhang.san.1990", "password": weak, "role": "group_staff", "scope_id": w.group_a}),
            )
            .await
            .expect_problem(422, "validation_failed");
        let reason = refused.body["errors"]["password"][0].as_str().unwrap();
        assert!(
            reason.starts_with("is too easy to guess"),
            "{weak}: {reason}"
        );
    }
    assert_eq!(app.count("accounts").await, before);
    app.request(
        reqwest::Method::PUT,
        "/api/v1/me/password",
        Some(&w.group_staff_a),
        Some(json!({"current_password": crate::helpers::PASSWORD, "new_password": "qwertyuiop"})),
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_self_registered_voter_proves_the_phone_before_submitting() {
    let w = World::new().await;
    let app = &w.app;
    let phone = "13522223333";
    app.request(
        reqwest::Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "sun.self", "password": crate::helpers::PASSWORD, "name": "孙自主", "phone": phone, "constituency": w.constituency_a})),
    )
    .await
    .expect(202);
    let token = app.token("sun.self").await;
    app.get("/api/v1/me", &token).await.expect(200);
    let mut opinion = crate::opinions::opinion_body(&w);
    opinion.as_object_mut().unwrap().remove("voter_id");
    app.post("/api/v1/opinions", &token, opinion.clone())
        .await
        .expect_problem(403, "phone_not_verified");
    let code = crate::helpers::last_code_sent(app, phone).expect("a code was sent");
    assert_eq!(code.len(), 6);
    // As a number of its own: the logs of every test in this process are captured, and six
    // digits in a row turn up inside ids and other numbers by chance.
    let logs = crate::helpers::captured_logs();
    let standalone = logs.match_indices(code.as_str()).any(|(at, _)| {
        let before = logs[..at].chars().next_back();
        let after = logs[at + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    });
    assert!(!standalone, "the code reached a log line");
    let verify = |code: String| {
        app.request(
            reqwest::Method::POST,
            "/api/v1/me/phone/verify",
            Some(&token),
            Some(json!({ "code": code })),
        )
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    verify(wrong.into())
        .await
        .expect_problem(422, "validation_failed");
    verify(code).await.expect(204);
    app.post("/api/v1/opinions", &token, opinion)
        .await
        .expect(201);
}

#[tokio::test]
async fn five_wrong_codes_end_the_code() {
    let w = World::new().await;
    let app = &w.app;
    let phone = "13533334444";
    app.request(
        reqwest::Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({"username": "zhou.self", "password": crate::helpers::PASSWORD, "name": "周自主", "phone": phone, "constituency": w.constituency_a})),
    )
    .await
    .expect(202);
    let token = app.token("zhou.self").await;
    let code = crate::helpers::last_code_sent(app, phone).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        app.request(
            reqwest::Method::POST,
            "/api/v1/me/phone/verify",
            Some(&token),
            Some(json!({ "code": wrong })),
        )
        .await
        .expect(422);
    }
    let spent = app
        .request(
            reqwest::Method::POST,
            "/api/v1/me/phone/verify",
            Some(&token),
            Some(json!({ "code": code })),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert!(
        spent.body["errors"]["code"][0]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    // A new code works.
    app.request(
        reqwest::Method::POST,
        "/api/v1/me/phone/code",
        Some(&token),
        Some(json!({})),
    )
    .await
    .expect(202);
    let fresh = crate::helpers::last_code_sent(app, phone).unwrap();
    app.request(
        reqwest::Method::POST,
        "/api/v1/me/phone/verify",
        Some(&token),
        Some(json!({ "code": fresh })),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn past_the_limit_log_ins_are_slowed_with_growing_delays_not_locked() {
    let app = crate::helpers::spawn_app().await;
    for _ in 0..5 {
        app.login("admin", "wrong password").await.expect(401);
    }
    let slowed = app
        .login("admin", "wrong password")
        .await
        .expect_problem(429, "rate_limited");
    let wait: u64 = slowed.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(wait, 2, "1 s at the limit, doubled by the refused try");
    // Trying again too soon is refused and makes the next wait longer.
    let sooner = app.login("admin", "wrong password").await.expect(429);
    assert_eq!(sooner.header("retry-after"), Some("4"));
    // Waiting as asked lets the owner in.
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    app.login("admin", crate::helpers::PASSWORD)
        .await
        .expect(200);
}
