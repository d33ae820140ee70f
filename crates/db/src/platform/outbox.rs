//! The transactional outbox: events enqueued in the caller's transaction,
//! claimed by workers with `FOR UPDATE SKIP LOCKED` under a lease, then
//! marked delivered, rescheduled or parked.

use std::time::Duration;

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

/// An event a worker has claimed and must now deliver.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    pub id: Uuid,
    pub topic: String,
    pub payload: serde_json::Value,
    /// Attempts including this one.
    pub attempts: i32,
    pub created_at: OffsetDateTime,
}

/// What an operator sees of an event.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: Uuid,
    pub topic: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
}

/// Enqueues an event; it is delivered only if the caller's transaction commits.
pub async fn enqueue(conn: &mut PgConnection, topic: &str, payload: &serde_json::Value) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO outbox_events (id, topic, payload) VALUES ($1, $2, $3)",
        id,
        topic,
        payload,
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due events for `lease`. Competing workers skip each
/// other's rows, and an event whose worker died is claimed again once its
/// lease has run out.
pub async fn claim_due(conn: &mut PgConnection, limit: i64, lease: Duration) -> Result<Vec<ClaimedEvent>> {
    let lease_seconds = lease.as_secs_f64();
    let events = sqlx::query_as!(
        ClaimedEvent,
        r#"UPDATE outbox_events e
              SET locked_until = now() + make_interval(secs => $2),
                  attempts = e.attempts + 1
            WHERE e.id IN (
                    SELECT id FROM outbox_events
                     WHERE status = 'pending'
                       AND available_at <= now()
                       AND (locked_until IS NULL OR locked_until <= now())
                     ORDER BY available_at, id
                     LIMIT $1
                       FOR UPDATE SKIP LOCKED)
        RETURNING e.id, e.topic, e.payload, e.attempts, e.created_at"#,
        limit,
        lease_seconds,
    )
    .fetch_all(conn)
    .await?;
    Ok(events)
}

pub async fn mark_delivered(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!(
        r#"UPDATE outbox_events
              SET status = 'delivered', delivered_at = now(), locked_until = NULL, last_error = NULL
            WHERE id = $1"#,
        id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn schedule_retry(conn: &mut PgConnection, id: Uuid, delay: Duration, error: &str) -> Result<()> {
    sqlx::query!(
        r#"UPDATE outbox_events
              SET available_at = now() + make_interval(secs => $2), locked_until = NULL, last_error = $3
            WHERE id = $1 AND status = 'pending'"#,
        id,
        delay.as_secs_f64(),
        error,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets an event aside for a human: it failed too often or cannot succeed.
pub async fn park(conn: &mut PgConnection, id: Uuid, error: &str) -> Result<()> {
    sqlx::query!(
        r#"UPDATE outbox_events SET status = 'parked', locked_until = NULL, last_error = $2
            WHERE id = $1 AND status = 'pending'"#,
        id,
        error,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<EventRow> {
    let row = sqlx::query_as!(
        EventRow,
        r#"SELECT id, topic, payload, status, attempts, last_error, created_at, delivered_at
             FROM outbox_events WHERE id = $1"#,
        id,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// The backlog, for metrics and alerts.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueStats {
    pub pending: i64,
    pub parked: i64,
    /// Age of the oldest pending event, 0 when there is none.
    pub oldest_pending_seconds: f64,
}

pub async fn queue_stats(conn: &mut PgConnection) -> Result<QueueStats> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'pending') AS "pending!",
                  count(*) FILTER (WHERE status = 'parked') AS "parked!",
                  coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8
                      AS "oldest_pending_seconds!"
             FROM outbox_events
            WHERE status IN ('pending', 'parked')"#
    )
    .fetch_one(conn)
    .await?;
    Ok(QueueStats {
        pending: row.pending,
        parked: row.parked,
        oldest_pending_seconds: row.oldest_pending_seconds,
    })
}

/// Removes delivered events older than `cutoff`; returns how many.
pub async fn purge_delivered_before(conn: &mut PgConnection, cutoff: OffsetDateTime) -> Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM outbox_events WHERE status = 'delivered' AND delivered_at < $1",
        cutoff
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
