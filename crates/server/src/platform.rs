//! Platform mechanisms handlers and workers build on.

pub mod idempotency;
pub mod maintenance;
pub mod outbox;
