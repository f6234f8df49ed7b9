//! Reads and writes that check the session in their own round trip.
//!
//! `Authed` loads the caller before the handler runs: a round trip of its own, then the
//! handler's. On the hottest reads that is half their time, and a tenth of a write's database
//! work. `AuthedRead` and `AuthedWrite` instead remember, per session, whom they last found
//! there (a hint, never trusted), and run the handler's statement for that caller with the
//! session check folded into it as a condition: one statement (a pipeline of the check and the
//! read sent two, each its own transaction in the database, and served a seventh fewer GETs).
//! The condition is that the callers' generation has not moved since the hint was loaded
//! (`caller::SessionStamp`): any committed change to a session, an account or the committee
//! tree moves it. When it has moved, the session has reached its end, or there is no hint
//! yet, the work runs again for the live caller (a write's first attempt rolled back), so what
//! is answered or written is always theirs. The hint decides only what is sent first, never
//! what is shown or done, so no replica needs telling when it goes stale.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use diesel::IntoSql;
use diesel_async::AsyncPgConnection;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::caller::{
    Authed, Caller, SessionStamp, bearer_claims, live_caller_stamped, unchanged_since,
};
use super::filters::Filter;
use crate::auth::tokens::Claims;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::kept::Kept;

/// Whom each session (and, for a service client, each granted scope) was last found to be,
/// with what a person's session was found with.
#[derive(Debug, Default)]
pub struct CallerHints(Kept<(Uuid, Option<String>), (Caller, Option<SessionStamp>), 10_000>);

impl CallerHints {
    fn get(&self, claims: &Claims) -> Option<(Caller, Option<SessionStamp>)> {
        self.0.get(&(claims.sid, claims.scope.clone()))
    }

    fn put(&self, claims: &Claims, caller: &Caller, stamp: Option<SessionStamp>) {
        self.0
            .put((claims.sid, claims.scope.clone()), (caller.clone(), stamp));
    }
}

/// A verified token and the request's one connection, the session not yet checked.
struct Unchecked {
    hints: web::Data<CallerHints>,
    claims: Claims,
    path: String,
    conn: DbConn,
}

impl Unchecked {
    fn from_request(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let claims = bearer_claims(req);
        let hints = req.app_data::<web::Data<CallerHints>>().cloned();
        let path = req.path().to_owned();
        Box::pin(async move {
            let (state, claims) = claims?;
            let hints =
                hints.ok_or_else(|| ApiError::internal(anyhow::anyhow!("caller hints missing")))?;
            let conn = state.db().await?;
            Ok(Unchecked {
                hints,
                claims,
                path,
                conn,
            })
        })
    }
}

/// Whether a statement may carry the session check in place of loading the caller: a person's
/// session (a service client's grant is not a row to compare), not yet at its end, whose hint
/// may reach the path.
fn may_fold(claims: &Claims, path: &str, hint: &Caller, stamp: &SessionStamp) -> bool {
    claims.scope.is_none() && stamp.lasts() && hint.may_reach(path).is_ok()
}

/// A verified token and the request's one connection; the session is checked by `run`.
pub struct AuthedRead(Unchecked);

/// Work of a read: statements sent for `caller` on the shared connection (several at once
/// pipeline), carrying the `SessionCheck` they are given. It must only read: it may run for
/// a caller the session no longer has. `None` is nothing found.
pub type ReadWork<'c, T> = LocalBoxFuture<'c, ApiResult<T>>;

impl FromRequest for AuthedRead {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let unchecked = Unchecked::from_request(req);
        Box::pin(async move { Ok(AuthedRead(unchecked.await?)) })
    }
}

impl AuthedRead {
    /// Runs `work` as the live caller, in the session check's round trip when there is a
    /// hint. For a person's session the check is folded into the work's statement: the work
    /// adds `check.condition()` to it, and the statement then finds nothing unless nothing
    /// the caller is loaded from has changed since the hint's stamp. For a service client
    /// (whose grant is not a row to compare) the work is pipelined beside the check, and
    /// kept if the live caller's access is the hint's. A folded read that finds nothing
    /// (`None`) or fails is done again the long way (the session checked, then the work for
    /// the live caller), so only what is there for the live caller is answered, and the
    /// session's refusal (401, 403) comes before anything the work found.
    pub async fn run<T, F>(self, work: F) -> ApiResult<(Authed, Option<T>)>
    where
        F: for<'c> Fn(
            &'c Caller,
            SessionCheck<'c>,
            &'c AsyncPgConnection,
        ) -> ReadWork<'c, Option<T>>,
    {
        let Unchecked {
            hints,
            claims,
            path,
            conn,
        } = self.0;
        let shared: &AsyncPgConnection = &conn;
        let mut check = shared;
        let (caller, stamp, done) = match hints.get(&claims) {
            Some((hint, Some(stamp))) if may_fold(&claims, &path, &hint, &stamp) => {
                let folded = SessionCheck::folded(&stamp);
                if let Ok(Some(done)) = work(&hint, folded, shared).await {
                    return Ok((Authed { caller: hint, conn }, Some(done)));
                }
                let (live, stamp) = live_caller_stamped(&mut check, &claims, &path).await?;
                (live, stamp, None)
            }
            Some((hint, _)) => {
                let (live, done) = futures_util::join!(
                    live_caller_stamped(&mut check, &claims, &path),
                    work(&hint, SessionCheck::done(), shared)
                );
                let (live, stamp) = live?;
                let done = live.same_access(&hint).then_some(done);
                (live, stamp, done)
            }
            None => {
                let (live, stamp) = live_caller_stamped(&mut check, &claims, &path).await?;
                (live, stamp, None)
            }
        };
        let done = match done {
            Some(done) => done,
            None => work(&caller, SessionCheck::done(), shared).await,
        };
        hints.put(&claims, &caller, stamp);
        let done = done?;
        Ok((Authed { caller, conn }, done))
    }
}

/// A verified token and the request's one connection, for a write whose first attempt checks
/// the session in the statement that locks its row (see `run`).
pub struct AuthedWrite(Unchecked);

impl FromRequest for AuthedWrite {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let unchecked = Unchecked::from_request(req);
        Box::pin(async move { Ok(AuthedWrite(unchecked.await?)) })
    }
}

impl AuthedWrite {
    /// Runs `work`, one transaction, as the live caller. With a hint that may be folded (and
    /// `fold`), it runs first for the hint, adding `check.condition()` to the statement that
    /// locks the row it writes: that statement then finds nothing unless nothing the caller is
    /// loaded from has changed since the hint's stamp. The work must fail when it finds
    /// nothing there. Any failure of that attempt, which its transaction has rolled back, runs
    /// the work again the long way: the session checked, then the work for the live caller,
    /// whose answer (a refusal of the session first) is the one given; a failure met after the
    /// attempt's own COMMIT succeeded is answered as it is. `fold` is false where
    /// the work may answer without reaching that statement: a replayed Idempotency-Key, an
    /// opinion named again by its external reference.
    pub async fn run<T>(
        self,
        fold: bool,
        work: impl AsyncFn(&Caller, SessionCheck<'_>, &mut AsyncPgConnection) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let Unchecked {
            hints,
            claims,
            path,
            mut conn,
        } = self.0;
        let hint = if fold { hints.get(&claims) } else { None };
        if let Some((hint, Some(stamp))) = hint
            && may_fold(&claims, &path, &hint, &stamp)
        {
            match work(&hint, SessionCheck::folded(&stamp), &mut conn).await {
                Ok(done) => return Ok(done),
                // Its writes stand (`db::Ending`): running it again would write them twice.
                Err(e) if e.met_after_commit() => return Err(e),
                Err(_) => {}
            }
        }
        let (caller, stamp) = live_caller_stamped(&mut *conn, &claims, &path).await?;
        hints.put(&claims, &caller, stamp);
        work(&caller, SessionCheck::done(), &mut conn).await
    }
}

/// The session check as a condition of a read's or a write's statement (see
/// `AuthedRead::run`, `AuthedWrite::run`).
#[derive(Clone, Copy)]
pub struct SessionCheck<'c> {
    folded: Option<&'c SessionStamp>,
}

impl<'c> SessionCheck<'c> {
    /// For a read made after the session was checked.
    pub fn done() -> Self {
        SessionCheck { folded: None }
    }

    /// For a read whose statement checks that nothing the caller was loaded from has changed
    /// since `stamp` (the caller must not have reached the session's end).
    pub fn folded(stamp: &'c SessionStamp) -> Self {
        SessionCheck {
            folded: Some(stamp),
        }
    }

    /// The condition to add to the read's statement: that nothing the caller was loaded from
    /// has changed, or, once the session has been checked, none (a bound `TRUE`, so the
    /// statement stays prepared).
    pub fn condition<QS>(&self) -> Filter<QS> {
        match self.folded {
            Some(stamp) => unchanged_since(stamp),
            None => Box::new(true.into_sql::<diesel::sql_types::Bool>()),
        }
    }
}
