//! The OpenAPI 3.1 document. Paths and schemas come from the `#[utoipa::path]` annotations as
//! routes are registered (see `startup::routes`); this module adds what every operation shares:
//! the bearer scheme and the problem+json error responses.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "liaison",
        description = "REST/JSON API for a district People's Congress: deputies' contact with voters \
(人大代表联系选民). Errors are RFC 9457 `application/problem+json` documents with a stable `code`. \
Lists use keyset pagination: pass `next_cursor` back as `cursor`.",
        license(name = "MIT", url = "https://opensource.org/licenses/MIT"),
        contact(name = "liaison maintainers", email = "liaison@example.org"),
    ),
    servers((url = "/", description = "This server")),
    components(schemas(crate::error::Problem)),
    tags(
        (name = "auth", description = "Log-in, token refresh, log-out and the signed-in account"),
        (name = "users", description = "Accounts, roles and their scope"),
        (name = "committees", description = "The organisation tree: standing committee, working committees, joint groups, townships"),
        (name = "liaison-groups", description = "Liaison groups, homes and stations"),
        (name = "constituencies", description = "Constituencies (选区)"),
        (name = "handling-bodies", description = "Handling bodies (承办单位) that answer opinions"),
        (name = "representatives", description = "Deputies, their profiles and contact links"),
        (name = "voters", description = "Voters and their protected personal data"),
        (name = "imports", description = "Bulk imports from CSV (UTF-8 or GB18030) and XLSX"),
        (name = "opinions", description = "Opinions (意见建议): received → referred → answered → fed back, with referrals, due dates and the timeline"),
        (name = "activities", description = "Contact activities: work plans (三落实), records of those held with reception registrations, reports to voters and their evaluations"),
        (name = "appointments", description = "Meetings at a voter's request (约请): requested → accepted (a voter_requested activity) or declined → held or cancelled"),
        (name = "notifications", description = "Staff notifications: urgent opinions and overdue referrals"),
        (name = "calendar", description = "Holidays and make-up working days that due dates count against"),
        (name = "public", description = "Open data, no sign-in"),
        (name = "health", description = "Liveness and readiness probes"),
    ),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

pub const BEARER: &str = "bearer";

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        http.description = Some("An access token from `POST /api/v1/auth/login`.".to_owned());
        components.add_security_scheme(BEARER, SecurityScheme::Http(http));
    }
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

/// Operations marked `security(())` in their annotation are public; the rest need a token.
fn is_public(op: &Operation) -> bool {
    op.security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().all(|r| *r == SecurityRequirement::default()))
}

fn complete_operation(path: &str, op: &mut Operation) {
    let public = is_public(op);
    if op.security.is_none() {
        op.security = Some(vec![SecurityRequirement::new::<_, _, &str>(BEARER, [])]);
    }
    let mut errors: Vec<(&str, &str)> =
        vec![("500", "Unexpected error; the body carries the request id")];
    if op.request_body.is_some() {
        errors.extend([
            ("400", "Malformed JSON"),
            ("413", "Body too large"),
            ("415", "Body is not application/json"),
            ("422", "Invalid values; `errors` names each failing field"),
        ]);
    }
    // Every operation refuses a query parameter it does not declare (`contract.rs`).
    errors.push((
        "400",
        "Invalid query parameters or cursor, or a query parameter this operation does not take",
    ));
    errors.push((
        "503",
        "The database is unreachable for now; try again after `Retry-After` seconds",
    ));
    if !public {
        errors.extend([
            ("401", "Missing, invalid or expired access token"),
            ("403", "Your role may not do this"),
        ]);
    }
    if path.contains('{') {
        errors.push(("404", "Not found, or outside your scope"));
    }
    for (status, description) in errors {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description));
    }
    if public {
        // No security requirement at all: generated clients send no token.
        op.security = Some(vec![]);
    }
    declare_headers(op);
}

/// A typical problem document for an error status, so each response shows its own.
fn problem_example(status: &str) -> Option<serde_json::Value> {
    let (code, title, detail) = match status {
        "400" => (
            "invalid_query",
            "Bad Request",
            "unknown query parameter `updated_since`",
        ),
        "401" => (
            "unauthorized",
            "Unauthorized",
            "missing or invalid access token",
        ),
        "403" => ("forbidden", "Forbidden", "the voter role may not do this"),
        "404" => ("not_found", "Not Found", "opinion not found"),
        "405" => (
            "method_not_allowed",
            "Method Not Allowed",
            "PUT is not a method of this path; it has GET, POST",
        ),
        "409" => (
            "invalid_transition",
            "Conflict",
            "an opinion that is received cannot take the feed_back step",
        ),
        "412" => (
            "precondition_failed",
            "Precondition Failed",
            "the record changed since you read it",
        ),
        "413" => (
            "payload_too_large",
            "Payload Too Large",
            "the body is over 1048576 bytes",
        ),
        "415" => (
            "unsupported_media_type",
            "Unsupported Media Type",
            "send application/json",
        ),
        "422" => (
            "validation_failed",
            "Unprocessable Content",
            "the request has invalid fields",
        ),
        "429" => (
            "rate_limited",
            "Too Many Requests",
            "too many attempts; try again later",
        ),
        "503" => (
            "service_unavailable",
            "Service Unavailable",
            "the database is unreachable; try again shortly",
        ),
        "500" => (
            "internal_error",
            "Internal Server Error",
            "unexpected error; quote the request id",
        ),
        _ => return None,
    };
    let mut example = serde_json::json!({
        "type": format!("urn:problem-type:liaison:{code}"),
        "title": title,
        "status": status.parse::<u16>().ok()?,
        "detail": detail,
        "code": code,
        "request_id": "6f1c2a3e-0b5d-4f1e-9a77-3c9d1e2f4a5b",
    });
    let extra = match status {
        "400" => serde_json::json!({"parameter": "updated_since"}),
        "409" => {
            serde_json::json!({"state": "received", "allowed_actions": ["refer", "decline", "edit", "escalate"]})
        }
        "412" => serde_json::json!({"current_etag": "\"v4\""}),
        "422" => serde_json::json!({"errors": {"name": ["must be 1 to 200 characters"]}}),
        "429" | "503" => serde_json::json!({"retry_after": 2}),
        _ => serde_json::json!({}),
    };
    if let (Some(example), Some(extra)) = (example.as_object_mut(), extra.as_object()) {
        example.extend(extra.clone());
    }
    Some(example)
}

fn header(schema: Object, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(schema)
        .description(Some(description))
        .build()
}

fn string_schema() -> Object {
    ObjectBuilder::new().schema_type(Type::String).build()
}

/// The headers every answer and some answers carry, and the format of the request headers.
fn declare_headers(op: &mut Operation) {
    let keyed = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "Idempotency-Key");
    for p in op.parameters.iter_mut().flatten() {
        if p.description
            .as_deref()
            .is_some_and(|d| d.starts_with("Deprecated"))
        {
            p.deprecated = Some(utoipa::openapi::Deprecated::True);
        }
        let (schema, description) = match p.name.as_str() {
            "If-Match" => (
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r#"^(\*|"v[0-9]+")$"#))
                    .examples([serde_json::json!("\"v3\"")])
                    .build(),
                "The `ETag` you read (`\"v3\"`); 412 `precondition_failed` if it changed since",
            ),
            "Idempotency-Key" => (
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(200))
                    .pattern(Some("^[!-~]+$"))
                    .build(),
                "1 to 200 visible ASCII characters, new for each write: a repeat with the same key and body answers the first answer again and writes nothing; with another body, 422 `idempotency_key_reused`",
            ),
            _ => continue,
        };
        p.schema = Some(schema.into());
        p.description = Some(description.to_owned());
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if let Some(content) = response.content.get_mut("application/problem+json") {
            if content.example.is_none() {
                content.example = problem_example(status);
            }
        }
        response.headers.insert(
            "X-Request-Id".into(),
            header(
                string_schema(),
                "This request's id, also in the log line and in a problem's `request_id`",
            ),
        );
        let success = status.starts_with('2');
        if status == "201" {
            response.headers.insert(
                "Location".into(),
                header(string_schema(), "The path of what was created"),
            );
        }
        if status == "429" || status == "503" {
            response.headers.insert(
                "Retry-After".into(),
                header(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0))
                        .build(),
                    "Seconds to wait before trying again",
                ),
            );
        }
        let versioned = response.content.values().any(|c| {
            matches!(&c.schema, Some(RefOr::Ref(r))
                if r.ref_location.ends_with("/OpinionView") || r.ref_location.ends_with("/ActivityView"))
        });
        if success && versioned {
            response.headers.insert(
                "ETag".into(),
                header(
                    string_schema(),
                    "The version (`\"v3\"`): send it back as `If-Match`",
                ),
            );
        }
        if success && keyed {
            response.headers.insert(
                "Idempotent-Replayed".into(),
                header(string_schema(), "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`"),
            );
        }
    }
}

/// Every `$ref` target named anywhere inside `value`.
fn refs_in(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_owned());
                }
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// Names a generated client can live with: the bare vocabularies of one resource get its name.
const RENAMED: &[(&str, &str)] = &[
    ("State", "OpinionState"),
    ("Action", "OpinionAction"),
    ("Source", "OpinionSource"),
    ("Rating", "OpinionRating"),
    ("Status", "ObligationStatus"),
    ("Rule", "ObligationRule"),
    ("RuleResult", "ObligationRuleResult"),
    ("Level", "RepresentativeLevel"),
    ("Gender", "RepresentativeGender"),
    ("Role", "AccountRole"),
];

/// Renames the schemas in `RENAMED`, and every `$ref` to them.
fn rename_schemas(json: &mut serde_json::Value) {
    fn rewrite(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get_mut("$ref") {
                    if let Some((_, new)) = RENAMED
                        .iter()
                        .find(|(old, _)| r.strip_prefix("#/components/schemas/") == Some(old))
                    {
                        *r = format!("#/components/schemas/{new}");
                    }
                }
                map.values_mut().for_each(rewrite);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    if let Some(schemas) = json["components"]["schemas"].as_object_mut() {
        for (old, new) in RENAMED {
            if let Some(schema) = schemas.remove(*old) {
                schemas.insert((*new).to_owned(), schema);
            }
        }
    }
    rewrite(json);
}

/// A serde-tagged enum comes out of utoipa as `oneOf: [allOf: [$ref Step, {tag}]]`, which a
/// validator reads as "Step (no other properties) and also a tag": nothing passes. Put the tag
/// into each step's own schema, point `oneOf` straight at the steps and name the
/// discriminator, so the document accepts exactly what the server does.
fn inline_discriminators(json: &mut serde_json::Value) {
    let Some(schemas) = json["components"]["schemas"].as_object_mut() else {
        return;
    };
    let mut moves: Vec<(String, String, String, serde_json::Value)> = Vec::new();
    for (name, schema) in schemas.iter() {
        let Some(items) = schema["oneOf"].as_array() else {
            continue;
        };
        for item in items {
            let parts = item["allOf"].as_array();
            let (Some(step), Some(tag)) = (
                parts
                    .and_then(|p| p.first())
                    .and_then(|p| p["$ref"].as_str()),
                parts.and_then(|p| p.get(1)),
            ) else {
                continue;
            };
            let Some((key, property)) = tag["properties"].as_object().and_then(|p| p.iter().next())
            else {
                continue;
            };
            let step = step.trim_start_matches("#/components/schemas/").to_owned();
            moves.push((name.clone(), step, key.clone(), property.clone()));
        }
    }
    for (union, step, key, property) in moves {
        let value = property["enum"][0].as_str().unwrap_or_default().to_owned();
        if let Some(target) = schemas.get_mut(&step) {
            target["properties"][&key] = property;
            match target["required"].as_array_mut() {
                Some(required) => required.insert(0, serde_json::json!(key)),
                None => target["required"] = serde_json::json!([key]),
            }
        }
        if let Some(union) = schemas.get_mut(&union) {
            let reference = format!("#/components/schemas/{step}");
            if let Some(items) = union["oneOf"].as_array_mut() {
                for item in items.iter_mut() {
                    let points_here = item["allOf"][0]["$ref"].as_str() == Some(reference.as_str());
                    if points_here {
                        *item = serde_json::json!({"$ref": reference});
                    }
                }
            }
            union["discriminator"]["propertyName"] = serde_json::json!(key);
            union["discriminator"]["mapping"][&value] = serde_json::json!(reference);
        }
    }
}

/// What the common parameters mean, for the operations that declare them without a word.
const PARAMETER_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "cursor",
        "The `next_cursor` of the page before; absent for the first page",
    ),
    ("limit", "Page size, 1 to 100 (default 50)"),
    ("constituency_id", "Only those of this constituency"),
    (
        "liaison_group_id",
        "Only those of this liaison group, home or station",
    ),
    ("representative_id", "Only those of this deputy"),
    ("voter_id", "Only those of this voter"),
    ("kind", "Only those of this kind"),
    ("status", "Only those in this status"),
    ("state", "Only those in this state"),
    ("level", "Only deputies of this level"),
    ("category", "Only opinions of this category code"),
    (
        "urgent",
        "Only urgent (`true`) or only ordinary (`false`) opinions",
    ),
    ("term", "Only deputies of this term (届)"),
    ("role", "Only accounts of this role"),
    (
        "scope_id",
        "Only accounts bound to this committee, group, body, deputy or voter",
    ),
    (
        "disabled",
        "Only disabled (`true`) or only active (`false`) accounts",
    ),
    (
        "verified",
        "Only verified (`true`) or only unverified (`false`) voters",
    ),
];

/// Every parameter described, `limit` with its bounds, every summary one line (the whole text
/// goes to `description`), and each page's items a `$ref` to their own schema.
fn tidy_operations(json: &mut serde_json::Value) {
    let Some(paths) = json["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for op in ops.values_mut() {
            if let Some(params) = op["parameters"].as_array_mut() {
                for p in params.iter_mut() {
                    let name = p["name"].as_str().unwrap_or_default().to_owned();
                    if p.get("description").is_none_or(|d| d.is_null()) {
                        if let Some((_, text)) =
                            PARAMETER_DESCRIPTIONS.iter().find(|(n, _)| *n == name)
                        {
                            p["description"] = serde_json::json!(text);
                        }
                    }
                    if name == "limit" && p["in"] == "query" {
                        p["schema"] = serde_json::json!({
                            "type": ["integer", "null"], "format": "int64",
                            "minimum": 1, "maximum": 100, "default": 50
                        });
                    }
                }
            }
            if let Some(summary) = op["summary"].as_str().map(str::to_owned) {
                if summary.contains('\n') {
                    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
                    let first = match flat.find(". ") {
                        Some(end) => flat[..=end].trim().to_owned(),
                        None => flat.clone(),
                    };
                    let description = match op["description"].as_str() {
                        Some(more) => format!("{summary}\n\n{more}"),
                        None => summary.clone(),
                    };
                    op["summary"] = serde_json::json!(first);
                    op["description"] = serde_json::json!(description);
                }
            }
        }
    }
    let Some(schemas) = json["components"]["schemas"].as_object_mut() else {
        return;
    };
    let pages: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|k| {
            k.strip_prefix("Page_")
                .map(|item| (k.clone(), item.to_owned()))
        })
        .filter(|(_, item)| schemas.contains_key(item))
        .collect();
    for (page, item) in pages {
        if let Some(schema) = schemas.get_mut(&page) {
            schema["properties"]["items"]["items"] =
                serde_json::json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

/// Schemas only ever answered (never sent) are serialized whole: every field is there, null or
/// not, so each is `required` and generated clients need not type it optional. Schemas that
/// requests use keep their optional fields; `Problem` lists members only some answers carry.
fn require_answered_fields(doc: OpenApiDoc) -> OpenApiDoc {
    let Ok(mut json) = serde_json::to_value(&doc) else {
        return doc;
    };
    rename_schemas(&mut json);
    inline_discriminators(&mut json);
    tidy_operations(&mut json);
    let mut sent = Vec::new();
    if let Some(paths) = json["paths"].as_object() {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|m| m.values()) {
                refs_in(&op["requestBody"], &mut sent);
                refs_in(&op["parameters"], &mut sent);
            }
        }
    }
    // Everything a sent schema refers to is sent too.
    let schemas = json["components"]["schemas"].clone();
    let mut i = 0;
    while i < sent.len() {
        let mut more = Vec::new();
        refs_in(&schemas[&sent[i]], &mut more);
        for name in more {
            if !sent.contains(&name) {
                sent.push(name);
            }
        }
        i += 1;
    }
    if let Some(schemas) = json["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            if sent.contains(name) || name == "Problem" {
                continue;
            }
            let Some(properties) = schema["properties"].as_object() else {
                continue;
            };
            let all: Vec<serde_json::Value> = properties
                .keys()
                .map(|k| serde_json::Value::String(k.clone()))
                .collect();
            schema["required"] = serde_json::Value::Array(all);
        }
    }
    serde_json::from_value(json).unwrap_or(doc)
}

/// Fills in security and error responses on every operation.
pub fn complete(mut doc: OpenApiDoc) -> OpenApiDoc {
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(path, op);
        }
    }
    require_answered_fields(doc)
}
