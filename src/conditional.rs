//! Optimistic concurrency: versioned resources send an `ETag`; writes that carry `If-Match`
//! go ahead only if the client saw the current version (RFC 9110 §13.1.1), else 412. And
//! revalidation: a read that sends `If-None-Match` with the tag it holds gets 304 while that
//! is still the answer (§13.1.2).

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderName;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Ready, ready};

use crate::error::{ApiError, ErrorCode};

/// The entity tag of version `version` of a resource.
pub fn etag(version: i32) -> String {
    format!("\"v{version}\"")
}

/// What an `If-Match` header may hold (RFC 9110 §8.8.3): `*`, or entity tags separated by
/// commas; an empty value is an empty list, the same as no header. Anything else is a
/// malformed request (400), not a version that did not match.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[^"\\,]*"( *, *(W/)?"[^"\\,]*")*)?$"#;

fn is_entity_tag(tag: &str) -> bool {
    let quoted = tag.strip_prefix("W/").unwrap_or(tag);
    quoted.len() >= 2
        && quoted.starts_with('"')
        && quoted.ends_with('"')
        && !quoted[1..quoted.len() - 1].contains(['"', '\\'])
}

/// The `If-Match` header, if any: `*` or a list of entity tags.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<Vec<String>>);

impl IfMatch {
    pub fn any() -> Self {
        Self(None)
    }

    /// 412 unless the header is absent, `*`, or names `version`. Weak tags never match.
    pub fn check(&self, version: i32) -> Result<(), ApiError> {
        let Some(tags) = &self.0 else {
            return Ok(());
        };
        let current = etag(version);
        if tags.iter().any(|t| t == "*" || *t == current) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                ErrorCode::PreconditionFailed,
                "the resource has changed since you read it; fetch it again and retry",
            )
            .with_extension("current_etag", serde_json::Value::String(current)))
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(tags_in(req, (actix_web::http::header::IF_MATCH, "If-Match")).map(Self))
    }
}

/// The `If-None-Match` header, if any: `*` or a list of entity tags.
#[derive(Debug, Clone, Default)]
pub struct IfNoneMatch(Option<Vec<String>>);

impl IfNoneMatch {
    /// Whether the client holds `tag` already (weak comparison, as RFC 9110 §13.1.2 asks).
    pub fn holds(&self, tag: &str) -> bool {
        let strong = |t: &str| t.strip_prefix("W/").unwrap_or(t).to_owned();
        self.0
            .iter()
            .flatten()
            .any(|t| t == "*" || strong(t) == strong(tag))
    }
}

impl FromRequest for IfNoneMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            tags_in(
                req,
                (actix_web::http::header::IF_NONE_MATCH, "If-None-Match"),
            )
            .map(Self),
        )
    }
}

/// The tags of every `name` header, `None` when there are none; 400 when malformed. An
/// unreadable value is malformed; an empty one is an empty list, as if absent; an empty
/// element between commas is malformed, as the grammar has none; `*` stands alone.
fn tags_in(
    req: &HttpRequest,
    (name, shown): (HeaderName, &str),
) -> Result<Option<Vec<String>>, ApiError> {
    let mut values: Vec<String> = Vec::new();
    let mut well_formed = true;
    for raw in req.headers().get_all(name) {
        let text = raw.to_str().map(str::trim).unwrap_or("\u{0}");
        if text.is_empty() {
            continue;
        }
        for element in text.split(',').map(str::trim) {
            well_formed &= element == "*" || is_entity_tag(element);
            values.push(element.to_owned());
        }
    }
    well_formed &= !values.iter().any(|v| v == "*") || values == ["*"];
    if !well_formed {
        return Err(ApiError::bad_request(
            ErrorCode::BadRequest,
            format!("{shown} must be * or entity tags such as \"v3\""),
        ));
    }
    Ok((!values.is_empty()).then_some(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_match_compares_weakly_and_takes_a_star() {
        let held = |tags: &[&str]| IfNoneMatch(Some(tags.iter().map(|t| t.to_string()).collect()));
        assert!(held(&["\"a\""]).holds("\"a\""));
        assert!(held(&["W/\"a\""]).holds("\"a\""));
        assert!(held(&["\"b\"", "\"a\""]).holds("\"a\""));
        assert!(held(&["*"]).holds("\"a\""));
        assert!(!held(&["\"b\""]).holds("\"a\""));
        assert!(!held(&[]).holds("\"a\""));
    }

    #[test]
    fn malformed_tags_are_told_apart_from_stale_ones() {
        for good in ["\"v3\"", "W/\"v3\"", "\"\""] {
            assert!(is_entity_tag(good), "{good}");
        }
        for bad in ["v3", "\"v3", "\"a\"b\"", ""] {
            assert!(!is_entity_tag(bad), "{bad}");
        }
    }

    #[test]
    fn matching_rules() {
        assert!(IfMatch::any().check(3).is_ok());
        assert!(IfMatch(Some(vec!["*".into()])).check(3).is_ok());
        assert!(
            IfMatch(Some(vec!["\"v2\"".into(), "\"v3\"".into()]))
                .check(3)
                .is_ok()
        );
        assert!(IfMatch(Some(vec!["\"v2\"".into()])).check(3).is_err());
        assert!(IfMatch(Some(vec!["W/\"v3\"".into()])).check(3).is_err());
    }
}
