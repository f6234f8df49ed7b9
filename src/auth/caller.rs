//! The `Caller` extractor: bearer token → verified claims → the live account and session.
//!
//! The account and session are read on every request rather than trusted from the token, so
//! disabling an account or logging out takes effect immediately, not when the token expires.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::auth::tokens::TokenError;
use crate::db::schema::{accounts, sessions};
use crate::error::ApiError;
use crate::scope::{Binding, BindingIds, Caller, Role};
use crate::state::AppState;

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

type AccountRow = (Uuid, String, String, BindingIds);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            let token =
                token.ok_or_else(|| ApiError::unauthorized("a bearer access token is required"))?;
            let claims = state.tokens.verify_access(&token).map_err(|e| match e {
                TokenError::Expired => {
                    ApiError::unauthorized("the access token has expired; refresh it")
                }
                TokenError::Invalid => ApiError::unauthorized("the access token is invalid"),
            })?;
            let mut conn = state.pool.get().await?;
            let row: Option<AccountRow> = accounts::table
                .inner_join(sessions::table)
                .filter(accounts::id.eq(claims.sub))
                .filter(sessions::id.eq(claims.sid))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(diesel::dsl::now))
                .filter(accounts::disabled_at.is_null())
                .select((
                    accounts::id,
                    accounts::username,
                    accounts::role,
                    (
                        accounts::committee_id,
                        accounts::liaison_group_id,
                        accounts::handling_body_id,
                        accounts::representative_id,
                        accounts::voter_id,
                    ),
                ))
                .first(&mut conn)
                .await
                .optional()?;
            let (account_id, username, role, binding) =
                row.ok_or_else(|| ApiError::unauthorized("the session has ended; log in again"))?;
            let role = Role::parse(&role)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown role in database")))?;
            Ok(Caller {
                account_id,
                username,
                role,
                binding: Binding::from_columns(binding),
                session_id: claims.sid,
            })
        })
    }
}
