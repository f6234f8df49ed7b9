//! Exports for spreadsheets: CSV (UTF-8 with a byte-order mark) and XLSX, with Chinese or
//! English headers. Rows are read in keyset batches and written as they come, so an export of
//! a million rows never sits in memory. An export leaves the system, so it carries less than
//! the screen: no phone numbers, addresses or ID numbers for anyone, a voter's name only for
//! staff in scope.
//!
//! - `cells`: formula neutralising, CSV lines;
//! - `format`: CSV or XLSX, header language, the attachment's file name;
//! - `source`: what every export reads from (headings, then batches);
//! - `opinions`, `activities`: each export's columns and rows;
//! - `stats`: the opinion report as CSV, or XLSX with a chart per sheet;
//! - `handlers`: the routes.

pub mod activities;
pub mod cells;
pub mod format;
pub mod handlers;
pub mod opinions;
pub mod source;
pub mod stats;
pub mod xlsx;
