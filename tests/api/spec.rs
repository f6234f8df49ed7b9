//! Every answer the API tests receive is checked against the published document: its status is
//! declared for the operation, and a JSON body matches the declared schema. A drift between the
//! server and `openapi.json` fails whichever test first meets it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(liaison::startup::openapi_json)
}

/// The documented path template `path` falls under, the most literal one first.
fn template(path: &str) -> Option<String> {
    let asked: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    document()["paths"]
        .as_object()?
        .keys()
        .filter(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            parts.len() == asked.len()
                && parts
                    .iter()
                    .zip(&asked)
                    .all(|(p, a)| p.starts_with('{') && !a.is_empty() || p == a)
        })
        .max_by_key(|t| t.split('/').filter(|p| !p.starts_with('{')).count())
        .cloned()
}

type Key = (String, String, String, String);

/// The schema's errors for `body`, with validators built once per operation and status.
fn errors(key: Key, schema: &Value, body: &Value) -> Vec<String> {
    static CACHE: OnceLock<Mutex<HashMap<Key, jsonschema::Validator>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    let validator = cache.entry(key).or_insert_with(|| {
        let mut rooted = json!({"allOf": [schema]});
        rooted["components"] = document()["components"].clone();
        jsonschema::validator_for(&rooted).expect("the document's schemas compile")
    });
    validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Headers the document promises on every answer that declares them (`Idempotent-Replayed`
/// comes only on a replay, so it is not among them).
const ALWAYS: &[&str] = &["X-Request-Id", "Location", "ETag", "Retry-After"];

/// Panics, naming the operation, when an answer strays from the document.
pub fn check(
    method: &str,
    path: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &Value,
) {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let path = path.split('?').next().unwrap_or(path);
    let Some(template) = template(path) else {
        return;
    };
    let method = method.to_ascii_lowercase();
    let Some(op) = document()["paths"][&template].get(&method) else {
        // Methods a path lacks answer 405, which the document cannot declare per operation.
        assert_eq!(status, 405, "{method} {template} is not documented");
        return;
    };
    let Some(response) = op["responses"].get(status.to_string()) else {
        panic!(
            "{} {template} answered {status}, which it does not declare",
            method.to_uppercase()
        );
    };
    for name in ALWAYS {
        if response["headers"].get(*name).is_some() {
            assert!(
                headers.contains_key(*name),
                "{} {template} {status} declares {name} but did not send it",
                method.to_uppercase()
            );
        }
    }
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !media.ends_with("json") {
        return;
    }
    let Some(schema) = response["content"][media].get("schema") else {
        panic!(
            "{} {template} {status}: answered {media}, which it does not declare",
            method.to_uppercase()
        );
    };
    let key = (
        template.clone(),
        method.clone(),
        status.to_string(),
        media.to_owned(),
    );
    let errors = errors(key, schema, body);
    assert!(
        errors.is_empty(),
        "{} {template} {status} does not match its schema:\n{}\nbody: {body}",
        method.to_uppercase(),
        errors.join("\n")
    );
}

#[test]
fn the_check_catches_a_body_that_strays() {
    let ok = std::panic::catch_unwind(|| {
        check(
            "GET",
            "/api/v1/opinions/0190f5a0-0000-7000-8000-000000000001",
            200,
            &json_headers("application/json"),
            &json!({"id": "not even a whole opinion"}),
        )
    });
    assert!(ok.is_err(), "an opinion without its fields must not pass");
    let undeclared = std::panic::catch_unwind(|| {
        check(
            "GET",
            "/api/v1/me",
            418,
            &json_headers("application/json"),
            &json!({}),
        )
    });
    assert!(
        undeclared.is_err(),
        "a status the operation does not declare must not pass"
    );
    // A problem document of a declared status passes.
    check(
        "GET",
        "/api/v1/opinions/0190f5a0-0000-7000-8000-000000000001",
        404,
        &json_headers("application/problem+json"),
        &json!({"type": "urn:problem-type:liaison:not_found", "title": "Not Found", "status": 404,
                "detail": "opinion not found", "code": "not_found"}),
    );
}

#[cfg(test)]
fn json_headers(content_type: &str) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", content_type.parse().unwrap());
    headers.insert("x-request-id", "r".parse().unwrap());
    headers
}
