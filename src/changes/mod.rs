//! The changes feed (`GET /api/v1/changes`): every committed change exactly once, in an order
//! consistent with commits, for integrators that keep their copy in step. It reads the
//! transactional outbox that every write fills. A row is served only once no transaction
//! that could still add an earlier row is running (rows below the snapshot's xmin, in
//! (transaction id, sequence) order), so a consumer that keeps passing `next_cursor` never
//! skips a change, however long some writer's transaction stays open.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod retention;
pub mod signal;
pub mod watch;
