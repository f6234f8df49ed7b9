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

pub fn headings_of(columns: &[Column], language: HeaderLanguage) -> Vec<&'static str> {
    columns
        .iter()
        .map(|(zh, en)| match language {
            HeaderLanguage::Zh => *zh,
            HeaderLanguage::En => *en,
        })
        .collect()
}
