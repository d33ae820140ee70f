//! Platform mechanisms as the API meets them: the `Idempotency-Key` extractors.

pub mod idempotency;
