//! Authentication: passwords, tokens, sessions and log-in throttling. Who the caller is, once
//! authenticated, lives in `access::caller`.

pub mod dto;
pub mod handlers;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;
