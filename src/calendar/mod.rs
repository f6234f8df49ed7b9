//! The official working-day calendar (holidays and make-up working days) that due dates are
//! counted against.

pub mod handlers;
pub mod local_time;
pub mod model;
pub mod working_days;

pub use local_time::{LocalDateTime, to_local, year_or_current};
pub use working_days::{DayKind, Period, WorkCalendar};
