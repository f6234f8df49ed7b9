//! A deputy's duty record (履职档案) for a year: the activities taken part in, the opinions
//! taken and where each stands, reports to voters with their evaluations; as JSON or CSV, and
//! the draft of the year's report to voters made from it (JSON and Markdown).

pub mod annual_reports;
pub mod draft;
pub mod handlers;
pub mod model;
pub mod stream;
