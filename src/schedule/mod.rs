//! Published reception schedules (Art. 8.3): recurring reception rules per home or station
//! (RFC 5545, expanded by the rrule crate), and the public schedule they and published
//! activities make, as JSON and as an iCalendar feed.

pub mod dto;
pub mod handlers;
pub mod ics;
pub mod model;
pub mod public;
pub mod recurrence;
pub mod rota;
