//! Platform mechanisms the use cases and workers build on: idempotency
//! sessions, the outbox and its worker, periodic clean-up.

pub mod idempotency;
pub mod maintenance;
pub mod outbox;
