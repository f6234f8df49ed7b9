//! Reads whose first statements go out with the session check, in one round trip.
//!
//! `Authed` loads the caller before the handler runs: a round trip of its own, then the
//! handler's. On the hottest reads that is half their time. `AuthedRead` instead remembers,
//! per session, whom it last found there (a hint, never trusted): the handler's statements
//! run for that caller while the session is checked on the same connection, pipelined. If the
//! live caller's access differs from the hint (role, binding or scopes changed, or no hint
//! yet), the work runs again for the live caller, so what is answered is always theirs. The
//! hint decides only what is sent first, never what is shown, so no replica needs telling
//! when it goes stale.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::caller::{Authed, Caller, bearer_claims, live_caller};
use crate::auth::tokens::Claims;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::kept::Kept;

/// Whom each session (and, for a service client, each granted scope) was last found to be.
#[derive(Debug, Default)]
pub struct CallerHints(Kept<(Uuid, Option<String>), Caller, 10_000>);

impl CallerHints {
    fn get(&self, claims: &Claims) -> Option<Caller> {
        self.0.get(&(claims.sid, claims.scope.clone()))
    }

    fn put(&self, claims: &Claims, caller: &Caller) {
        self.0
            .put((claims.sid, claims.scope.clone()), caller.clone());
    }
}

/// A verified token and the request's one connection; the session is checked by `run`.
pub struct AuthedRead {
    hints: web::Data<CallerHints>,
    claims: Claims,
    path: String,
    conn: DbConn,
}

/// Work of a read: statements sent for `caller` on the shared connection (several at once
/// pipeline). It must only read: it may run for a caller the session no longer has.
pub type ReadWork<'c, T> = LocalBoxFuture<'c, ApiResult<T>>;

impl FromRequest for AuthedRead {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let claims = bearer_claims(req);
        let hints = req.app_data::<web::Data<CallerHints>>().cloned();
        let path = req.path().to_owned();
        Box::pin(async move {
            let (state, claims) = claims?;
            let hints =
                hints.ok_or_else(|| ApiError::internal(anyhow::anyhow!("caller hints missing")))?;
            let conn = state.db().await?;
            Ok(AuthedRead {
                hints,
                claims,
                path,
                conn,
            })
        })
    }
}

impl AuthedRead {
    /// Runs `work` as the live caller, in the session check's round trip when the hint holds.
    /// Answers the session's refusal (401, 403) before anything the work found.
    pub async fn run<T, F>(self, work: F) -> ApiResult<(Authed, T)>
    where
        F: for<'c> Fn(&'c Caller, &'c AsyncPgConnection) -> ReadWork<'c, T>,
    {
        let AuthedRead {
            hints,
            claims,
            path,
            conn,
        } = self;
        let shared: &AsyncPgConnection = &conn;
        let mut check = shared;
        // The work done for the hint, kept only if the live caller's access is the hint's.
        let (caller, done) = match hints.get(&claims) {
            Some(hint) => {
                let (live, done) = futures_util::join!(
                    live_caller(&mut check, &claims, &path),
                    work(&hint, shared)
                );
                let live = live?;
                let done = live.same_access(&hint).then_some(done);
                (live, done)
            }
            None => (live_caller(&mut check, &claims, &path).await?, None),
        };
        let done = match done {
            Some(done) => done,
            None => work(&caller, shared).await,
        };
        hints.put(&claims, &caller);
        let done = done?;
        Ok((Authed { caller, conn }, done))
    }
}
