//! Proving a self-registered voter's phone with a one-time code (6 digits, 10 minutes, 5
//! tries), and the rule that such a voter may read but not submit until the phone is proven
//! or staff verify them.

use actix_web::{HttpResponse, post, web};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::access::{self, Authed, Caller};
use crate::auth::throttle;
use crate::db::schema::{phone_codes, voters};
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::request::ValidJson;
use crate::state::AppState;

const CODE_LIFETIME_MINUTES: i64 = 10;
const MAX_ATTEMPTS: i32 = 5;
/// Codes sent to one phone per hour, whoever asks.
const CODES_PER_PHONE_PER_HOUR: i32 = 5;

fn code_hash(voter: Uuid, code: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(voter.as_bytes());
    hasher.update(code.as_bytes());
    hasher.finalize().to_vec()
}

/// Stores a fresh code for the voter (replacing any earlier one) and returns it, to be sent
/// once the transaction has committed. Limited per phone, so a phone cannot be flooded.
pub async fn issue_code(
    conn: &mut AsyncPgConnection,
    voter: Uuid,
    phone: &str,
) -> ApiResult<String> {
    throttle::admit_counted(
        conn,
        &format!("sms:{phone}"),
        CODES_PER_PHONE_PER_HOUR,
        3600.0,
    )
    .await?;
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let expires_at = Utc::now() + Duration::minutes(CODE_LIFETIME_MINUTES);
    diesel::insert_into(phone_codes::table)
        .values((
            phone_codes::voter_id.eq(voter),
            phone_codes::code_hash.eq(code_hash(voter, &code)),
            phone_codes::expires_at.eq(expires_at),
        ))
        .on_conflict(phone_codes::voter_id)
        .do_update()
        .set((
            phone_codes::code_hash.eq(code_hash(voter, &code)),
            phone_codes::expires_at.eq(expires_at),
            phone_codes::attempts.eq(0),
            phone_codes::created_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(code)
}

/// A self-registered voter whose phone is not proven (and whom staff have not verified) may
/// read but not submit: otherwise anyone could file opinions and book deputies in the name of
/// someone else's phone.
pub async fn check_may_submit<C>(conn: &mut C, caller: &Caller) -> ApiResult<()>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let Some(voter) = access::people::own_voter(caller) else {
        return Ok(());
    };
    let pending: bool = voters::table
        .find(voter)
        .select(voters::self_registered.and(voters::verified_at.is_null()))
        .first(conn)
        .await?;
    if pending {
        return Err(ApiError::forbidden_with(
            ErrorCode::PhoneNotVerified,
            "prove your phone first: enter the code we sent (POST /api/v1/me/phone/verify)",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneCode {
    /// The 6 digits sent to your phone.
    #[validate(length(equal = 6, message = "is 6 digits"))]
    #[schema(pattern = r"^[0-9]{6}$")]
    pub code: String,
}

/// Prove your phone with the code sent to it after registering. Five wrong tries end the
/// code; ask for a new one with `POST /me/phone/code`.
#[utoipa::path(
    tag = "auth",
    operation_id = "verify_phone",
    request_body = PhoneCode,
    responses(
        (status = 204, description = "Proven: you may now submit"),
        (status = 422, description = "Wrong or expired code (`code` names it)", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/phone/verify")]
#[tracing::instrument(skip_all)]
pub async fn verify_phone(authed: Authed, body: ValidJson<PhoneCode>) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    let voter = access::people::own_voter(&caller)
        .ok_or_else(|| ApiError::forbidden("only a voter proves their phone"))?;
    let stored: Option<(Vec<u8>, chrono::DateTime<Utc>, i32)> = phone_codes::table
        .find(voter)
        .select((
            phone_codes::code_hash,
            phone_codes::expires_at,
            phone_codes::attempts,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((hash, expires_at, attempts)) = stored else {
        return Err(ApiError::invalid_field(
            "code",
            "no code is waiting; ask for one",
        ));
    };
    if expires_at < Utc::now() || attempts >= MAX_ATTEMPTS {
        return Err(ApiError::invalid_field(
            "code",
            "has expired or was tried too often; ask for a new one",
        ));
    }
    if code_hash(voter, &body.0.code) != hash {
        diesel::update(phone_codes::table.find(voter))
            .set(phone_codes::attempts.eq(phone_codes::attempts + 1))
            .execute(&mut conn)
            .await?;
        return Err(ApiError::invalid_field("code", "does not match"));
    }
    diesel::delete(phone_codes::table.find(voter))
        .execute(&mut conn)
        .await?;
    diesel::update(voters::table.find(voter))
        .set((
            voters::verified_at.eq(Some(Utc::now())),
            voters::updated_at.eq(diesel::dsl::now),
        ))
        .execute(&mut conn)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a new code to your phone (a self-registered voter not yet proven).
#[utoipa::path(
    tag = "auth",
    operation_id = "send_phone_code",
    responses(
        (status = 202, description = "Sent"),
        (status = 409, description = "Your phone is proven already (`already_verified`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many codes for this phone", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/phone/code")]
#[tracing::instrument(skip_all)]
pub async fn send_phone_code(
    state: web::Data<AppState>,
    authed: Authed,
) -> ApiResult<HttpResponse> {
    let Authed { caller, mut conn } = authed;
    let voter = access::people::own_voter(&caller)
        .ok_or_else(|| ApiError::forbidden("only a voter proves their phone"))?;
    let (phone, pending): (String, bool) = voters::table
        .find(voter)
        .select((
            voters::phone,
            voters::self_registered.and(voters::verified_at.is_null()),
        ))
        .first(&mut conn)
        .await?;
    if !pending {
        return Err(ApiError::conflict(
            ErrorCode::AlreadyVerified,
            "your phone is proven already",
        ));
    }
    let code = issue_code(&mut conn, voter, &phone).await?;
    crate::sms::send_code(&state.settings.registration.sms, &phone, &code).await?;
    Ok(HttpResponse::Accepted().finish())
}
