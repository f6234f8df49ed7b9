//! Keyset pagination. Ids are UUIDv7, so ordering by id is creation order and "the rows after
//! the last id seen" is an index range scan however deep the client pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// An opaque position in a list: clients pass back what they were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let invalid = || {
            ApiError::bad_request(
                ErrorCode::InvalidCursor,
                "the cursor is not one this service issued",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        Uuid::from_slice(&bytes).map(Cursor).map_err(|_| invalid())
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(Cursor::parse)
            .transpose()?
            .map(|c| c.0);
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one more than the page, to learn whether another page exists.
    pub fn fetch_limit(&self) -> i64 {
        self.limit + 1
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were fetched with `fetch_limit()` and ordered by id.
    pub fn from_rows<R>(
        rows: Vec<R>,
        page: PageRequest,
        id: impl Fn(&R) -> Uuid,
        into: impl Fn(R) -> T,
    ) -> Self {
        let (rows, next_cursor) = Self::cut(rows, page, id);
        Self {
            items: rows.into_iter().map(into).collect(),
            next_cursor,
        }
    }

    /// The page's rows (the extra one fetched to detect a next page dropped) and the cursor
    /// to the next page, for views built in one batch rather than row by row.
    pub fn cut<R>(
        mut rows: Vec<R>,
        page: PageRequest,
        id: impl Fn(&R) -> Uuid,
    ) -> (Vec<R>, Option<String>) {
        let has_more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|r| Cursor(id(r)).encode())
        } else {
            None
        };
        (rows, next_cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let id = Uuid::now_v7();
        assert_eq!(Cursor::parse(&Cursor(id).encode()).unwrap().0, id);
    }

    #[test]
    fn garbage_cursor_is_refused() {
        assert!(Cursor::parse("not-a-cursor!").is_err());
        assert!(Cursor::parse("AAAA").is_err());
    }

    #[test]
    fn limit_bounds() {
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(101), None).is_err());
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn page_reports_next_cursor_only_when_more_rows_exist() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let req = PageRequest {
            limit: 2,
            after: None,
        };
        let page = Page::from_rows(ids.clone(), req, |u| *u, |u| u);
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_cursor, Some(Cursor(ids[1]).encode()));
        let last = Page::from_rows(ids[..2].to_vec(), req, |u| *u, |u| u);
        assert_eq!(last.next_cursor, None);
    }
}
