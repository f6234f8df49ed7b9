//! Staff notifications (station rules §6: an urgent matter is reported to the district and
//! township offices at once). Written in the same transaction as the urgent opinion, and by a
//! sweep for lead referrals past their due date that is safe to run on every replica: each
//! referral is claimed once (`FOR UPDATE SKIP LOCKED`), and a unique index keeps one
//! notification per account, kind, opinion and referral whatever races.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod sweep;
