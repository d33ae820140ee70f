//! Periodic clean-up: expired idempotency keys and old delivered events.

use std::time::Duration;

use comptoir_db::PgPool;
use comptoir_db::platform::{idempotency, outbox};
use comptoir_domain::platform::IDEMPOTENCY_RETENTION;
use time::OffsetDateTime;
use tokio::sync::watch;

/// Delivered events are kept a week for investigations.
const DELIVERED_EVENT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const INTERVAL: Duration = Duration::from_secs(15 * 60);

pub async fn run(pool: PgPool, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if let Err(err) = purge_once(&pool).await {
            tracing::error!(error = %err, "maintenance failed; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

pub async fn purge_once(pool: &PgPool) -> Result<(), comptoir_db::Error> {
    let now = OffsetDateTime::now_utc();
    let mut conn = pool.acquire().await?;
    let keys = idempotency::purge_stored_before(&mut conn, now - IDEMPOTENCY_RETENTION).await?;
    let events = outbox::purge_delivered_before(&mut conn, now - DELIVERED_EVENT_RETENTION).await?;
    if keys + events > 0 {
        tracing::info!(
            idempotency_keys = keys,
            delivered_events = events,
            "purged old platform rows"
        );
    }
    Ok(())
}
