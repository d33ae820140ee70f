//! Platform mechanisms the use cases and workers build on: idempotency
//! sessions, the outbox and its worker, periodic clean-up.

pub mod idempotency;
pub mod maintenance;
pub mod outbox;

/// Cuts the one row past `limit` that a query fetched to learn whether a
/// next page exists, and names where the next page starts.
pub fn paged<T>(mut rows: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    (rows, next)
}
