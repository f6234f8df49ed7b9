use std::time::{Duration, Instant};

use actix_web::{get, web};

use super::dto::{ChangeList, ChangeView, ChangesQuery};
use super::model::{self, Position, TypeFilter};
use crate::access::{Action, Authed};
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::pagination::PageRequest;
use crate::state::AppState;

/// The longest a reader may ask to wait for a change.
const MAX_WAIT_SECS: u32 = 30;
/// How often a waiting reader looks again even when no change was announced.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// Changes since `after`, oldest first: every committed change exactly once to a reader that
/// keeps passing `next_cursor`, however transactions interleave. `data` holds ids, states and
/// dates; fetch the record for the rest. A cursor older than the retention period answers 410
/// `cursor_expired`: read everything again from the records, then follow the feed from a
/// fresh start.
#[utoipa::path(
    tag = "changes",
    operation_id = "list_changes",
    params(ChangesQuery),
    responses(
        (status = 200, description = "A page of changes", body = ChangeList),
        (status = 410, description = "The cursor is older than the changes kept: resynchronise", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[get("/changes")]
#[tracing::instrument(skip_all)]
pub async fn list_changes(
    authed: Authed,
    state: web::Data<AppState>,
    query: web::Query<ChangesQuery>,
) -> ApiResult<web::Json<ChangeList>> {
    let Authed { caller, conn } = authed;
    caller.require(Action::ReadChanges)?;
    let page = PageRequest::parse(query.limit, None)?;
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidQuery,
            format!("wait is at most {MAX_WAIT_SECS} seconds"),
        ));
    }
    let after = match query.after.as_deref().filter(|a| !a.is_empty()) {
        Some(raw) => Some(Position::decode(raw)?),
        None => None,
    };
    let wanted = TypeFilter::parse(query.types.as_deref())?;
    let deadline = Instant::now() + Duration::from_secs(wait.into());
    let mut conn = conn;
    // Once, before any waiting: a cursor retention has passed will not become valid.
    if let Some(after) = after {
        if after < model::horizon(&mut conn).await? {
            return Err(ApiError::new(
                actix_web::http::StatusCode::GONE,
                ErrorCode::CursorExpired,
                "changes this old are no longer kept: read the records again, then follow \
                 the feed from its start",
            ));
        }
    }
    let mut commits = state.changes.subscribe();
    let mut conn = Some(conn);
    let rows = loop {
        commits.borrow_and_update();
        let mut db = match conn.take() {
            Some(c) => c,
            None => state.db().await?,
        };
        let rows = model::page(
            &mut db,
            &caller,
            after.unwrap_or_default(),
            &wanted,
            page.limit,
        )
        .await?;
        let now = Instant::now();
        if !rows.is_empty() || now >= deadline {
            break rows;
        }
        // Nothing yet: give the connection back while waiting for a commit.
        drop(db);
        let _ = tokio::time::timeout((deadline - now).min(LOOK_AGAIN), commits.changed()).await;
    };
    let next = rows.last().map(|c| c.position()).or(after);
    Ok(web::Json(ChangeList {
        next_cursor: next.map(Position::encode),
        items: rows.into_iter().map(ChangeView::from).collect(),
    }))
}
