//! Queries of the platform mechanisms: idempotency keys, the outbox, the
//! audit log and the health checks.

pub mod audit;
pub mod health;
pub mod idempotency;
pub mod outbox;
