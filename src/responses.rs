//! What every response carries, whichever part of the stack produced it: the security headers,
//! and a problem+json body on every error (actix's own 404s and 405s, and Swagger UI's, come
//! with an empty body otherwise).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Nothing is loaded by an API answer; nothing may frame it.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Swagger UI loads its own scripts and styles from /docs and the document from /openapi.json;
/// its components set inline styles. No inline script, no other origin.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";
const HSTS: &str = "max-age=31536000; includeSubDomains";

pub async fn harden(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.settings.hsts);
    // Routes answer errors as responses; only a middleware refusing outright (CORS) ends up
    // here as `Err`, which actix renders through the error's own `ResponseError`.
    let response = next.call(req).await?.map_into_boxed_body();
    let mut response = as_problem(response);
    let status = response.status();
    let headers = response.headers_mut();
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        if docs { DOCS_CSP } else { API_CSP },
    );
    if authenticated {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if hsts {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // RFC 6750 §3: a protected resource refused for want of a token says how to present one.
    if status == StatusCode::UNAUTHORIZED && !headers.contains_key(header::WWW_AUTHENTICATE) {
        set(headers, header::WWW_AUTHENTICATE, "Bearer");
    }
    Ok(response)
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

/// Marks an error answer given in a form a standard prescribes instead of problem+json (the
/// token endpoint's RFC 6749 §5.2 errors), which `as_problem` then leaves alone.
pub struct StandardErrorForm;

/// An error answer that is not problem+json already becomes one, keeping its status.
fn as_problem(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    if response
        .response()
        .extensions()
        .contains::<StandardErrorForm>()
    {
        return response;
    }
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (request, old) = response.into_parts();
    let mut problem = for_status(status).error_response();
    // Keep what the original answer had to say beyond its body (Allow on a 405, Retry-After).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = old.headers().get(&name) {
            problem.headers_mut().insert(name, value.clone());
        }
    }
    ServiceResponse::new(request, problem)
}

fn for_status(status: StatusCode) -> ApiError {
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => return ApiError::not_found("resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "this route does not take this method",
        ),
        StatusCode::UNAUTHORIZED => return ApiError::unauthorized("authentication is required"),
        StatusCode::FORBIDDEN => return ApiError::forbidden("this is not allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "the body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "this content type is not accepted here",
        ),
        s if s.is_server_error() => {
            return ApiError::internal(anyhow::anyhow!("an error answer without a body: {s}"));
        }
        _ => (ErrorCode::BadRequest, "the request could not be understood"),
    };
    ApiError::new(status, code, detail)
}
