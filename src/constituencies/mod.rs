//! Constituencies (选区): belong to a working committee or township; voters live in one and
//! district deputies are elected from one.

pub mod dto;
pub mod handlers;
pub mod model;
