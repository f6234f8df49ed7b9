//! The contract as another team meets it (issue 15): the server refuses what the document does
//! not declare, and the document declares what the server does.

use reqwest::Method;
use serde_json::json;

use crate::helpers::World;

#[tokio::test]
async fn undeclared_methods_answer_405_with_allow() {
    let w = World::new().await;
    let reply = w
        .app
        .request(
            Method::PUT,
            "/api/v1/opinions",
            Some(&w.admin),
            Some(json!({})),
        )
        .await
        .expect_problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    let reply = w
        .app
        .request(Method::DELETE, "/public/v1/schedule", None, None)
        .await
        .expect_problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
    // A path nobody declared is still a 404.
    w.app
        .get("/api/v1/no-such-thing", &w.admin)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn undeclared_query_parameters_are_refused_by_name() {
    let w = World::new().await;
    let reply = w
        .app
        .get("/api/v1/opinions?updated_since=2025-01-01", &w.admin)
        .await
        .expect_problem(400, "invalid_query");
    assert_eq!(reply.body["parameter"], "updated_since");
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("updated_since")
    );
    // The misspelt filter that used to return every deputy.
    w.app
        .get(
            &format!(
                "/api/v1/obligations?representative_id={}",
                w.representative_a
            ),
            &w.admin,
        )
        .await
        .expect_problem(400, "invalid_query");
    w.app
        .get("/api/v1/opinions?limit=5", &w.admin)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_missing_token_is_answered_with_how_to_present_one() {
    let w = World::new().await;
    let reply = w
        .app
        .request(Method::GET, "/api/v1/opinions", None, None)
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn public_operations_need_no_token_and_headers_are_declared() {
    let doc = serde_json::to_value(liaison::startup::openapi_document()).unwrap();
    let login = &doc["paths"]["/api/v1/auth/login"]["post"];
    assert_eq!(login["security"], json!([]));
    let schedule = &doc["paths"]["/public/v1/schedule"]["get"];
    assert_eq!(schedule["security"], json!([]));
    let create = &doc["paths"]["/api/v1/opinions"]["post"]["responses"]["201"]["headers"];
    for name in ["Location", "ETag", "X-Request-Id", "Idempotent-Replayed"] {
        assert!(create.get(name).is_some(), "{name} not declared: {create}");
    }
    let busy = &doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["429"]["headers"];
    assert!(busy.get("Retry-After").is_some(), "{busy}");
    assert!(doc["servers"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(doc["info"]["license"]["url"].is_string());
}
