//! Contact activities (联系选民活动): every way deputies meet voters, from a work plan entry
//! (person, time and place set: 三落实) to the record of it held (who came, what they raised,
//! each issue an opinion) or its cancellation. Reports to voters (述职) are activities too, and
//! keep voters' evaluations.

pub mod changes;
pub mod declarations;
pub mod domain;
pub mod dto;
pub mod evaluations;
pub mod handlers;
pub mod model;
pub mod workflow;
