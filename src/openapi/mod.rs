//! The OpenAPI 3.1 document. Paths and schemas come from the `#[utoipa::path]` annotations as
//! routes are registered (see `startup::routes`); this module adds what every operation shares:
//! the bearer scheme and the problem+json error responses.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

mod polish;
mod text_patterns;

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
        (name = "service-clients", description = "Machines' own door: OAuth 2.0 client credentials with scopes, bound to a committee's subtree or the whole district"),
        (name = "changes", description = "The changes feed: every committed change once, in order, for systems that keep in step"),
        (name = "webhooks", description = "Standard Webhooks: endpoints that receive the changes their owner may read, signed, retried for a day"),
        (name = "stats", description = "Figures for reports from the timeline: the three rates, step durations, activities and rotas"),
        (name = "exports", description = "CSV and XLSX exports for spreadsheets, streamed, without personal data beyond what staff need"),
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
    let conditional = op.parameters.iter().flatten().any(|p| p.name == "If-Match");
    if conditional {
        errors.push((
            "412",
            "`If-Match` names a version that is no longer current; `current_etag` is",
        ));
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
    let revalidated = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "If-None-Match");
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
                    .pattern(Some(crate::conditional::IF_MATCH_PATTERN))
                    .examples([serde_json::json!("\"v3\"")])
                    .build(),
                "The `ETag` you read (`\"v3\"`); 412 `precondition_failed` if it changed since",
            ),
            "If-None-Match" => (
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(crate::conditional::IF_MATCH_PATTERN))
                    .build(),
                "The `ETag` of the answer you hold; 304 with no body while it is still the answer",
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
        if revalidated && (status == "200" || status == "304") {
            response.headers.insert(
                "ETag".into(),
                header(
                    string_schema(),
                    "This answer's tag: send it back as `If-None-Match` to be told whether it changed",
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

/// The document as JSON, with what utoipa's types cannot hold: what `/openapi.json` serves.
pub fn to_json(doc: &OpenApiDoc) -> serde_json::Value {
    let mut json = serde_json::to_value(doc).expect("the document is JSON");
    polish::beyond_utoipa(&mut json);
    json
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
    polish::in_json(doc)
}
