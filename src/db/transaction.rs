//! One transaction of work, with as few round trips of its own as the work allows: `BEGIN`
//! travels with the work's first statements, and `COMMIT` may travel with its last.

use diesel::QueryResult;
use diesel::connection::{TransactionDepthChange, TransactionManagerStatus};
use diesel_async::{
    AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
    TransactionManager,
};

use super::prepared::KeepPreparedDsl;

/// What `in_transaction` asks of an error to know whether the work may run again.
pub trait Transient {
    /// An error that a second try of the same transaction may not meet: a deadlock or a
    /// serialization failure, where PostgreSQL chose this transaction to give way.
    fn is_transient(&self) -> bool;

    /// This error, met after the work's own `COMMIT` had succeeded: what the work wrote
    /// stands, so nothing may run it again (`access::AuthedWrite` would, after any failure of
    /// its folded attempt). Errors that cannot say so stay as they are.
    fn after_commit(self) -> Self
    where
        Self: Sized,
    {
        self
    }
}

impl Transient for diesel::result::Error {
    fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
            Error::DatabaseError(_, info) => info.message().contains("deadlock detected"),
            _ => false,
        }
    }
}

/// Tries of one transaction when PostgreSQL asks it to give way (deadlock, serialization).
const TRANSACTION_TRIES: u32 = 3;

/// Runs `work` in one transaction: committed if it answers `Ok`, rolled back otherwise. A
/// deadlock or serialization failure rolls back and runs `work` again, up to three tries in
/// all; after that the error goes to the caller (a 503 with Retry-After). Work that sent its
/// own `COMMIT` with its last statements (`Ending::WithTheWork`) has ended the transaction.
///
/// diesel-async's own `transaction` needs a closure whose future is provably `Send`, which a
/// generic caller (`idempotency::run`) cannot promise; actix handlers never move between
/// threads, so this one asks nothing of the future.
pub async fn in_transaction<T, E>(
    conn: &mut AsyncPgConnection,
    mut work: impl AsyncFnMut(&mut AsyncPgConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error> + Transient,
{
    let mut tries = 0;
    loop {
        tries += 1;
        begin_ahead(conn).await?;
        let error = match work(conn).await {
            Ok(value) if ended_ahead(conn) => return Ok(value),
            Ok(value) => match AnsiTransactionManager::commit_transaction(conn).await {
                Ok(()) => return Ok(value),
                // A serialization failure can surface at commit.
                Err(e) => E::from(e),
            },
            // Only an answer read wrongly can fail the work after its COMMIT succeeded (the
            // statements before it all had, or the COMMIT would have rolled back): committed,
            // the work must not run again.
            Err(error) if ended_ahead(conn) => return Err(error.after_commit()),
            Err(error) => {
                // A failed rollback leaves the connection marked broken; the pool then drops
                // it instead of handing out a connection stuck in a transaction.
                if let Err(rollback) = AnsiTransactionManager::rollback_transaction(conn).await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                error
            }
        };
        if !error.is_transient() || tries >= TRANSACTION_TRIES {
            return Err(error);
        }
        tracing::info!(tries, "transaction gave way; trying again");
        tokio::time::sleep(std::time::Duration::from_millis(10 * u64::from(tries))).await;
    }
}

/// Whether the work ended the transaction itself (`Ending::ended`).
fn ended_ahead(conn: &mut AsyncPgConnection) -> bool {
    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn),
        TransactionManagerStatus::Valid(status) if status.transaction_depth().is_none()
    )
}

/// Who commits a transaction: `in_transaction` after the work, or the work itself, with `COMMIT`
/// sent in the round trip of its last statements (one round trip fewer; bench/NOTES.md, state
/// transition). Only where nothing is written after those statements, and only in the
/// outermost transaction: a savepoint is released by the transaction around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The work's last round trip carries `COMMIT` (`commit`, then `ended`).
    WithTheWork,
    /// `in_transaction` commits once the work, and what its caller writes after it, are done.
    AfterTheWork,
}

impl Ending {
    /// `WithTheWork` where the work writes last (`last`) in the outermost transaction.
    pub fn for_work(conn: &mut AsyncPgConnection, last: bool) -> Self {
        let outermost = matches!(
            AnsiTransactionManager::transaction_manager_status_mut(conn),
            TransactionManagerStatus::Valid(status)
                if status.transaction_depth().is_some_and(|depth| depth.get() == 1)
        );
        if last && outermost {
            Ending::WithTheWork
        } else {
            Ending::AfterTheWork
        }
    }

    /// Sends `COMMIT` when the work ends the transaction, after every statement sent on `conn`
    /// before it: awaited together with them (`try_join!`), the last round trip carries it.
    /// Should any of them fail, the transaction is aborted and its `COMMIT` rolls it back.
    ///
    /// Prepared, so that it queues behind them: every prepared statement takes the connection's
    /// statement cache in turn (a fair lock, held while a statement is being prepared), where a
    /// simple `COMMIT` would go out at once, ahead of a statement still being prepared, and
    /// leave that one to run outside the transaction (tested).
    pub async fn commit(self, conn: &AsyncPgConnection) -> QueryResult<()> {
        match self {
            Ending::AfterTheWork => Ok(()),
            Ending::WithTheWork => {
                let mut conn = conn;
                diesel::sql_query("COMMIT")
                    .keep_prepared()
                    .execute(&mut conn)
                    .await?;
                Ok(())
            }
        }
    }

    /// Tells diesel's transaction manager the transaction has ended, once `commit` and every
    /// statement sent before it have succeeded; `in_transaction` then does not commit again.
    /// If any failed, the manager still holds the transaction open, and the `ROLLBACK` that
    /// `in_transaction` sends ends nothing more than the aborted `COMMIT` did.
    pub fn ended(self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        if self == Ending::AfterTheWork {
            return Ok(());
        }
        match AnsiTransactionManager::transaction_manager_status_mut(conn) {
            TransactionManagerStatus::Valid(status) => {
                status.change_transaction_depth(TransactionDepthChange::DecreaseDepth)
            }
            TransactionManagerStatus::InError => {
                Err(diesel::result::Error::BrokenTransactionManager)
            }
        }
    }
}

/// Opens a transaction whose `BEGIN` travels with its first statements: sent now, its answer
/// not awaited, so the work's first round trip carries both (a write's round trips are most of
/// what it costs the database and the server beside it; bench/NOTES.md, state transition).
///
/// Its answer is safe to leave unread. On a connection outside any transaction, as diesel's
/// transaction manager says this one is (it is asked first; inside a transaction the savepoint is
/// taken the usual way, awaited), `BEGIN` cannot fail but with the connection, and then so does
/// every statement after it. The manager is told the transaction is open at once, as its own `BEGIN`
/// would tell it: a request dropped half-way leaves a connection the pool will not hand out.
async fn begin_ahead(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    use futures_util::FutureExt;
    let TransactionManagerStatus::Valid(status) =
        AnsiTransactionManager::transaction_manager_status_mut(conn)
    else {
        return Err(diesel::result::Error::BrokenTransactionManager);
    };
    if status.transaction_depth().is_some() {
        return AnsiTransactionManager::begin_transaction(conn).await;
    }
    let mut shared: &AsyncPgConnection = conn;
    // The first poll queues the statement on the connection, ahead of any sent after it; the
    // answer, once it comes, is dropped unread.
    if let Some(Err(e)) = shared.batch_execute("BEGIN").now_or_never() {
        return Err(e);
    }
    match AnsiTransactionManager::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(status) => {
            status.change_transaction_depth(TransactionDepthChange::IncreaseDepth)
        }
        TransactionManagerStatus::InError => Err(diesel::result::Error::BrokenTransactionManager),
    }
}
