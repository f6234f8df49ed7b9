//! Handling bodies (承办单位): the organs that answer voters' opinions — government departments,
//! the supervisory commission, court, procuratorate, township governments, the Standing
//! Committee's own offices, city deputies.

pub mod domain;
pub mod dto;
pub mod handlers;
pub mod model;
