//! `POST /api/v1/auth/token`: the client credentials grant (RFC 6749 §4.4). The client
//! authenticates with HTTP Basic (or `client_id`/`client_secret` in the form, §2.3.1) and gets
//! a bearer token for the scopes it asks for (all it holds when it asks for none). Errors are
//! in the form RFC 6749 §5.2 gives (`{error, error_description}`), which OAuth libraries read,
//! rather than problem+json. Failed attempts are throttled like log-ins.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::{model, secrets};
use crate::access::Scope;
use crate::auth::handlers::client_address;
use crate::auth::throttle;
use crate::error::ApiError;
use crate::state::AppState;

/// The form of a token request (`application/x-www-form-urlencoded`).
/// The only grant this endpoint knows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    ClientCredentials,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    grant_type: GrantType,
    /// Space-separated scopes wanted; absent for every scope the client holds.
    scope: Option<String>,
    /// With `client_secret`, instead of HTTP Basic.
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientToken {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the token is valid for.
    pub expires_in: u64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// RFC 6749 §5.2.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    pub error_description: String,
}

fn refuse(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"liaison\""));
    }
    let mut response = response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(OAuthError {
            error: error.to_owned(),
            error_description: description.to_owned(),
        });
    response
        .extensions_mut()
        .insert(crate::responses::StandardErrorForm);
    response
}

/// The client's id and secret from `Authorization: Basic` (RFC 6749 §2.3.1: each part
/// form-urlencoded) or from the form.
fn credentials(req: &HttpRequest, form: &[(String, String)]) -> Option<(String, String)> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if let Some(basic) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape = |s: &str| {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        };
        return Some((unescape(id)?, unescape(secret)?));
    }
    Some((field("client_id")?, field("client_secret")?))
}

/// Exchange client credentials for an access token.
#[utoipa::path(
    tag = "auth",
    operation_id = "issue_client_token",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A bearer token", body = ClientToken),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_scope` (RFC 6749 §5.2)", body = OAuthError),
        (status = 401, description = "`invalid_client`: unknown client, wrong or expired secret, or a revoked client", body = OAuthError),
        (status = 429, description = "Too many failed attempts; wait `Retry-After` seconds", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
#[post("/token")]
#[tracing::instrument(skip_all)]
pub async fn issue_client_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let form_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Ok(refuse(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the request as application/x-www-form-urlencoded",
        ));
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is granted here; people log in at /api/v1/auth/login",
            ));
        }
        None => {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            ));
        }
    }
    let Some((client_id, secret)) = credentials(&req, &form) else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authenticate with HTTP Basic (client_id:client_secret)",
        ));
    };
    let mut conn = state.db().await?;
    let keys = throttle::LoginKeys::new(
        &format!("client:{client_id}"),
        &client_address(&req, state.settings.trust_proxy_headers),
    );
    throttle::admit(&mut conn, &state.settings.login_throttle, &keys).await?;
    let client = model::by_client_id(&mut conn, &client_id).await?;
    let now = Utc::now();
    let authentic = client.as_ref().is_some_and(|c| {
        secrets::matches(&secret, &c.secret_sha256)
            || (c
                .previous_secret_expires_at
                .is_some_and(|until| until > now)
                && c.previous_secret_sha256
                    .as_deref()
                    .is_some_and(|previous| secrets::matches(&secret, previous)))
    });
    let Some(client) = client.filter(|_| authentic) else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, wrong secret, or a revoked client",
        ));
    };
    throttle::forgive(&mut conn, &keys).await?;
    let held = client.scopes.clone();
    let granted = match field("scope").map(Scope::parse_list) {
        None => held,
        Some(Some(asked)) if !asked.is_empty() && asked.iter().all(|s| held.contains(s)) => asked,
        Some(_) => {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "ask only for scopes the client holds",
            ));
        }
    };
    let scope = Scope::join(&granted);
    let access_token = state
        .tokens
        .issue_client(client.id, &scope)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ClientToken {
            access_token,
            token_type: "Bearer".into(),
            expires_in: state.tokens.access_ttl_secs(),
            scope,
        }))
}
