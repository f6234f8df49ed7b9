//! Meetings at a voter's request (应选民约请): a voter asks to meet a deputy; the deputy or
//! staff in scope accept it (it becomes a `voter_requested` activity with time and place) or
//! decline it with a reason; it ends held or cancelled with that activity.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod states;
