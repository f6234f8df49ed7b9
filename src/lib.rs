//! liaison: the REST/JSON backend for deputies' contact with voters.
//!
//! A request's way: `startup::routes` → a handler in `<resource>/handlers.rs` → `ValidJson`
//! parses and validates the body → the `Caller` extractor authenticates → `scope` decides →
//! `<resource>/model.rs` queries → a DTO from `<resource>/dto.rs` is returned. Errors are
//! `error::ApiError` throughout.

pub mod access;
pub mod activities;
pub mod appointments;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod changes;
pub mod committees;
pub mod conditional;
pub mod config;
pub mod congress_sessions;
pub mod constituencies;
pub mod contract;
pub mod db;
pub mod demo;
pub mod duty_records;
pub mod error;
pub mod exports;
pub mod external_refs;
pub mod handling_bodies;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod kept;
pub mod liaison_groups;
pub mod notifications;
pub mod obligations;
pub mod openapi;
pub mod opinions;
pub mod outbox;
pub mod pagination;
pub mod pii;
pub mod representatives;
pub mod request;
pub mod responses;
pub mod schedule;
pub mod service_clients;

pub mod sms;
pub mod startup;
pub mod state;
pub mod stats;
pub mod telemetry;
pub mod timestamps;
pub mod users;
pub mod voters;
pub mod webhooks;
