//! What every response carries, whichever part of the stack produced it: the security headers,
//! and a problem+json body on every error (actix's own 404s and 405s, and Swagger UI's, come
//! with an empty body otherwise). Also `InSlices`, for a large body already in memory.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
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

/// A body already in memory, handed to the connection a slice at a time. actix copies each
/// chunk a body yields into the connection's write buffer, and fills that buffer only while it
/// holds less than 32 KiB: a body yielded whole is copied whole, so every connection sending
/// the public schedule (about 1.1 MB at the district) held a copy of it for as long as its
/// client took to read it (32 connections took the server from 40 to 80 MiB; a thousand slow
/// phones would hold a gigabyte). In slices, a connection holds at most a slice more than that
/// limit, whatever the body's size. The slices share the original bytes, and the length is
/// still sent as `Content-Length`.
pub struct InSlices(web::Bytes);

/// Each slice is a write to the socket and a wakeup for the reader: measured by hand on the
/// district schedule at 32 connections, 16 KiB slices served half as many requests a second as
/// the whole body, 64 KiB two thirds, 256 KiB three quarters (peak 53 MiB), 512 KiB 83% (peak
/// 62–65 MiB, too close to the 64 MiB the server is meant to stay within).
const SLICE: usize = 256 * 1024;

impl InSlices {
    pub fn new(body: web::Bytes) -> Self {
        Self(body)
    }
}

impl MessageBody for InSlices {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.0.len() as u64)
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, Infallible>>> {
        let rest = &mut self.get_mut().0;
        if rest.is_empty() {
            return Poll::Ready(None);
        }
        let n = rest.len().min(SLICE);
        Poll::Ready(Some(Ok(rest.split_to(n))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_body_in_slices_is_the_same_bytes_in_slices_no_larger_than_one_slice() {
        let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let sliced = InSlices::new(web::Bytes::from(body.clone()));
        assert_eq!(sliced.size(), BodySize::Sized(1_000_000));
        let mut sliced = std::pin::pin!(sliced);
        let (mut whole, mut slices) = (Vec::new(), 0);
        while let Some(slice) = std::future::poll_fn(|cx| sliced.as_mut().poll_next(cx)).await {
            let slice = slice.unwrap();
            assert!(slice.len() <= SLICE, "a slice of {} bytes", slice.len());
            whole.extend_from_slice(&slice);
            slices += 1;
        }
        assert_eq!(whole, body);
        assert_eq!(slices, 1_000_000usize.div_ceil(SLICE));
    }
}
