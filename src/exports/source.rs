//! What every export reads from: headings, then batches of rows until there are none.

use diesel_async::AsyncPgConnection;

use super::format::HeaderLanguage;
use crate::error::ApiResult;

/// Rows read per statement.
pub const BATCH: i64 = 1000;

/// (Chinese, English) headings of one column.
pub type Column = (&'static str, &'static str);

pub trait RowSource {
    fn headings(&self, language: HeaderLanguage) -> Vec<&'static str>;

    /// The next batch of rows, or None once every row is out.
    fn next_batch(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> impl Future<Output = ApiResult<Option<Vec<Vec<String>>>>>;
}

/// Where a keyset walk through a list stands: the last id written, and whether the last
/// batch was the final one.
#[derive(Debug, Default)]
pub struct Keyset {
    after: Option<uuid::Uuid>,
    done: bool,
}

impl Keyset {
    /// The next page to read, or None once the walk is over.
    pub fn page(&self) -> Option<crate::pagination::PageRequest> {
        (!self.done).then_some(crate::pagination::PageRequest {
            limit: BATCH,
            after: self.after,
        })
    }

    /// Takes a batch read with `page()` (a list reads one row more than asked) and moves past
    /// it; None when it held nothing.
    pub fn advance<T>(
        &mut self,
        mut rows: Vec<T>,
        id: impl Fn(&T) -> uuid::Uuid,
    ) -> Option<Vec<T>> {
        rows.truncate(BATCH as usize);
        self.done = rows.len() < BATCH as usize;
        self.after = rows.last().map(&id);
        (!rows.is_empty()).then_some(rows)
    }
}

pub fn headings_of(columns: &[Column], language: HeaderLanguage) -> Vec<&'static str> {
    columns
        .iter()
        .map(|(zh, en)| match language {
            HeaderLanguage::Zh => *zh,
            HeaderLanguage::En => *en,
        })
        .collect()
}
