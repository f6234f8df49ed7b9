//! Sessions (refresh-token families) and their rotation.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::tokens::{hash_refresh_token, random_token};
use crate::db::schema::{accounts, refresh_tokens, sessions};
use crate::error::ApiError;

pub struct Issued {
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub refresh_token: String,
    pub session_expires_at: DateTime<Utc>,
}

async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<String, ApiError> {
    let token = random_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(hash_refresh_token(&token)),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(token)
}

pub async fn start(
    conn: &mut AsyncPgConnection,
    account_id: Uuid,
    ttl: std::time::Duration,
) -> Result<Issued, ApiError> {
    let session_id = Uuid::now_v7();
    let expires_at = Utc::now() + Duration::seconds(ttl.as_secs() as i64);
    crate::db::in_transaction(conn, async |conn| {
        diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(session_id),
                sessions::account_id.eq(account_id),
                sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)
            .await?;
        let refresh_token = insert_refresh_token(conn, session_id, expires_at).await?;
        Ok(Issued {
            account_id,
            session_id,
            refresh_token,
            session_expires_at: expires_at,
        })
    })
    .await
}

pub enum Rotation {
    Rotated(Issued),
    /// The token was already used: someone holds a copy. The whole family has been revoked.
    Reused,
    Invalid,
}

/// Exchanges a refresh token for a new one in the same session. The row lock makes two
/// concurrent uses of one token resolve as one rotation and one reuse.
pub async fn rotate(conn: &mut AsyncPgConnection, presented: &str) -> Result<Rotation, ApiError> {
    let hash = hash_refresh_token(presented);
    crate::db::in_transaction(conn, async |conn| {
        type Row = (
            Option<DateTime<Utc>>,
            DateTime<Utc>,
            Uuid,
            Uuid,
            Option<DateTime<Utc>>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        );
        let row: Option<Row> = refresh_tokens::table
            .inner_join(sessions::table.inner_join(accounts::table))
            .filter(refresh_tokens::token_hash.eq(&hash))
            .select((
                refresh_tokens::used_at,
                refresh_tokens::expires_at,
                sessions::id,
                sessions::account_id,
                sessions::revoked_at,
                sessions::expires_at,
                accounts::disabled_at,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((
            used_at,
            token_expires,
            session_id,
            account_id,
            revoked_at,
            session_expires,
            disabled_at,
        )) = row
        else {
            return Ok(Rotation::Invalid);
        };
        if used_at.is_some() {
            revoke_session(conn, session_id, "refresh_token_reuse").await?;
            return Ok(Rotation::Reused);
        }
        let now = Utc::now();
        if revoked_at.is_some()
            || disabled_at.is_some()
            || token_expires <= now
            || session_expires <= now
        {
            return Ok(Rotation::Invalid);
        }
        diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(&hash)))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)
            .await?;
        let refresh_token = insert_refresh_token(conn, session_id, session_expires).await?;
        Ok(Rotation::Rotated(Issued {
            account_id,
            session_id,
            refresh_token,
            session_expires_at: session_expires,
        }))
    })
    .await
}

pub async fn revoke_session(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    reason: &str,
) -> Result<(), ApiError> {
    diesel::update(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(diesel::dsl::now),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the session a refresh token belongs to. Unknown tokens are ignored: logging out is
/// idempotent and must not reveal which tokens exist.
pub async fn revoke_by_refresh_token(
    conn: &mut AsyncPgConnection,
    presented: &str,
) -> Result<(), ApiError> {
    let session: Option<Uuid> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_refresh_token(presented)))
        .select(refresh_tokens::session_id)
        .first(conn)
        .await
        .optional()?;
    if let Some(session_id) = session {
        revoke_session(conn, session_id, "logout").await?;
    }
    Ok(())
}

/// Ends every live session of the account.
pub async fn revoke_all_for_account(
    conn: &mut AsyncPgConnection,
    account_id: Uuid,
    reason: &str,
) -> Result<(), ApiError> {
    revoke_for_account(conn, account_id, None, reason).await
}
/// Ends every session of the account but `keep`: the one that just proved the password.
pub async fn revoke_others_for_account(
    conn: &mut AsyncPgConnection,
    account_id: Uuid,
    keep: Uuid,
    reason: &str,
) -> Result<(), ApiError> {
    revoke_for_account(conn, account_id, Some(keep), reason).await
}

async fn revoke_for_account(
    conn: &mut AsyncPgConnection,
    account_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<(), ApiError> {
    let mut live = sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::revoked_at.is_null())
        .into_boxed();
    if let Some(keep) = keep {
        live = live.filter(sessions::id.ne(keep));
    }
    diesel::update(sessions::table.filter(sessions::id.eq_any(live.select(sessions::id))))
        .set((
            sessions::revoked_at.eq(diesel::dsl::now),
            sessions::revoked_reason.eq(reason),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
