use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::auth::dto::{LoginRequest, RefreshRequest, TokenResponse};
use crate::auth::sessions::{self, Issued, Rotation};
use crate::auth::{passwords, throttle};
use crate::db::lower;
use crate::db::schema::accounts;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::request::ValidJson;
use crate::state::AppState;
use crate::users::domain::Username;

pub fn client_address(req: &HttpRequest, trust_proxy_headers: bool) -> String {
    let address = if trust_proxy_headers {
        req.connection_info().realip_remote_addr().map(|a| {
            a.parse::<std::net::SocketAddr>()
                .map(|s| s.ip().to_string())
                .unwrap_or_else(|_| a.to_owned())
        })
    } else {
        req.peer_addr().map(|a| a.ip().to_string())
    };
    address.unwrap_or_else(|| "unknown".to_owned())
}

fn token_response(state: &AppState, issued: Issued) -> ApiResult<TokenResponse> {
    let access_token = state
        .tokens
        .issue_access(issued.account_id, issued.session_id)
        .map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs(),
        refresh_token: issued.refresh_token,
        refresh_expires_in: (issued.session_expires_at - chrono::Utc::now())
            .num_seconds()
            .max(0),
    })
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "the username or password is incorrect",
    )
}

/// Log in with a username and password.
///
/// The answer is the same whether the account does not exist, is disabled or the password is
/// wrong. Failed attempts are limited per account name and per client address (429).
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
#[post("/login")]
#[tracing::instrument(skip_all)]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let LoginRequest { username, password } = body.0;
    let name = Username::canonical(&username);
    let mut conn = state.db().await?;
    let account: Option<(Uuid, String, Option<chrono::DateTime<chrono::Utc>>)> = match &name {
        Some(name) => accounts::table
            .filter(lower(accounts::username).eq(name))
            .select((accounts::id, accounts::password_hash, accounts::disabled_at))
            .first(&mut conn)
            .await
            .optional()?,
        None => None,
    };
    // Counted before the password is checked, so concurrent guesses cannot slip past.
    let who = match (&account, &name) {
        (Some((id, ..)), _) => id.to_string(),
        (None, Some(name)) => format!("name:{name}"),
        (None, None) => format!("name:{}", username.trim()),
    };
    let address = client_address(&req, state.settings.trust_proxy_headers);
    let keys = throttle::LoginKeys::new(&who, &address);
    throttle::admit(&mut conn, &state.settings.login_throttle, &keys).await?;

    let (hash, usable) = match &account {
        Some((_, hash, disabled_at)) => (Some(hash.clone()), disabled_at.is_none()),
        None => (None, false),
    };
    let password_ok = passwords::verify(password, hash).await?;
    let Some((account_id, _, _)) = account.filter(|_| password_ok && usable) else {
        tracing::info!("log-in refused");
        return Err(invalid_credentials());
    };
    throttle::forgive(&mut conn, &keys).await?;
    let issued = sessions::start(&mut conn, account_id, state.settings.jwt.refresh_ttl).await?;
    tracing::info!(%account_id, "logged in");
    Ok(web::Json(token_response(&state, issued)?))
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// Refresh tokens are single use. Presenting one that was already used ends the whole
/// session (every token descended from the same log-in), since a copy must be in other hands.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
#[post("/refresh")]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<web::Json<TokenResponse>> {
    let mut conn = state.db().await?;
    match sessions::rotate(&mut conn, &body.0.refresh_token).await? {
        Rotation::Rotated(issued) => Ok(web::Json(token_response(&state, issued)?)),
        Rotation::Reused => {
            tracing::warn!("refresh token reused; session revoked");
            Err(ApiError::new(
                actix_web::http::StatusCode::UNAUTHORIZED,
                ErrorCode::RefreshTokenReused,
                "this refresh token was already used; the session has been ended for safety",
            ))
        }
        Rotation::Invalid => Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidRefreshToken,
            "the refresh token is unknown, expired or revoked",
        )),
    }
}

/// End the session the refresh token belongs to. Its access tokens stop working at once.
/// Idempotent: an unknown or already revoked token also answers 204.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "Session ended")),
    security(()),
)]
#[post("/logout")]
#[tracing::instrument(skip_all)]
pub async fn logout(
    state: web::Data<AppState>,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db().await?;
    sessions::revoke_by_refresh_token(&mut conn, &body.0.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}
