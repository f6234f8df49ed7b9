//! Liaison groups, homes and stations (代表联络组 / 代表之家 / 代表联络站): where deputies meet
//! voters. Homes and stations are also published on a public, unauthenticated list.

pub mod domain;
pub mod dto;
pub mod handlers;
pub mod model;
