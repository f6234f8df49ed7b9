//! Figures for reports (`/api/v1/stats/…`), computed from the append-only timeline so that a
//! report can be reproduced as it was printed (`as_of`) and no later edit changes it.
//!
//! - `dto`: the query, the figures and the definitions every answer carries;
//! - `opinion_sql`: the statements over `opinion_measures` and `referrals`;
//! - `sums`: long reports from yearly and monthly sums, durations in buckets (`histogram`);
//! - `measures`: keeps `opinion_measures` current after the steps that change them commit;
//! - `activities`: activity figures and the rota's receptions held against scheduled;
//! - `report`: the opinion report as answered and exported;
//! - `handlers`: the routes.

pub mod activities;
pub mod dto;
pub mod handlers;
mod histogram;
pub mod measures;
pub mod opinion_sql;
pub mod report;
mod sums;
