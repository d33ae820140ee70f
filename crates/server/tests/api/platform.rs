//! The platform foundation: errors, HTTP behaviour, health, docs,
//! observability, cache, idempotency, outbox, audit log and process lifecycle.

mod audit;
mod backup;
mod cache;
mod errors;
mod health;
mod idempotency;
mod lifecycle;
mod observability;
mod openapi;
mod outbox;
mod smtp;
