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
    // A misspelt filter that would have returned every deputy.
    w.app
        .get(
            &format!("/api/v1/obligations?deputy_id={}", w.representative_a),
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
    let doc = liaison::startup::openapi_json();
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

#[test]
fn answered_fields_are_required_and_problems_are_typed() {
    let doc = liaison::startup::openapi_json();
    let schemas = &doc["components"]["schemas"];
    let required = |name: &str| -> Vec<String> {
        serde_json::from_value(schemas[name]["required"].clone()).unwrap_or_default()
    };
    for (schema, field) in [
        ("OpinionView", "voter_id"),
        ("OpinionView", "current_due_at"),
        ("MeView", "scope"),
        ("Page_OpinionView", "next_cursor"),
    ] {
        assert!(
            required(schema).contains(&field.to_owned()),
            "{schema}.{field}"
        );
    }
    // A request schema keeps its optional fields optional.
    assert!(!required("UpdateOpinion").contains(&"title".to_owned()));
    let problem = &schemas["Problem"]["properties"];
    for extra in [
        "state",
        "allowed_actions",
        "current_etag",
        "limit",
        "rows",
        "retry_after",
    ] {
        assert!(problem.get(extra).is_some(), "Problem.{extra}");
    }
    assert!(schemas.get("FieldErrors").is_some() && schemas.get("BTreeMap").is_none());
    // Each error response shows an example of its own status.
    let not_found = &doc["paths"]["/api/v1/opinions/{id}"]["get"]["responses"]["404"]["content"]["application/problem+json"]
        ["example"];
    assert_eq!(not_found["status"], 404);
    assert_eq!(not_found["code"], "not_found");
}

#[test]
fn every_error_code_the_source_uses_is_in_the_published_enum() {
    let doc = liaison::startup::openapi_json();
    let published: Vec<String> =
        serde_json::from_value(doc["components"]["schemas"]["ErrorCode"]["enum"].clone()).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for entry in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for piece in text.split("ErrorCode::").skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                used.insert(name);
            }
        }
    }
    let snake = |name: &str| {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    assert!(!used.is_empty());
    for name in used {
        assert!(
            published.contains(&snake(&name)),
            "{name} is used but not published"
        );
    }
}

fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn referral_targets_are_discoverable_and_readable() {
    use crate::opinions::submit;
    let w = World::new().await;
    let district = w
        .app
        .post(
            "/api/v1/handling-bodies",
            &w.admin,
            json!({"name": "区城管委", "kind": "government_department", "committee_id": w.standing}),
        )
        .await
        .expect(201)
        .id();
    // Committee and group staff read the body above them that they may refer to.
    for token in [&w.committee_staff_a, &w.group_staff_a] {
        w.app
            .get(&format!("/api/v1/handling-bodies/{district}"), token)
            .await
            .expect(200);
        let listed = w
            .app
            .get("/api/v1/handling-bodies", token)
            .await
            .expect(200);
        let ids: Vec<&serde_json::Value> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| &b["id"])
            .collect();
        assert!(
            ids.contains(&&json!(district)) && ids.contains(&&json!(w.body_a)),
            "{ids:?}"
        );
    }
    // Another committee's staff still cannot change it.
    w.app
        .patch(
            &format!("/api/v1/handling-bodies/{district}"),
            &w.committee_staff_a,
            json!({"contact": "x"}),
        )
        .await
        .expect_problem(404, "not_found");

    let opinion = submit(&w).await;
    let path = format!("/api/v1/opinions/{opinion}/referable-bodies");
    let ids = |reply: &serde_json::Value| -> Vec<serde_json::Value> {
        reply["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].clone())
            .collect()
    };
    let direct = w.app.get(&path, &w.committee_staff_a).await.expect(200);
    assert_eq!(direct.body["steps"], json!(["refer"]));
    let direct = ids(&direct.body);
    assert!(direct.contains(&json!(district)) && direct.contains(&json!(w.body_a)));
    w.app
        .put(
            &format!("/api/v1/committees/{}/policy", w.committee_a),
            &w.admin,
            json!({"referral_route": "via_parent"}),
        )
        .await
        .expect(200);
    let via_parent = w.app.get(&path, &w.group_staff_a).await.expect(200);
    assert_eq!(ids(&via_parent.body), [json!(w.body_a)]);
    w.app
        .get(&path, &w.voter)
        .await
        .expect_problem(403, "forbidden");
}

#[test]
fn renamed_query_parameters_keep_their_old_names_as_deprecated() {
    let doc = liaison::startup::openapi_json();
    let params = doc["paths"]["/api/v1/obligations"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).cloned().unwrap();
    assert!(param("liaison_group_id").get("deprecated").is_none());
    assert_eq!(param("group")["deprecated"], true);
    let schemas = &doc["components"]["schemas"];
    assert!(schemas.get("OpinionState").is_some() && schemas.get("State").is_none());
}

#[test]
fn a_transition_is_one_schema_per_step() {
    let doc = liaison::startup::openapi_json();
    let schemas = &doc["components"]["schemas"];
    let request = &schemas["TransitionRequest"];
    assert_eq!(request["discriminator"]["propertyName"], "action");
    assert_eq!(request["oneOf"].as_array().unwrap().len(), 7);
    let refer = &schemas["ReferStep"];
    assert_eq!(
        refer["required"],
        json!(["action", "handling_body_id", "channel"])
    );
    assert_eq!(refer["properties"]["action"]["enum"], json!(["refer"]));
    assert_eq!(refer["additionalProperties"], false);
}

#[test]
fn operations_read_well_in_a_generated_client() {
    let doc = liaison::startup::openapi_json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.contains('\n'),
                "{method} {path}: summary on one line"
            );
            for p in op["parameters"].as_array().into_iter().flatten() {
                assert!(
                    p["description"].is_string(),
                    "{method} {path}: {} undescribed",
                    p["name"]
                );
                if p["name"] == "limit" {
                    assert_eq!(
                        (
                            p["schema"]["minimum"].clone(),
                            p["schema"]["maximum"].clone()
                        ),
                        (json!(1), json!(100))
                    );
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert_eq!(
        schemas["Page_OpinionView"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/OpinionView"
    );
    let text = doc.to_string();
    for name in schemas.keys() {
        assert!(
            text.contains(&format!("\"#/components/schemas/{name}\"")),
            "{name} is never used"
        );
    }
    // And every reference leads somewhere (a schema named only by a parameter is not
    // registered on its own).
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(
            schemas.contains_key(name),
            "#/components/schemas/{name} is missing"
        );
    }
}

#[test]
fn the_constraints_the_server_enforces_are_in_the_spec() {
    let doc = liaison::startup::openapi_json();
    let s = &doc["components"]["schemas"];
    let title = &s["CreateOpinion"]["properties"]["title"];
    assert_eq!(
        (title["minLength"].clone(), title["maxLength"].clone()),
        (json!(1), json!(200))
    );
    assert_eq!(s["TransferStep"]["properties"]["reason"]["maxLength"], 2000);
    assert_eq!(
        s["ReferStep"]["properties"]["assisting_body_ids"]["maxItems"],
        20
    );
    let months = &s["OwnPolicy"]["properties"]["answer_months"];
    assert_eq!(
        (months["minimum"].clone(), months["maximum"].clone()),
        (json!(1), json!(24))
    );
    assert!(s["CreateVoter"]["properties"]["phone"]["pattern"].is_string());
    assert!(s["CreateReceptionRule"]["properties"]["start_time"]["pattern"].is_string());
}

/// A bound the server validates (`#[validate(length(max = N))]`, `range(max = N)`) is declared
/// on the same field for the document (`#[schema(max_length | max_items | maximum = N)]`), so
/// a field added later cannot leave the spec looser than the server.
#[test]
fn every_validated_bound_is_declared_in_the_schema() {
    let mut missing = Vec::new();
    for file in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.trim().starts_with("#[validate(") {
                continue;
            }
            let Some(end) = (i..lines.len()).find(|&k| lines[k].trim().starts_with("pub ")) else {
                continue;
            };
            let block = lines[i..end].join(" ");
            if !(block.contains("length(") || block.contains("range(")) {
                continue;
            }
            let Some(max) = block.split("max = ").nth(1).map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<String>()
            }) else {
                continue;
            };
            let declared = ["max_length", "max_items", "maximum"]
                .iter()
                .any(|k| block.contains(&format!("{k} = {max}")));
            if !declared {
                missing.push(format!(
                    "{}:{} {}",
                    file.display(),
                    end + 1,
                    lines[end].trim()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "bounds not in the spec:\n{}",
        missing.join("\n")
    );
}
