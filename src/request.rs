//! Turning raw requests into validated values, with every failure an `ApiError`.
//!
//! `ValidJson<T>` replaces `web::Json<T>`: it tells malformed JSON (400) from well-formed JSON
//! with wrong or missing values (422, naming the field), and runs `validator` rules before the
//! handler sees the value.

use std::collections::BTreeMap;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::{ApiError, ErrorCode};

pub struct ValidJson<T>(pub T);

fn is_json_content_type(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// serde reports missing and unknown fields at the parent's path, naming the field only in its
/// message; lift the name out so clients get `errors.<field>` like any other failure.
fn field_error(path: &str, message: &str) -> (String, String) {
    let backticked = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    let join = |field: String| {
        if path.is_empty() || path == "." {
            field
        } else if path == field || path.ends_with(&format!(".{field}")) {
            path.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    // A custom deserializer (a tagged body) names a nested field as "at `path`: message".
    if let Some((nested, rest)) = message
        .strip_prefix("at `")
        .and_then(|m| m.split_once("`: "))
    {
        let (field, message) = field_error(nested, rest);
        return (join(field), message);
    }
    if let Some(field) = backticked("missing field `") {
        return (join(field), "is required".to_owned());
    }
    if let Some(field) = backticked("unknown field `") {
        return (join(field), "is not a known field".to_owned());
    }
    let key = if path.is_empty() || path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    // serde_json appends " at line L column C"; the client already knows where its body is.
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    (key, message)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, so a truncated body is "malformed" (400) even when its first field would
    // already fail validation.
    let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    // serde lets a struct be read from an array (`[1, 2]` fills the fields in order); every
    // body of this API is an object, so anything else is refused before it can.
    if !value.is_object() {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    if let Some(field) = field_with_control_character(&value, String::new()) {
        return Err(ApiError::invalid_field(
            &field,
            "must not contain control characters (other than tab and newline)",
        ));
    }
    integral_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let (field, message) = field_error(&path, &err.into_inner().to_string());
        ApiError::validation(BTreeMap::from([(field, vec![message])]))
    })
}

/// JSON does not tell `50` from `50.0`, and JSON Schema's `integer` accepts both; serde reads
/// only the first into an integer field. Integral numbers are made integers before typing.
fn integral_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0)
                && f.abs() < 9.0e15
            {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// Text may carry tabs and newlines but no other control character: NUL cannot be stored by
/// PostgreSQL at all, and the rest (CR, ESC, …) end up in CSV exports, iCalendar feeds and
/// terminals. Anything else is allowed, Chinese of course included.
pub fn is_forbidden_character(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// The path (`registrations[0].issues[1].title`) of the first string in a JSON body, key or
/// value, with a forbidden character; checked once for every body, whatever its type.
fn field_with_control_character(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let bad = |text: &str| text.chars().any(is_forbidden_character);
    match value {
        Value::String(text) => {
            bad(text).then(|| if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| field_with_control_character(item, format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if bad(key) {
                Some(if path.is_empty() {
                    "body".into()
                } else {
                    path.clone()
                })
            } else {
                field_with_control_character(item, here)
            }
        }),
        _ => None,
    }
}

/// Query strings are text too: a control character in any parameter is refused before a
/// handler or the database sees it.
pub async fn refuse_control_characters_in_query(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if query_has_control_character(req.query_string()) {
        let refusal = ApiError::bad_request(
            ErrorCode::InvalidQuery,
            "query parameters must not contain control characters",
        );
        return Ok(req.error_response(refusal));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn query_has_control_character(query: &str) -> bool {
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    decoded.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => decoded.push(b'%'),
            },
            b'+' => decoded.push(b' '),
            b => decoded.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(is_forbidden_character)
}

/// The largest request body accepted, in bytes (`LIAISON_MAX_BODY_BYTES`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Bodies up to this many times the limit are read to the end and discarded before the 413
/// goes out, so an ordinary client that sent its whole body gets the answer rather than a
/// reset connection. Anything bigger is cut off.
const DRAIN_FACTOR: usize = 64;

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "the request body is larger than this service accepts",
    )
}

pub async fn read_body(
    mut payload: Payload,
    limit: usize,
    declared: Option<usize>,
) -> Result<web::BytesMut, ApiError> {
    use futures_util::StreamExt;
    if declared.is_some_and(|n| n > limit * DRAIN_FACTOR) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request(
                ErrorCode::UnreadableBody,
                "the request body could not be read",
            )
        })?;
        seen += chunk.len();
        if seen > limit * DRAIN_FACTOR {
            return Err(too_large());
        }
        if seen <= limit {
            body.extend_from_slice(&chunk);
        }
    }
    if seen > limit {
        Err(too_large())
    } else {
        Ok(body)
    }
}

/// Reads, parses and validates a JSON body; also hands back the raw bytes for callers that
/// fingerprint the request (idempotency keys).
fn read_valid_json<T: DeserializeOwned + Validate + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<(T, web::Bytes), ApiError>> {
    let json = is_json_content_type(req);
    let limit = req
        .app_data::<BodyLimit>()
        .map(|l| l.0)
        .unwrap_or(1024 * 1024);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let payload = payload.take();
    Box::pin(async move {
        let bytes = read_body(payload, limit, declared).await?;
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        let value: T = parse_json(&bytes)?;
        value.validate()?;
        Ok((value, bytes.freeze()))
    })
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_valid_json::<T>(req, payload);
        Box::pin(async move { read.await.map(|(value, _)| ValidJson(value)) })
    }
}

/// A validated JSON body together with a fingerprint of the request (method, path and the
/// exact body bytes), so a retried request can be told from a different one.
pub struct FingerprintedJson<T> {
    pub value: T,
    pub fingerprint: [u8; 32],
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for FingerprintedJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(req.method().as_str().as_bytes());
        hasher.update(b" ");
        hasher.update(req.path().as_bytes());
        hasher.update(b"\n");
        let read = read_valid_json::<T>(req, payload);
        Box::pin(async move {
            let (value, bytes) = read.await?;
            hasher.update(&bytes);
            Ok(FingerprintedJson {
                value,
                fingerprint: hasher.finalize().into(),
            })
        })
    }
}

/// Malformed path parameters (a non-UUID id) mean "no such resource".
pub fn path_error(_err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found("resource").into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let detail = match &err {
        actix_web::error::QueryPayloadError::Deserialize(e) => {
            format!("invalid query parameters: {e}")
        }
        _ => "invalid query parameters".to_owned(),
    };
    ApiError::bad_request(ErrorCode::InvalidQuery, detail).into()
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// validator rule: a text field must have something besides whitespace.
pub fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() {
        let mut e = validator::ValidationError::new("blank");
        e.message = Some("must not be blank".into());
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_with_their_field() {
        let body = serde_json::json!({
            "title": "好",
            "registrations": [{"issues": [{"title": "ok"}, {"title": "a\u{0}b"}]}],
        });
        assert_eq!(
            field_with_control_character(&body, String::new()).as_deref(),
            Some("registrations[0].issues[1].title")
        );
        let fine = serde_json::json!({"content": "第一行\n第二行\t完", "n": 1});
        assert_eq!(field_with_control_character(&fine, String::new()), None);
        for bad in ["\r", "\u{1b}[31m", "\u{7f}", "\u{85}"] {
            let body = serde_json::json!({ "q": bad });
            assert_eq!(
                field_with_control_character(&body, String::new()).as_deref(),
                Some("q"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn control_characters_in_query_strings_are_found_after_decoding() {
        assert!(query_has_control_character("q=a%00b"));
        assert!(query_has_control_character("q=%0d%0a"));
        assert!(query_has_control_character("q=%C2%85"));
        assert!(!query_has_control_character("q=%E4%BD%A0%E5%A5%BD&limit=5"));
        assert!(!query_has_control_character("q=100%"));
        assert!(!query_has_control_character("q=a+b%09c"));
    }

    #[test]
    fn integral_numbers_read_as_integers_and_fractions_stay_fractions() {
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            number: i32,
            share: f64,
        }
        let body: Body = parse_json(br#"{"number": 50.0, "share": 2.0}"#).unwrap();
        assert_eq!((body.number, body.share), (50, 2.0));
        let err = parse_json::<Body>(br#"{"number": 50.5, "share": 1}"#).unwrap_err();
        assert!(err.detail_with_fields().contains("number"), "{err:?}");
    }
}
