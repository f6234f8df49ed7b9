//! Bulk imports of voters and deputies from the spreadsheets districts actually keep: CSV in
//! UTF-8 (with or without BOM) or GB18030/GBK (what Excel writes on Chinese Windows), and XLSX.
//!
//! All or nothing: every row is checked first and the answer names each bad row by line and
//! column; only a clean file is written, in one transaction. Rows are matched on a natural key,
//! so importing the same file again changes nothing. `dry_run=true` validates without writing.

pub mod handlers;
pub mod representatives;
pub mod table;
pub mod voters;

use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one cell (or row) of an imported file.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file; the header is line 1.
    pub line: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows in the file (the header excluded).
    pub rows: usize,
    /// Rows that were (or, in a dry run, would be) created.
    pub created: usize,
    /// Rows that match an existing record on the natural key and were left as they are.
    pub unchanged: usize,
}

pub enum Outcome {
    Done(ImportReport),
    Rejected(Vec<RowError>),
}
