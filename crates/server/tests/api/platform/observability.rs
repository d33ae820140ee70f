//! One log line per request and Prometheus metrics, as an operator reads them.

use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use crate::harness::{TestApp, log_lines_with};

#[tokio::test]
async fn each_request_writes_one_json_log_line_with_its_facts() {
    let app = TestApp::spawn().await;
    let request_id = format!("log-test-{}", uuid::Uuid::now_v7().simple());
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", &request_id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let lines: Vec<_> = log_lines_with(&request_id)
        .into_iter()
        .filter(|line| line["message"] == "request")
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["request_id"], request_id.as_str());
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/health/live");
    assert_eq!(line["status"], 200);
    assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert_eq!(line["instance_id"], app.state.config.instance_id.as_str());
    assert_eq!(line["level"], "INFO");
}

#[tokio::test]
async fn what_a_handler_logs_carries_the_request_id_without_asking() {
    let routes = OpenApiRouter::new().route(
        "/test/chatty",
        get(|| async {
            tracing::warn!(sku = "VELO-1", "stock looks low");
            "ok"
        }),
    );
    let app = TestApp::builder().routes(routes).spawn().await;
    let request_id = format!("chatty-{}", uuid::Uuid::now_v7().simple());
    let response = app
        .client
        .get(app.url("/test/chatty"))
        .header("x-request-id", &request_id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let lines = log_lines_with(&request_id);
    let warning = lines
        .iter()
        .find(|line| line["message"] == "stock looks low")
        .unwrap_or_else(|| panic!("no warning logged with the request id: {lines:?}"));
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["sku"], "VELO-1");
    assert!(warning["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(warning["target"].is_string());
}

#[tokio::test]
async fn a_handler_reads_the_same_request_id_the_client_gets() {
    use std::sync::Arc;

    use comptoir_server::http::RequestContext;

    let routes =
        OpenApiRouter::new().route(
            "/test/whoami",
            get(
                |axum::Extension(context): axum::Extension<Arc<RequestContext>>| async move {
                    context.request_id().to_owned()
                },
            ),
        );
    let app = TestApp::builder().routes(routes).spawn().await;
    let response = app.get("/test/whoami").await;
    let header = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(response.text().await.unwrap(), header);
}

fn metric_value(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_expose_pool_cache_and_outbox() {
    let app = TestApp::spawn().await;
    let before = app.get("/metrics").await.text().await.unwrap();
    let live = r#"http_requests_total{method="GET",route="/health/live",status="200"}"#;
    let count_before = metric_value(&before, live).unwrap_or(0.0);
    for _ in 0..3 {
        app.get("/health/live").await;
    }
    app.get("/no/such/route").await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    // Other tests in this process add to the same counters, so only a lower bound holds.
    assert!(metric_value(&text, live).unwrap() >= count_before + 3.0, "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#));
    assert!(text.contains(r#"http_request_duration_seconds_bucket{route="/health/live",le="0.005"}"#));
    for name in [
        "db_pool_connections{state=\"idle\"}",
        "db_pool_connections{state=\"in_use\"}",
        "db_pool_max_connections",
        "outbox_pending_events",
        "outbox_parked_events",
        "outbox_oldest_pending_age_seconds",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
}

#[tokio::test]
async fn the_outbox_backlog_is_measured_with_its_age() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "INSERT INTO outbox_events (id, topic, payload, created_at) VALUES ($1, 'test.backlog', '{}', now() - interval '90 seconds')",
    )
    .bind(uuid::Uuid::now_v7())
    .execute(app.db())
    .await
    .unwrap();
    // The gauges are process-wide and other tests scrape concurrently, so the
    // figures are checked at their source and the gauges for presence above.
    let mut conn = app.db().acquire().await.unwrap();
    let stats = comptoir_db::platform::outbox::queue_stats(&mut conn).await.unwrap();
    assert_eq!(stats.pending, 1);
    assert_eq!(stats.parked, 0);
    assert!((90.0..120.0).contains(&stats.oldest_pending_seconds), "{stats:?}");
}

/// The metric names a PromQL expression reads (`foo_bucket` is the
/// histogram `foo`'s own series).
fn metrics_in(expr: &str) -> Vec<String> {
    const PROMQL: &[&str] = &[
        "sum",
        "rate",
        "increase",
        "by",
        "on",
        "max",
        "min",
        "clamp_min",
        "histogram_quantile",
        "offset",
        "le",
        "instance",
        "route",
        "status",
        "state",
        "namespace",
        "store",
        "channel",
        "payment",
        "job",
        "without",
        "and",
        "or",
        "unless",
        "avg",
        "count",
        "ignoring",
        "group_left",
        "group_right",
        "method",
    ];
    // Label values and legend templates are not metric names.
    let mut unquoted = String::new();
    let mut in_quotes = false;
    for c in expr.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            unquoted.push(c);
        }
    }
    // Words: a letter then letters, digits and underscores, not preceded by
    // a digit (`5m` is a duration).
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous = ' ';
    for c in unquoted.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_lowercase() || (!word.is_empty() && (c.is_ascii_digit() || c == '_')) {
            if word.is_empty() && (previous.is_ascii_alphanumeric() || previous == '_') {
                previous = c;
                continue;
            }
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous = c;
    }
    words
        .into_iter()
        .filter(|w| !PROMQL.contains(&w.as_str()) && w != "up")
        .collect()
}

#[tokio::test]
async fn every_metric_an_alert_or_a_dashboard_reads_is_exposed() {
    let app = TestApp::spawn().await;
    // A request of each kind, so the request series exist.
    assert_eq!(app.get("/api/v1/products?limit=1").await.status(), 200);
    let exposed = app.get("/metrics").await.text().await.unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");

    let mut expressions = Vec::new();
    let rules: serde_yaml_like::Rules = serde_yaml_like::read(&root.join("deploy/prometheus/alerts.yml"));
    expressions.extend(rules.exprs);
    for dashboard in ["comptoir-service.json", "comptoir-business.json"] {
        let text = std::fs::read_to_string(root.join("deploy/grafana/dashboards").join(dashboard)).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for panel in json["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                expressions.push(target["expr"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(expressions.len() > 10);
    let mut missing = Vec::new();
    for expr in &expressions {
        for metric in metrics_in(expr) {
            let present = exposed.lines().any(|line| {
                !line.starts_with('#')
                    && (line.starts_with(&format!("{metric}{{")) || line.starts_with(&format!("{metric} ")))
            });
            if !present {
                missing.push(metric);
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "read by an alert or a panel, absent from /metrics: {missing:?}"
    );
}

/// The `expr` lines of the alert rules (a YAML reader would be one more
/// dependency for one test: the file's own layout is enough).
mod serde_yaml_like {
    pub struct Rules {
        pub exprs: Vec<String>,
    }

    pub fn read(path: &std::path::Path) -> Rules {
        let text = std::fs::read_to_string(path).unwrap();
        let mut exprs = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix("expr:") {
                let rest = rest.trim();
                if rest == "|" {
                    let indent = line.len() - trimmed.len();
                    let mut block = String::new();
                    while let Some(next) = lines.peek() {
                        let next_indent = next.len() - next.trim_start().len();
                        if next.trim().is_empty() || next_indent <= indent {
                            break;
                        }
                        block.push_str(next.trim());
                        block.push(' ');
                        lines.next();
                    }
                    exprs.push(block);
                } else {
                    exprs.push(rest.to_owned());
                }
            }
        }
        Rules { exprs }
    }
}
