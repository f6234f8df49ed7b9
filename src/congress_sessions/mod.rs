//! Congress sessions (人民代表大会会议) per level, with the dates they sit. The pre-session
//! consultation (会前征求意见) is judged against each session's opening (township rules §2).

pub mod dto;
pub mod handlers;
pub mod model;
