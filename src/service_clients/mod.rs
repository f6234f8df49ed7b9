//! Service clients: machines (the deputy activity service system, reporting jobs) sign in with
//! OAuth 2.0 client credentials (RFC 6749 §4.4) at `POST /api/v1/auth/token` and act within the
//! scopes they hold (`access::scopes`) and the committee subtree they are bound to, if any.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod secrets;
pub mod token;
