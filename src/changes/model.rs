use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::dsl::{AsSelect, SqlTypeOf, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::access::Caller;
use crate::access::filters::change_filter;
use crate::db::schema::{changes_horizon, outbox};
use crate::error::{ApiError, ApiResult, ErrorCode};

/// A place in the feed: the writing transaction's id and the row's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub txid: i64,
    pub seq: i64,
}

impl Position {
    /// 16 bytes in unpadded base64url, like every cursor of this API.
    pub fn encode(self) -> String {
        let mut bytes = self.txid.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.seq.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(raw: &str) -> ApiResult<Self> {
        let invalid = || {
            ApiError::bad_request(
                ErrorCode::InvalidCursor,
                "the cursor is not one this feed issued",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let (txid, seq) = bytes.split_at_checked(8).ok_or_else(invalid)?;
        // Positions are never negative: every 16 bytes read as one (past the end if too big).
        let number = |b: &[u8]| {
            b.try_into()
                .map(|b| i64::try_from(u64::from_be_bytes(b)).unwrap_or(i64::MAX))
                .map_err(|_| invalid())
        };
        Ok(Self {
            txid: number(txid)?,
            seq: number(seq)?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Change {
    pub seq: i64,
    pub txid: i64,
    pub topic: String,
    pub subject_kind: String,
    pub aggregate_id: Uuid,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl Change {
    pub fn position(&self) -> Position {
        Position {
            txid: self.txid,
            seq: self.seq,
        }
    }
}

/// Which changes a reader wants: subject kinds (`opinion`) and exact types (`opinion.referred`).
#[derive(Debug, Default)]
pub struct TypeFilter {
    pub kinds: Vec<String>,
    pub types: Vec<String>,
}

impl TypeFilter {
    /// `kind` or `kind.what`, comma-separated, lower case and `_` (the spec's pattern); empty
    /// for every change.
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let mut filter = Self::default();
        let word =
            |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let raw = raw.unwrap_or_default();
        if raw.is_empty() {
            return Ok(filter);
        }
        for part in raw.split(',') {
            match part.split_once('.') {
                None if word(part) => filter.kinds.push(part.to_owned()),
                Some((kind, what)) if word(kind) && word(what) => {
                    filter.types.push(part.to_owned())
                }
                _ => {
                    return Err(ApiError::bad_request(
                        ErrorCode::InvalidQuery,
                        "types lists kinds (opinion) or types (opinion.referred), comma-separated",
                    ));
                }
            }
        }
        Ok(filter)
    }
}

/// Up to `limit` changes after `after` that the caller may read, oldest first. Only rows
/// below the snapshot's xmin: every transaction that could still commit an earlier row has
/// ended, so nothing will later appear before what this page served.
pub async fn page(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    after: Position,
    wanted: &TypeFilter,
    limit: i64,
) -> ApiResult<Vec<Change>> {
    let mut query = committed_after(after, limit).filter(change_filter(caller));
    if !wanted.kinds.is_empty() || !wanted.types.is_empty() {
        query = query.filter(
            outbox::subject_kind
                .eq_any(wanted.kinds.clone())
                .or(outbox::topic.eq_any(wanted.types.clone())),
        );
    }
    Ok(query.load(conn).await?)
}

/// Every change after `after`, as `page` serves them but for no reader in particular: what
/// the webhook fan-out hands on to each endpoint that may read it.
pub async fn all_after(
    conn: &mut AsyncPgConnection,
    after: Position,
    limit: i64,
) -> ApiResult<Vec<Change>> {
    Ok(committed_after(after, limit).load(conn).await?)
}

diesel::define_sql_function! {
    /// The newest transaction id below which every transaction has ended (a function its
    /// migration defines): changes written before it are all committed or gone.
    fn committed_txid_horizon() -> BigInt;
}

/// The feed after `after`, committed, in order: public so the query-plan test can `EXPLAIN` it.
pub fn committed_after(
    after: Position,
    limit: i64,
) -> outbox::BoxedQuery<'static, Pg, SqlTypeOf<AsSelect<Change, Pg>>> {
    // `txid >= a` bounds the index scan; spelled only as `txid > a OR (txid = a AND seq >
    // b)` the position was a filter, and every poll read the whole retained feed. The
    // horizon is a function (not raw SQL) so the statement stays prepared.
    outbox::table
        .filter(
            outbox::txid
                .ge(after.txid)
                .and(outbox::txid.gt(after.txid).or(outbox::seq.gt(after.seq))),
        )
        .filter(outbox::txid.lt(committed_txid_horizon()))
        .order((outbox::txid.asc(), outbox::seq.asc()))
        .limit(limit)
        .select(Change::as_select())
        .into_boxed()
}

/// The newest change a reader may be served now (`committed_after`'s horizon), if any. It
/// moves whenever a change becomes servable: the horizon only advances, and what it lets
/// through lies past everything it let through before.
pub async fn servable_head(conn: &mut AsyncPgConnection) -> QueryResult<Option<Position>> {
    let head: Option<(i64, i64)> = outbox::table
        .filter(outbox::txid.lt(committed_txid_horizon()))
        .order((outbox::txid.desc(), outbox::seq.desc()))
        .select((outbox::txid, outbox::seq))
        .first(conn)
        .await
        .optional()?;
    Ok(head.map(|(txid, seq)| Position { txid, seq }))
}

/// The last position retention has pruned: a cursor before it has lost changes.
pub async fn horizon(conn: &mut AsyncPgConnection) -> ApiResult<Position> {
    let (txid, seq) = changes_horizon::table
        .select((changes_horizon::txid, changes_horizon::seq))
        .first(conn)
        .await?;
    Ok(Position { txid, seq })
}

/// Drops changes older than `before` (only rows every reader could already have been served)
/// and moves the horizon past them. Safe on several replicas at once: deleting twice deletes
/// nothing, and the horizon only moves forward.
pub async fn prune(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> ApiResult<usize> {
    let deleted: Vec<(i64, i64)> = diesel::delete(
        outbox::table
            .filter(outbox::created_at.lt(before))
            .filter(outbox::txid.lt(committed_txid_horizon()))
            // Nor any change not yet handed on to webhook endpoints.
            .filter(sql::<Bool>(
                "(outbox.txid, outbox.seq) <= (SELECT txid, seq FROM webhook_fanout)",
            )),
    )
    .returning((outbox::txid, outbox::seq))
    .get_results(conn)
    .await?;
    if let Some(last) = deleted.iter().copied().max() {
        diesel::sql_query(
            "UPDATE changes_horizon SET txid = $1, seq = $2 WHERE (txid, seq) < ($1, $2)",
        )
        .bind::<diesel::sql_types::BigInt, _>(last.0)
        .bind::<diesel::sql_types::BigInt, _>(last.1)
        .execute(conn)
        .await?;
    }
    Ok(deleted.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_order_by_transaction_first() {
        let p = Position {
            txid: 1 << 40,
            seq: 7,
        };
        assert_eq!(Position::decode(&p.encode()).unwrap(), p);
        assert_eq!(p.encode().len(), 22);
        assert!(Position { txid: 2, seq: 1 } > Position { txid: 1, seq: 99 });
        assert!(Position::decode("not-a-cursor").is_err());
        // Every cursor of the declared shape reads as a position, never a negative one.
        let top = Position::decode("_____________________w").unwrap();
        assert_eq!((top.txid, top.seq), (i64::MAX, i64::MAX));
    }

    #[test]
    fn type_filters_split_kinds_from_exact_types() {
        let f = TypeFilter::parse(Some("opinion,activity.held")).unwrap();
        assert_eq!(f.kinds, ["opinion"]);
        assert_eq!(f.types, ["activity.held"]);
        assert!(TypeFilter::parse(None).unwrap().kinds.is_empty());
        assert!(TypeFilter::parse(Some("")).unwrap().types.is_empty());
        for bad in ["0.5", "opinion,,activity", "a.b.c", "Opinion", "opinion."] {
            assert!(TypeFilter::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
