use actix_web::{get, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::dto::{NotificationFilter, NotificationList, NotificationQuery, NotificationView};
use super::model::{self, After, NotificationRow};
use crate::access::Authed;
use crate::calendar::to_local;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::pagination::PageRequest;

fn view(row: NotificationRow) -> NotificationView {
    let (id, kind, opinion_id, opinion_title, referral_id, created_at, read_at) = row;
    NotificationView {
        id,
        kind,
        opinion_id,
        opinion_title,
        referral_id,
        created_at: to_local(created_at),
        read_at: read_at.map(to_local),
    }
}

/// The list is ordered unread first, so a position is (read?, id): one flag byte and the id.
fn encode(after: After) -> String {
    let mut bytes = vec![u8::from(after.read)];
    bytes.extend_from_slice(after.id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode(raw: &str) -> ApiResult<After> {
    let invalid = || {
        ApiError::bad_request(
            ErrorCode::InvalidCursor,
            "the cursor is not one this service issued",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    match bytes.split_first() {
        Some((&flag, id)) if flag <= 1 => Ok(After {
            read: flag == 1,
            id: Uuid::from_slice(id).map_err(|_| invalid())?,
        }),
        _ => Err(invalid()),
    }
}

/// Your notifications: urgent opinions and overdue referrals of your committee (and, for the
/// district Standing Committee's staff, of the whole district). Unread first.
#[utoipa::path(
    tag = "notifications",
    operation_id = "list_notifications",
    params(NotificationQuery),
    responses((status = 200, description = "A page of notifications", body = NotificationList)),
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub async fn list_notifications(
    authed: Authed,
    query: web::Query<NotificationQuery>,
) -> ApiResult<web::Json<NotificationList>> {
    let Authed { caller, mut conn } = authed;
    // The limit is checked as for every list; the cursor is this list's own.
    let page = PageRequest::parse(query.limit, None)?;
    let after = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode)
        .transpose()?;
    let filter = query.state.unwrap_or(NotificationFilter::All);
    let mut rows = model::page(
        &mut conn,
        caller.account_id,
        filter,
        after,
        page.fetch_limit(),
    )
    .await?;
    let next_cursor = if rows.len() as i64 > page.limit {
        rows.truncate(page.limit as usize);
        rows.last().map(|r| {
            encode(After {
                read: r.6.is_some(),
                id: r.0,
            })
        })
    } else {
        None
    };
    let unread = model::unread_count(&mut conn, caller.account_id).await?;
    Ok(web::Json(NotificationList {
        items: rows.into_iter().map(view).collect(),
        unread,
        next_cursor,
    }))
}

/// Mark one of your notifications read. Reading it again keeps the first time.
#[utoipa::path(
    tag = "notifications",
    operation_id = "read_notification",
    params(("id" = Uuid, Path, description = "Notification id")),
    responses((status = 200, description = "The notification, read", body = NotificationView)),
)]
#[post("/{id}/read")]
#[tracing::instrument(skip_all)]
pub async fn read_notification(
    authed: Authed,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<NotificationView>> {
    let Authed { caller, mut conn } = authed;
    Ok(web::Json(view(
        model::mark_read(&mut conn, caller.account_id, *id).await?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cursor_of_the_declared_shape_is_read() {
        for read in [false, true] {
            let issued = encode(After {
                read,
                id: Uuid::now_v7(),
            });
            assert_eq!(issued.len(), 23);
            assert!(issued.starts_with('A'));
            assert!(decode(&issued).is_ok());
        }
        for shaped in [
            "AfAAAAAAAAAAAAAAAAAAAAw",
            "AA____________________8",
            "AB0123456789abcdefghijE",
        ] {
            assert!(decode(shaped).is_ok(), "{shaped}");
        }
    }
}
