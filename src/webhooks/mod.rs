//! Webhooks (Standard Webhooks): endpoints that receive, signed, each change their owner
//! could read from the changes feed. Every write already queues its change in the outbox in
//! the same transaction; `fanout` hands each change on to the endpoints that may read it,
//! `worker` sends and retries on `schedule`, `guard` keeps requests off private networks.
//!
//! - `handlers`/`dto`/`model`: the endpoints (`/api/v1/webhooks`);
//! - `deliveries`: messages, their attempts, claiming and recording;
//! - `signing`: secrets and signatures.

pub mod deliveries;
pub mod dto;
pub mod fanout;
pub mod guard;
pub mod handlers;
pub mod model;
pub mod schedule;
pub mod signing;
pub mod worker;
