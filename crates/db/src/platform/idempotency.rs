//! Stored responses of idempotent requests.
//!
//! A request holds a transaction-scoped advisory lock on its key while it
//! runs; a second request with the same key that cannot take the lock is in
//! flight at the same time and is told so, instead of waiting or running twice.

use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::Result;

/// Identifies a key: who asked, on which route, with which key.
#[derive(Debug, Clone, Copy)]
pub struct KeyRef<'a> {
    pub scope: &'a str,
    pub route: &'a str,
    pub key: &'a str,
}

/// A response kept for replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_hash: Vec<u8>,
    pub status: i16,
    /// `[[name, value], ...]`
    pub headers: serde_json::Value,
    pub body: Vec<u8>,
}

/// Takes the key's lock for the rest of the transaction; `false` when another
/// transaction holds it (the same request is in flight).
pub async fn try_lock(conn: &mut PgConnection, key: KeyRef<'_>) -> Result<bool> {
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(
               hashtextextended($1 || chr(31) || $2 || chr(31) || $3, 0)
           ) AS "locked!""#,
        key.scope,
        key.route,
        key.key,
    )
    .fetch_one(conn)
    .await?;
    Ok(locked)
}

pub async fn find(conn: &mut PgConnection, key: KeyRef<'_>) -> Result<Option<StoredResponse>> {
    let row = sqlx::query_as!(
        StoredResponse,
        r#"SELECT request_hash, response_status AS status, response_headers AS headers,
                  response_body AS body
             FROM idempotency_keys
            WHERE scope = $1 AND route = $2 AND key = $3"#,
        key.scope,
        key.route,
        key.key,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn save(conn: &mut PgConnection, key: KeyRef<'_>, response: &StoredResponse) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO idempotency_keys
               (scope, route, key, request_hash, response_status, response_headers, response_body)
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        key.scope,
        key.route,
        key.key,
        response.request_hash,
        response.status,
        response.headers,
        response.body,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes keys stored before `cutoff`; returns how many.
pub async fn purge_stored_before(conn: &mut PgConnection, cutoff: OffsetDateTime) -> Result<u64> {
    let done = sqlx::query!("DELETE FROM idempotency_keys WHERE created_at < $1", cutoff)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Takes the key's lock for the connection's session (a request that spans
/// several transactions, such as a checkout calling a gateway between
/// them); `false` when someone else holds it. Release it with
/// [`unlock_session`]; a connection that closes releases it too.
pub async fn try_lock_session(conn: &mut PgConnection, key: KeyRef<'_>) -> Result<bool> {
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_lock(
               hashtextextended($1 || chr(31) || $2 || chr(31) || $3, 0)
           ) AS "locked!""#,
        key.scope,
        key.route,
        key.key,
    )
    .fetch_one(conn)
    .await?;
    Ok(locked)
}

pub async fn unlock_session(conn: &mut PgConnection, key: KeyRef<'_>) -> Result<()> {
    sqlx::query_scalar!(
        r#"SELECT pg_advisory_unlock(hashtextextended($1 || chr(31) || $2 || chr(31) || $3, 0)) AS "unlocked!""#,
        key.scope,
        key.route,
        key.key,
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}
