//! Platform mechanisms the use cases and workers build on: idempotency
//! sessions, the outbox and its worker, periodic clean-up.

pub mod idempotency;
pub mod maintenance;
pub mod outbox;
pub mod staff;

use crate::error::{AppError, FieldError};

/// A page size as a client asks for it: 1 to 100, `default` when absent.
pub fn page_limit(limit: Option<i64>, default: i64) -> Result<i64, AppError> {
    match limit {
        None => Ok(default),
        Some(limit) if (1..=100).contains(&limit) => Ok(limit),
        Some(_) => Err(AppError::validation(vec![FieldError::new(
            "limit",
            "out_of_range",
            "a whole number from 1 to 100",
        )])),
    }
}

/// Cuts the one row past `limit` that a query fetched to learn whether a
/// next page exists, and names where the next page starts.
pub fn paged<T>(mut rows: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    (rows, next)
}

/// Keyset cursor over (created_at, id), as `{unix nanoseconds}.{uuid}`.
pub fn encode_cursor(at: time::OffsetDateTime, id: uuid::Uuid) -> String {
    format!("{}.{id}", at.unix_timestamp_nanos())
}

/// A cursor [`encode_cursor`] gave; any other is a field error.
pub fn decode_cursor(raw: &str) -> Result<(time::OffsetDateTime, uuid::Uuid), AppError> {
    let invalid = || AppError::validation(vec![FieldError::new("cursor", "invalid", "not a cursor this API gave")]);
    let (nanos, id) = raw.split_once('.').ok_or_else(invalid)?;
    let at = nanos
        .parse::<i128>()
        .ok()
        .and_then(|n| time::OffsetDateTime::from_unix_timestamp_nanos(n).ok())
        .ok_or_else(invalid)?;
    Ok((at, id.parse().map_err(|_| invalid())?))
}
