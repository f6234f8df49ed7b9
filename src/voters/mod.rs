//! Voters (选民) and their protected personal data: phone shown in full only to staff in scope
//! and the voter; ID numbers encrypted at rest, found by keyed hash, only ever shown masked.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod phone;
pub mod registration;
