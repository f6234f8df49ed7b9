//! Each deputy's obligations (annual report, household contact, station rota, centralised
//! contact, pre-session consultation, no overdue opinions), judged by a pure module from what
//! the deputy did, with the activities that count as evidence. Thresholds are per committee.

pub mod handlers;
pub mod links;
pub mod model;
pub mod rules;
pub mod sessions;
pub mod stream;
