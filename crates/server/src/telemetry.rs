//! Logs (JSON lines on stdout, or pretty for humans) and the Prometheus
//! metrics registry.

mod batch;
mod json;

use std::io::Write;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use comptoir_app::config::LogFormat;

/// Keeps the log flusher alive; lines written before it drops are flushed.
pub type LogGuard = batch::BatchGuard;

/// Installs the global logger writing to stdout in batches from a thread of
/// its own, so a request never waits on the terminal or the collector's pipe
/// and pays no system call for its log line.
pub fn init_logging(format: LogFormat, level: &str) -> LogGuard {
    let (writer, guard) = batch::start(std::io::stdout());
    init_logging_to(format, level, writer);
    guard
}

/// Installs the global logger writing to `writer` (tests capture the lines).
/// Does nothing when a logger is already installed.
pub fn init_logging_to<W>(format: LogFormat, level: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    // The configuration has validated the directive already.
    let filter = EnvFilter::try_new(level)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // Quieter defaults for chatty dependencies unless the directive names them.
        .add_directive("sqlx=warn".parse().unwrap_or_default())
        .add_directive("tower_http=warn".parse().unwrap_or_default());
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => {
            let lines = writer.clone();
            let installed = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
                        .event_format(json::JsonLines)
                        .with_writer(writer),
                )
                .try_init();
            if installed.is_ok() {
                let _ = REQUEST_LINES.set(Box::new(move |line: &[u8]| {
                    // Nowhere to report a failing log writer.
                    let _ = lines.make_writer().write_all(line);
                }));
            }
            installed
        }
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().with_writer(writer))
            .try_init(),
    };
}

/// Where request lines go when logs are JSON: straight to the log writer.
static REQUEST_LINES: OnceLock<LineSink> = OnceLock::new();

type LineSink = Box<dyn Fn(&[u8]) + Send + Sync>;

/// The facts of one answered request, for its log line.
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub latency: std::time::Duration,
    pub user_id: Option<&'a str>,
    pub instance_id: &'a str,
}

/// The target of request lines, for `LOG_LEVEL` directives.
pub const REQUEST_TARGET: &str = "comptoir::request";

/// Writes the log line of an answered request, at `INFO` under
/// [`REQUEST_TARGET`].
///
/// In JSON the line is formatted here and handed to the log writer
/// directly: it is written for every request, and going through tracing's
/// event dispatch and field visitors cost more than the rest of the
/// middleware together. The line has the same shape as every other
/// (`timestamp`, `level`, `message`, fields, `target`). Pretty logs, for
/// humans, go through tracing.
pub fn log_request(line: &RequestLine<'_>) {
    if !tracing::enabled!(target: REQUEST_TARGET, tracing::Level::INFO) {
        return;
    }
    if let Some(write) = REQUEST_LINES.get() {
        thread_local! {
            static BUFFER: std::cell::RefCell<String> = std::cell::RefCell::new(String::with_capacity(512));
        }
        BUFFER.with_borrow_mut(|buffer| {
            buffer.clear();
            if json::write_request_line(buffer, line).is_ok() {
                write(buffer.as_bytes());
            }
        });
        return;
    }
    tracing::info!(
        target: REQUEST_TARGET,
        request_id = line.request_id,
        method = line.method,
        route = line.route,
        status = line.status,
        latency_ms = line.latency.as_secs_f64() * 1000.0,
        user_id = line.user_id,
        instance_id = line.instance_id,
        "request"
    );
}

tokio::task_local! {
    /// The id of the request the current task is handling.
    static REQUEST_ID: axum::http::HeaderValue;
}

/// Runs `future` as the handling of request `id`: every log line it writes
/// carries `request_id`. Cheaper than a span, which the hot path cannot afford.
pub fn with_request_id<F: std::future::Future>(
    id: axum::http::HeaderValue,
    future: F,
) -> tokio::task::futures::TaskLocalFuture<axum::http::HeaderValue, F> {
    REQUEST_ID.scope(id, future)
}

/// The id of the request being handled by this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID
        .try_with(|id| id.to_str().ok().map(str::to_owned))
        .ok()
        .flatten()
}

/// The buckets of request durations, in seconds: fine below 50 ms, where a
/// healthy API answers, and coarse up to the request timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide metrics registry, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    METRICS
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed, in which case
            // this handle still renders (empty) text rather than panicking.
            let _ = metrics::set_global_recorder(recorder);
            describe_metrics();
            handle
        })
        .clone()
}

fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route and status."
    );
    describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from request to response head, by route."
    );
    describe_gauge!(
        "db_pool_connections",
        "Connections of the database pool, by state (idle, in_use)."
    );
    describe_gauge!(
        "db_pool_max_connections",
        "Configured maximum size of the database pool."
    );
    describe_counter!("cache_hits_total", "Cache reads that found a value, by namespace.");
    describe_counter!("cache_misses_total", "Cache reads that found nothing, by namespace.");
    describe_counter!(
        "cache_errors_total",
        "Cache operations that failed and were bypassed, by backend."
    );
    describe_gauge!("outbox_pending_events", "Outbox events waiting for delivery.");
    describe_gauge!(
        "outbox_parked_events",
        "Outbox events set aside after too many failures."
    );
    describe_gauge!(
        "outbox_oldest_pending_age_seconds",
        "Age of the oldest undelivered outbox event."
    );
    describe_counter!(
        "outbox_deliveries_total",
        "Outbox delivery attempts, by topic and outcome."
    );
    describe_counter!("panics_total", "Handler panics caught and answered with a 500.");
    describe_gauge!("stock_alerts_open", "Low-stock alerts open, all locations together.");
    describe_counter!(
        "comptoir_orders_paid_total",
        "Orders paid, by channel and store (`online` for delivery)."
    );
    describe_counter!(
        "comptoir_revenue_minor_total",
        "Money received for paid orders, in cents, by channel and store."
    );
    describe_counter!("comptoir_checkouts_total", "Checkouts answered, by payment status.");
    describe_counter!(
        "comptoir_payments_reconciled_total",
        "Payments whose lost outcome the reconciliation settled."
    );
    describe_counter!(
        "comptoir_payment_outcome_unknown_total",
        "Gateway calls whose outcome was not known."
    );
    describe_counter!(
        "comptoir_webhooks_refused_total",
        "Webhooks refused for their signature."
    );
    // Counters appear in /metrics once touched: every series the dashboards
    // and alerts use is listed from the start, at zero.
    for name in [
        "comptoir_payments_reconciled_total",
        "comptoir_payment_outcome_unknown_total",
        "panics_total",
    ] {
        metrics::counter!(name).increment(0);
    }
    metrics::counter!("comptoir_webhooks_refused_total", "gateway" => "stripe").increment(0);
    metrics::counter!("cache_hits_total", "namespace" => "catalog").increment(0);
    metrics::counter!("cache_misses_total", "namespace" => "catalog").increment(0);
    metrics::counter!("comptoir_checkouts_total", "payment" => "succeeded").increment(0);
    metrics::counter!("comptoir_orders_paid_total", "channel" => "web", "store" => "online").increment(0);
    metrics::counter!("comptoir_revenue_minor_total", "channel" => "web", "store" => "online").increment(0);
}

/// A `MakeWriter` that appends to a shared buffer: tests read back log lines.
#[derive(Clone, Default)]
pub struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub fn contents(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut inner) = self.0.lock() {
            inner.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for SharedBuffer {
    type Writer = Self;

    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}
