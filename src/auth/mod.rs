//! Authentication: passwords, tokens, log-in throttling and the `Caller` extractor.

pub mod caller;
pub mod dto;
pub mod handlers;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod tokens;
