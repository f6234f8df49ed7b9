//! Accounts: who can log in, with which role, bound to which part of the organisation.

pub mod domain;
pub mod dto;
pub mod handlers;
pub mod model;
