//! The organisation tree: the Standing Committee, its working committees, joint groups and
//! townships. Scope for staff is a subtree of it.

pub mod domain;
pub mod dto;
pub mod handlers;
pub mod kept_policies;
pub mod model;
pub mod policy;
