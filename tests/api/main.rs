//! Black-box tests over HTTP against real PostgreSQL. Run with `make test`.

mod activities;
mod appointments;
mod auth;
mod bad_input;
mod bad_input_routes;
mod committees;
mod duty_records;
mod hardening;
mod helpers;
mod hostile_text;
mod imports;
mod liaison_groups;
mod lifecycle_properties;
mod matrix;
mod matrix_requests;
mod obligations;
mod openapi;
mod operations;
mod opinion_due_dates;
mod opinion_retries;
mod opinions;
mod people;
mod query_plans;
mod schedule;
mod stored_enums;
mod users;
