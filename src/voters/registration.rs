//! Voter self-registration. The answer is the same whether or not the account was created, so
//! the endpoint cannot be used to learn which usernames or voters exist.

use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::model::{self, NewVoter, StoredIdNumber};
use crate::auth::handlers::client_address;
use crate::auth::{passwords, throttle};
use crate::db::schema::{accounts, constituencies, voters};
use crate::error::{ApiError, ApiResult, Problem};
use crate::pii::PhoneNumber;
use crate::request::{ValidJson, not_blank};
use crate::state::AppState;
use crate::users::domain::{NewPassword, Username};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "lihua1990", "password": "a long password", "name": "李华", "phone": "13900000002", "constituency_id": "0190f5a0-0000-7000-8000-000000000031"}))]
pub struct RegisterVoter {
    #[schema(value_type = String, min_length = 3, max_length = 64, pattern = r"^[A-Za-z0-9._@-]{3,64}$")]
    pub username: Username,
    #[schema(value_type = String, min_length = 10, max_length = 128, format = Password)]
    pub password: NewPassword,
    #[validate(
        length(min = 1, max = 100, message = "must be 1 to 100 characters"),
        custom(function = "not_blank")
    )]
    #[schema(pattern = r"\S", min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(value_type = String, pattern = r"^[ -]*(\+[ -]*8[ -]*6[ -]*)?(1[ -]*[3-9]([ -]*[0-9]){9}|0([ -]*[0-9]){9,11})[ -]*$")]
    pub phone: PhoneNumber,
    /// The constituency id (see `GET /public/v1/constituencies`). `constituency`, its earlier
    /// name, is still accepted for one release.
    #[serde(alias = "constituency")]
    pub constituency_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationReceived {
    /// Always `received`.
    pub status: &'static str,
    pub detail: &'static str,
}

const RECEIVED: RegistrationReceived = RegistrationReceived {
    status: "received",
    detail: "If the username was free, the account now exists and can log in. A code is on its way to the phone: until it is entered (POST /api/v1/me/phone/verify) or staff verify the voter, the account can read but not submit.",
};

fn is_unique_violation(err: &ApiError) -> bool {
    err.status() == actix_web::http::StatusCode::CONFLICT
        && err.code() == crate::error::ErrorCode::AlreadyExists
}

/// Register as a voter: creates a voter record and its account, unverified until staff in
/// scope verify it. Rate limited per client address. Always answers 202 with the same body.
#[utoipa::path(
    tag = "auth",
    operation_id = "register_voter",
    request_body = RegisterVoter,
    responses(
        (status = 202, description = "Received", body = RegistrationReceived),
        (status = 429, description = "Too many registrations from this address", body = Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
#[post("/register")]
#[tracing::instrument(skip_all)]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<RegisterVoter>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let address = client_address(&req, state.settings.trust_proxy_headers);
    let mut conn = state.db().await?;
    throttle::admit_registration(&mut conn, &state.settings.registration, &address).await?;
    let constituency_exists: i64 = constituencies::table
        .filter(constituencies::id.eq(b.constituency_id))
        .count()
        .get_result(&mut conn)
        .await?;
    if constituency_exists == 0 {
        // Constituencies are public, so naming this field reveals nothing.
        return Err(ApiError::invalid_field(
            "constituency_id",
            "no such constituency",
        ));
    }
    let password = b.password.expose();
    passwords::check_strength(
        &password,
        &[b.username.as_str(), b.name.as_str(), b.phone.as_str()],
        "password",
    )?;
    let password_hash = passwords::hash(password).await?;
    let voter = NewVoter {
        id: Uuid::now_v7(),
        name: b.name.trim().to_owned(),
        constituency_id: b.constituency_id,
        phone: b.phone.as_str().to_owned(),
        address: None,
    };
    let outcome = crate::db::in_transaction(&mut conn, async |conn| {
        model::insert(conn, &voter, StoredIdNumber::default()).await?;
        diesel::insert_into(accounts::table)
            .values((
                accounts::id.eq(Uuid::now_v7()),
                accounts::username.eq(b.username.as_str()),
                accounts::password_hash.eq(&password_hash),
                accounts::role.eq("voter"),
                accounts::voter_id.eq(voter.id),
            ))
            .execute(conn)
            .await?;
        diesel::update(voters::table.find(voter.id))
            .set(voters::self_registered.eq(true))
            .execute(conn)
            .await?;
        super::phone::issue_code(conn, voter.id, &voter.phone).await
    })
    .await;
    match outcome {
        Ok(code) => {
            tracing::info!(voter_id = %voter.id, "voter registered");
            crate::sms::send_code(&state.settings.registration.sms, &voter.phone, &code).await?;
        }
        Err(e) if is_unique_violation(&e) => {
            tracing::info!("registration not created: duplicate");
        }
        Err(other) => return Err(other),
    }
    Ok(HttpResponse::Accepted().json(RECEIVED))
}
