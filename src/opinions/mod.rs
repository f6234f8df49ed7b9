//! Opinions (意见建议) and their lifecycle: received → referred → answered → fed back.
//!
//! - `lifecycle`: the pure state machine;
//! - `workflow`: one step in one transaction (lock, check, write the opinion, its timeline
//!   event, referral and outbox rows);
//! - `model`: rows and queries; `dto`: what goes over the wire; `handlers`: HTTP.

pub mod command;
pub mod context;
pub mod domain;
pub mod dto;
pub mod handlers;
pub mod in_full;
pub mod lifecycle;
pub mod model;
pub mod outline;
pub mod referable;
pub mod steps;
pub mod transition;
pub mod workflow;
