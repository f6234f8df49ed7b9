//! `Idempotency-Key` for retried writes (mini-program networks drop answers, not requests).
//!
//! The key is claimed inside the same transaction as the write it guards and the answer is
//! stored before that transaction commits, so either both the write and its stored answer
//! exist or neither does. A concurrent repeat waits on the claimed key (PostgreSQL's unique
//! index blocks it) and then replays the stored answer. Only successful answers are kept: a
//! refused request changed nothing and may simply be sent again. Keys belong to one account
//! and are forgotten after `KEY_TTL_HOURS`.

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::{Ready, ready};
use uuid::Uuid;

use crate::db::Ending;
use crate::db::schema::idempotency_keys;
use crate::error::{ApiError, ApiResult, ErrorCode};

pub const HEADER: &str = "Idempotency-Key";
pub const KEY_TTL_HOURS: i64 = 24;

/// The optional `Idempotency-Key` header: 1 to 200 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(raw) = req.headers().get(HEADER) else {
            return ready(Ok(Self(None)));
        };
        let valid =
            raw.to_str().ok().map(str::trim).filter(|k| {
                !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic())
            });
        ready(match valid {
            Some(k) => Ok(Self(Some(k.to_owned()))),
            None => Err(ApiError::bad_request(
                ErrorCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 200 visible ASCII characters",
            )),
        })
    }
}

impl IdempotencyKey {
    /// The key with the request's fingerprint, if a key was sent.
    pub fn with(self, fingerprint: [u8; 32]) -> Option<(String, [u8; 32])> {
        self.0.map(|k| (k, fingerprint))
    }
}

/// An answer as first sent, replayed to repeats.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl StoredResponse {
    /// A JSON answer, with the version as ETag and where a created record lives.
    pub fn json(
        status: u16,
        body: &impl serde::Serialize,
        version: i32,
        location: Option<String>,
    ) -> ApiResult<Self> {
        Ok(Self {
            status,
            body: serde_json::to_vec(body).map_err(ApiError::internal)?,
            etag: Some(crate::conditional::etag(version)),
            location,
        })
    }

    pub fn into_response(self, replayed: bool) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        response.content_type("application/json");
        if let Some(etag) = self.etag {
            response.insert_header(("ETag", etag));
        }
        if let Some(location) = self.location {
            response.insert_header(("Location", location));
        }
        if replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.body(self.body)
    }
}

enum Claim {
    /// First use: go ahead, then `record` the answer in the same transaction.
    Fresh,
    Replay(StoredResponse),
}

/// Claims `key` for this request, inside the caller's transaction.
async fn claim(
    conn: &mut AsyncPgConnection,
    account: Uuid,
    key: &str,
    fingerprint: &[u8; 32],
) -> ApiResult<Claim> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::account_id.eq(account))
            .filter(idempotency_keys::key.eq(key))
            .filter(
                idempotency_keys::created_at
                    .lt(chrono::Utc::now() - chrono::Duration::hours(KEY_TTL_HOURS)),
            ),
    )
    .execute(conn)
    .await?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::account_id.eq(account),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(fingerprint.to_vec()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    type Row = (
        Vec<u8>,
        Option<i32>,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
    );
    let (hash, status, body, etag, location): Row = idempotency_keys::table
        .find((account, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::response_body,
            idempotency_keys::etag,
            idempotency_keys::location,
        ))
        .first(conn)
        .await?;
    if hash != fingerprint {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request; use a new key",
        ));
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
            status: status as u16,
            body,
            etag,
            location,
        })),
        // Unreachable while answers are recorded in the claiming transaction; refuse rather
        // than run the write twice.
        _ => Err(ApiError::conflict(
            ErrorCode::IdempotencyKeyInUse,
            "a request with this Idempotency-Key is still being processed",
        )),
    }
}

/// Runs `write` in one transaction under an optional key (the request's Idempotency-Key and
/// fingerprint): the first request claims the key, writes and stores its answer; a repeat
/// replays that answer with `Idempotent-Replayed: true` and writes nothing. Every route that
/// takes an `Idempotency-Key` goes through here. Without a key nothing is written after
/// `write`, so it may send the COMMIT with its last statements (its `Ending`).
pub async fn run(
    conn: &mut AsyncPgConnection,
    account: Uuid,
    key: Option<(String, [u8; 32])>,
    mut write: impl AsyncFnMut(&mut AsyncPgConnection, Ending) -> ApiResult<StoredResponse>,
) -> ApiResult<HttpResponse> {
    let (response, replayed) = crate::db::in_transaction(conn, async |conn| {
        if let Some((k, fingerprint)) = &key
            && let Claim::Replay(r) = claim(conn, account, k, fingerprint).await?
        {
            return Ok::<_, ApiError>((r, true));
        }
        let ending = Ending::for_work(conn, key.is_none());
        let response = write(conn, ending).await?;
        if let Some((k, _)) = &key {
            record(conn, account, k, &response).await?;
        }
        Ok((response, false))
    })
    .await?;
    Ok(response.into_response(replayed))
}

/// Stores the answer under the claimed key, in the same transaction as the write.
async fn record(
    conn: &mut AsyncPgConnection,
    account: Uuid,
    key: &str,
    response: &StoredResponse,
) -> ApiResult<()> {
    diesel::update(idempotency_keys::table.find((account, key)))
        .set((
            idempotency_keys::status.eq(i32::from(response.status)),
            idempotency_keys::response_body.eq(&response.body),
            idempotency_keys::etag.eq(&response.etag),
            idempotency_keys::location.eq(&response.location),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
