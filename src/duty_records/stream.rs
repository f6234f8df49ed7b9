//! A duty record's JSON written out as it is read: the deputy and the activities first, then
//! the opinions as their rows arrive, then the totals, counted along the way. A deputy can
//! take thousands of opinions in a year; built whole, a record held several megabytes while it
//! was serialised, times every request being answered at once (the server's memory followed
//! the number of records in flight). The fields come in the order `DutyRecord` declares them.
//!
//! The opinions are one statement, read as a stream by a task of their own that hands the
//! response its chunks as they fill. The task reads at the database's pace, not the client's:
//! a slow client must not hold the statement open past `statement_timeout` (it would be
//! cancelled half-way) nor keep a pooled connection, so what it has not yet taken waits in
//! memory as JSON, at worst the record's size. (Reading the opinions in keyset batches, short
//! statements each, re-read and re-sorted the deputy's year for every batch: a quarter of
//! the rate at 23,000 opinions.)

use actix_web::web::Bytes;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::{Stream, TryStreamExt};
use serde::Serialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::model::{RecordActivity, RecordHead, Totals, opinions_of_year, record_opinion};
use crate::db::{DbConn, with_custom_plans};
use crate::error::{ApiError, ApiResult};

/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 64 * 1024;

/// The record as a stream of JSON chunks. `head` was read before the response began, so a
/// deputy out of scope still answers 404; an error past that point ends the response early
/// (it is logged), as an export does.
pub fn json(
    conn: DbConn,
    head: RecordHead,
) -> ApiResult<impl Stream<Item = Result<Bytes, actix_web::Error>>> {
    let first = head_chunk(&head)?;
    let (chunks, received) = mpsc::unbounded_channel::<ApiResult<Bytes>>();
    actix_web::rt::spawn(async move {
        let mut conn = conn;
        let written = with_custom_plans(&mut conn, async |conn| {
            write_opinions(conn, &head, &chunks).await
        })
        .await;
        if let Err(e) = written {
            // Nobody to tell if the client has gone.
            let _ = chunks.send(Err(e));
        }
    });
    let rest = futures_util::stream::unfold(received, async |mut received| {
        let chunk = received.recv().await?;
        Some((chunk, received))
    });
    Ok(futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(Bytes::from(first)) }),
        futures_util::TryStreamExt::map_err(rest, |e: ApiError| {
            tracing::error!(error = %e.detail(), "a duty record failed part-way");
            actix_web::error::ErrorInternalServerError("the duty record failed part-way")
        }),
    ))
}

/// `{"representative_id":…,"name":…,"year":…,"activities":[…],"opinions":[`
fn head_chunk(head: &RecordHead) -> ApiResult<Vec<u8>> {
    #[derive(Serialize)]
    struct Head<'a> {
        representative_id: Uuid,
        name: &'a str,
        year: i32,
        activities: &'a [RecordActivity],
    }
    let mut out = serde_json::to_vec(&Head {
        representative_id: head.representative_id,
        name: &head.name,
        year: head.year,
        activities: &head.activities,
    })
    .map_err(ApiError::internal)?;
    out.pop(); // the closing brace: the opinions and totals follow
    out.extend_from_slice(br#","opinions":["#);
    Ok(out)
}

/// The opinions as JSON array elements and then the totals, sent a chunk at a time; stops
/// early, without an error, once the response is gone.
async fn write_opinions(
    conn: &mut AsyncPgConnection,
    head: &RecordHead,
    chunks: &mpsc::UnboundedSender<ApiResult<Bytes>>,
) -> ApiResult<()> {
    let mut totals = Totals::of_activities(&head.activities);
    let now = chrono::Utc::now();
    let mut rows = opinions_of_year(head.representative_id, head.period)
        .load_stream(conn)
        .await?;
    let mut chunk = Vec::with_capacity(CHUNK + 1024);
    let mut first = true;
    while let Some(row) = rows.try_next().await? {
        let o = record_opinion(row, now);
        if !std::mem::take(&mut first) {
            chunk.push(b',');
        }
        serde_json::to_writer(&mut chunk, &o).map_err(ApiError::internal)?;
        totals.count(&o);
        if chunk.len() >= CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK + 1024));
            if chunks.send(Ok(Bytes::from(full))).is_err() {
                return Ok(());
            }
        }
    }
    chunk.extend_from_slice(br#"],"totals":"#);
    serde_json::to_writer(&mut chunk, &totals).map_err(ApiError::internal)?;
    chunk.push(b'}');
    let _ = chunks.send(Ok(Bytes::from(chunk)));
    Ok(())
}
