//! Who may see and do what: the one place for permission rules, which every handler and every
//! query goes through. Handlers never test roles themselves.
//!
//! - `caller`: who is asking (role and binding) and the `Authed` extractor that loads them;
//! - `pipelined`: `AuthedRead` and `AuthedWrite`, for hot reads and opinion writes whose own
//!   statement also checks the session;
//! - `roles`: what each role may do at all (`Caller::require(Action)`);
//! - `filters`: row filters that narrow every query to the caller's scope, so an out-of-scope
//!   row is simply not found (404), indistinguishable from a missing one;
//! - one file of rules per resource (`tree`, `accounts`, `people`, `opinions`, `activities`),
//!   each a `check_*` that answers `ApiResult<()>` with one wording per refusal, as Lemmy's
//!   `check_*` functions do, or a `sees_*` that decides what a view shows.
//!
//! This module sits below the resources: it imports `db`, `error`, `state` and the pure
//! vocabularies of a resource (`opinions::lifecycle`), never a resource's handlers or models.

pub mod accounts;
pub mod activities;
pub mod caller;
pub mod filters;
pub mod opinions;
pub mod people;
pub mod pipelined;
pub mod roles;
pub mod scopes;
pub mod stats;
pub mod tree;
pub mod webhooks;

pub use caller::{Authed, Binding, BindingIds, Caller, Role};
pub use pipelined::{AuthedRead, AuthedWrite};
pub use roles::Action;
pub use scopes::Scope;
