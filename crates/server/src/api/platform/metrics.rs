//! `/metrics` in the Prometheus text format.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::app::AppState;

/// Request, database pool, cache and outbox metrics of this instance, and
/// the shop's own (orders, revenue, payments, open low-stock alerts).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "platform",
    responses((status = 200, description = "Prometheus text exposition format.", content_type = "text/plain", body = String)),
)]
pub async fn render(State(state): State<AppState>) -> Response {
    record_pool_gauges(&state);
    record_outbox_gauges(&state).await;
    state.metrics.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

fn record_pool_gauges(state: &AppState) {
    let size = state.db.size();
    let idle = u32::try_from(state.db.num_idle()).unwrap_or(u32::MAX);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(f64::from(size.saturating_sub(idle)));
    metrics::gauge!("db_pool_max_connections").set(f64::from(state.config.database_max_connections));
}

/// Read at scrape time so every instance reports the shared queue as it is.
async fn record_outbox_gauges(state: &AppState) {
    let stats = async {
        let mut conn = state.db.acquire().await?;
        let stats = comptoir_db::platform::outbox::queue_stats(&mut conn).await?;
        let alerts = comptoir_db::inventory::open_alert_count(&mut conn).await?;
        Ok::<_, comptoir_db::Error>((stats, alerts))
    }
    .await;
    match stats {
        Ok((stats, alerts)) => {
            #[expect(clippy::cast_precision_loss, reason = "alert counts are far below 2^52")]
            metrics::gauge!("stock_alerts_open").set(alerts as f64);
            #[expect(clippy::cast_precision_loss, reason = "queue depths are far below 2^52")]
            let (pending, parked) = (stats.pending as f64, stats.parked as f64);
            metrics::gauge!("outbox_pending_events").set(pending);
            metrics::gauge!("outbox_parked_events").set(parked);
            metrics::gauge!("outbox_oldest_pending_age_seconds").set(stats.oldest_pending_seconds);
        }
        Err(err) => tracing::warn!(error = %err, "metrics: outbox statistics unavailable"),
    }
}
