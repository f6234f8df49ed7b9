//! The committed contract equals what the code generates, and every operation is complete.

const COMMITTED: &str = "openapi/openapi.json";

#[test]
fn committed_openapi_matches_the_code() {
    let generated = serde_json::to_string_pretty(&liaison::startup::openapi_json()).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{COMMITTED} is out of date; regenerate it with `make openapi` (or UPDATE_OPENAPI=1 cargo test openapi)"
    );
}

#[test]
fn every_operation_is_documented_completely() {
    let doc = liaison::startup::openapi_json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            for key in ["tags", "summary", "operationId", "security"] {
                if op.get(key).is_none() {
                    problems.push(format!("{at}: no {key}"));
                }
            }
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                let is_error = status.starts_with('4') || status.starts_with('5');
                // The token endpoint answers 400 and 401 as RFC 6749 §5.2 says, for OAuth
                // libraries; every other error everywhere is problem+json.
                let oauth = path == "/api/v1/auth/token" && (status == "400" || status == "401");
                if is_error
                    && !oauth
                    && response["content"]
                        .get("application/problem+json")
                        .is_none()
                {
                    problems.push(format!("{at}: {status} is not problem+json"));
                }
            }
            let public = op["security"] == serde_json::json!([]);
            if !public && (!responses.contains_key("401") || !responses.contains_key("403")) {
                problems.push(format!("{at}: no 401/403"));
            }
            if op.get("requestBody").is_some() && !responses.contains_key("422") {
                problems.push(format!("{at}: body without 422"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
