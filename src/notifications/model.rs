use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::dto::{NotificationFilter, NotificationKind};
use crate::db::schema::{notifications, opinions};
use crate::error::{ApiError, ApiResult};

/// The staff told: committee staff of the opinion's committee and of the district Standing
/// Committee at the root of its tree, whose accounts are not disabled.
const RECIPIENTS: &str = "JOIN committees c ON c.id = o.committee_id \
     JOIN accounts a ON a.role = 'committee_staff' AND a.disabled_at IS NULL \
      AND a.committee_id IN (o.committee_id, c.ancestors[1])";

/// Tells the staff of an urgent opinion, in the caller's transaction.
pub async fn notify_urgent<C>(conn: &mut C, opinion: Uuid) -> ApiResult<()>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    diesel::sql_query(format!(
        "INSERT INTO notifications (id, account_id, kind, opinion_id) \
         SELECT uuid_generate_v7(), a.id, $2, o.id FROM opinions o {RECIPIENTS} \
         WHERE o.id = $1 ON CONFLICT DO NOTHING"
    ))
    .bind::<SqlUuid, _>(opinion)
    .bind::<Text, _>(NotificationKind::UrgentOpinion.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `batch` lead referrals past their due date that nobody has announced, and
/// tells their staff, in one statement. Replicas sweeping at once skip each other's claims.
/// Returns how many referrals were claimed.
pub async fn sweep_overdue(conn: &mut AsyncPgConnection, batch: i64) -> ApiResult<usize> {
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let claimed: Claimed = diesel::sql_query(format!(
        "WITH due AS ( \
           UPDATE referrals SET overdue_notified_at = now() \
           WHERE id IN ( \
             SELECT id FROM referrals \
             WHERE role = 'lead' AND answered_at IS NULL AND returned_at IS NULL \
               AND overdue_notified_at IS NULL AND due_at < now() \
             ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
           RETURNING id, opinion_id), \
         told AS ( \
           INSERT INTO notifications (id, account_id, kind, opinion_id, referral_id) \
           SELECT uuid_generate_v7(), a.id, $2, o.id, due.id \
           FROM due JOIN opinions o ON o.id = due.opinion_id {RECIPIENTS} \
           ON CONFLICT DO NOTHING) \
         SELECT count(*) AS n FROM due"
    ))
    .bind::<BigInt, _>(batch)
    .bind::<Text, _>(NotificationKind::ReferralOverdue.as_str())
    .get_result(conn)
    .await?;
    Ok(claimed.n.max(0) as usize)
}

pub type NotificationRow = (
    Uuid,
    NotificationKind,
    Uuid,
    String,
    Option<Uuid>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// The columns of a `NotificationRow`, from notifications joined to their opinion.
const COLUMNS: (
    notifications::id,
    notifications::kind,
    notifications::opinion_id,
    opinions::title,
    notifications::referral_id,
    notifications::created_at,
    notifications::read_at,
) = (
    notifications::id,
    notifications::kind,
    notifications::opinion_id,
    opinions::title,
    notifications::referral_id,
    notifications::created_at,
    notifications::read_at,
);

/// Where a page starts: after this notification, which was unread or read when listed.
#[derive(Debug, Clone, Copy)]
pub struct After {
    pub read: bool,
    pub id: Uuid,
}

/// One page of an account's notifications, unread first, newest first within each.
pub async fn page(
    conn: &mut AsyncPgConnection,
    account: Uuid,
    filter: NotificationFilter,
    after: Option<After>,
    fetch: i64,
) -> ApiResult<Vec<NotificationRow>> {
    let mut query = notifications::table
        .inner_join(opinions::table)
        .filter(notifications::account_id.eq(account))
        .into_boxed();
    query = match filter {
        NotificationFilter::Unread => query.filter(notifications::read_at.is_null()),
        NotificationFilter::Read => query.filter(notifications::read_at.is_not_null()),
        NotificationFilter::All => query,
    };
    query = match after {
        None => query,
        Some(After { read: false, id }) => query.filter(
            notifications::read_at
                .is_null()
                .and(notifications::id.lt(id))
                .or(notifications::read_at.is_not_null()),
        ),
        Some(After { read: true, id }) => query.filter(
            notifications::read_at
                .is_not_null()
                .and(notifications::id.lt(id)),
        ),
    };
    Ok(query
        .select(COLUMNS)
        .order((
            notifications::read_at.is_not_null(),
            notifications::id.desc(),
        ))
        .limit(fetch)
        .load(conn)
        .await?)
}

pub async fn unread_count(conn: &mut AsyncPgConnection, account: Uuid) -> ApiResult<i64> {
    Ok(notifications::table
        .filter(notifications::account_id.eq(account))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
        .await?)
}

/// Marks one of the account's notifications read (the first reading time stays).
pub async fn mark_read(
    conn: &mut AsyncPgConnection,
    account: Uuid,
    id: Uuid,
) -> ApiResult<NotificationRow> {
    let found = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::account_id.eq(account)),
    )
    .set(notifications::read_at.eq(diesel::dsl::sql::<
        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
    >("coalesce(read_at, now())")))
    .execute(conn)
    .await?;
    if found == 0 {
        return Err(ApiError::not_found("notification"));
    }
    Ok(notifications::table
        .inner_join(opinions::table)
        .filter(notifications::id.eq(id))
        .select(COLUMNS)
        .first(conn)
        .await?)
}
