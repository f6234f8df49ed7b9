//! Deputies (人大代表): their profile, the public (公示) view of it, and their contact links
//! with fixed-contact households and voter liaisons.

pub mod contacts;
pub mod domain;
pub mod dto;
pub mod handlers;
pub mod model;
