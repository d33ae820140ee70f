//! Every error answer is a problem document; nothing internal leaks.

use std::time::Duration;

use axum::routing::{get, post};
use comptoir_server::extract::Json;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;

use crate::harness::{TestApp, log_lines_with, problem};

#[derive(Debug, Deserialize, serde::Serialize)]
struct NewLine {
    sku: String,
    quantity: u32,
    address: Option<Address>,
}

#[derive(Debug, Deserialize, serde::Serialize)]
struct Address {
    postal_code: String,
}

fn routes() -> OpenApiRouter<comptoir_server::app::AppState> {
    OpenApiRouter::new()
        .route(
            "/test/lines",
            post(|Json(line): Json<NewLine>| async move { Json(line) }),
        )
        .route(
            "/test/panic",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("secret internal detail 42");
                }
                "unreachable"
            }),
        )
        .route(
            "/test/panic-in-body",
            get(|| async {
                let chunks =
                    futures_util::stream::iter([Ok::<_, std::io::Error>("first chunk\n"), Ok("second")]).map(|chunk| {
                        if std::hint::black_box(chunk.as_ref().is_ok_and(|c| c.starts_with("second"))) {
                            panic!("secret body detail 43");
                        }
                        chunk
                    });
                axum::body::Body::from_stream(chunks)
            }),
        )
        .route(
            "/test/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
}

#[tokio::test]
async fn a_body_that_panics_while_it_is_sent_is_counted_and_logged() {
    let app = app().await;
    let panics = |metrics: String| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("panics_total "))
            .map_or(0.0, |value| value.trim().parse().unwrap())
    };
    let before = panics(app.get("/metrics").await.text().await.unwrap());
    let sent = app
        .client
        .get(app.url("/test/panic-in-body"))
        .header("x-request-id", "body-panic-2b9e")
        .send()
        .await;
    // The connection is cut: the client never sees a whole answer, whether
    // the headers had left or not.
    if let Ok(response) = sent {
        assert!(response.bytes().await.is_err(), "the body ends in an error");
    }
    let logged = log_lines_with("secret body detail 43");
    assert!(
        logged.iter().any(|line| line["request_id"] == "body-panic-2b9e"),
        "the panic is logged with its request id: {logged:?}"
    );
    let after = panics(app.get("/metrics").await.text().await.unwrap());
    assert!(after > before, "panics_total counts it ({before} then {after})");
    assert_eq!(app.get("/health/live").await.status(), 200);
}

async fn app() -> TestApp {
    TestApp::builder()
        .routes(routes())
        .var("BODY_LIMIT_BYTES", "2048")
        .var("REQUEST_TIMEOUT_SECONDS", "1")
        .spawn()
        .await
}

#[tokio::test]
async fn a_valid_body_is_accepted() {
    let app = app().await;
    let response = app
        .post_json("/test/lines", &json!({"sku": "VELO-1", "quantity": 2}))
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["sku"], "VELO-1");
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = app().await;
    let response = app
        .client
        .post(app.url("/test/lines"))
        .header("content-type", "application/json")
        .body(r#"{"sku": "VELO-1", "quantity": "#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = problem(response).await;
    assert_eq!(body["code"], "request.malformed_json");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_415_problem() {
    let app = app().await;
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut request = app
            .client
            .post(app.url("/test/lines"))
            .body(r#"{"sku":"A","quantity":1}"#);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert_eq!(problem(response).await["code"], "request.unsupported_media_type");
    }
}

#[tokio::test]
async fn missing_and_mistyped_fields_are_a_422_naming_the_field() {
    let app = app().await;
    let response = app.post_json("/test/lines", &json!({"quantity": 2})).await;
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    assert_eq!(body["code"], "validation.failed");
    assert_eq!(
        body["errors"],
        json!([{"field": "sku", "code": "required", "message": "is required"}])
    );

    let response = app.post_json("/test/lines", &json!({"sku": "A", "quantity": -1})).await;
    assert_eq!(response.status(), 422);
    let body = problem(response).await;
    assert_eq!(body["errors"][0]["field"], "quantity");
    assert_eq!(body["errors"][0]["code"], "invalid");

    let response = app
        .post_json(
            "/test/lines",
            &json!({"sku": "A", "quantity": 1, "address": {"postal_code": 29000}}),
        )
        .await;
    let body = problem(response).await;
    assert_eq!(body["errors"][0]["field"], "address.postal_code");
    assert_eq!(body["errors"][0]["code"], "invalid_type");
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = app().await;
    let response = app.get("/api/v1/no-such-thing").await;
    assert_eq!(response.status(), 404);
    assert_eq!(problem(response).await["code"], "route.not_found");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_listing_the_allowed_ones() {
    let app = app().await;
    let response = app.client.delete(app.url("/health/live")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    assert_eq!(problem(response).await["code"], "method.not_allowed");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem_declared_or_streamed() {
    let app = app().await;
    let big = json!({"sku": "x".repeat(4096), "quantity": 1});
    let response = app.post_json("/test/lines", &big).await;
    assert_eq!(response.status(), 413);
    assert_eq!(problem(response).await["code"], "request.too_large");

    // Without Content-Length the limit still holds while the body streams in.
    let chunks: Vec<Result<String, std::io::Error>> = (0..10).map(|_| Ok("x".repeat(1000))).collect();
    let response = app
        .client
        .post(app.url("/test/lines"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(problem(response).await["code"], "request.too_large");
}

#[tokio::test]
async fn a_panicking_handler_is_an_opaque_500_logged_with_its_request_id() {
    let app = app().await;
    let response = app
        .client
        .get(app.url("/test/panic"))
        .header("x-request-id", "panic-test-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.headers()["x-request-id"], "panic-test-7f3a");
    let text = response.text().await.unwrap();
    assert!(!text.contains("secret internal detail"), "panic message leaked: {text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "internal");

    let logged = log_lines_with("secret internal detail 42");
    assert!(
        logged.iter().any(|line| line["request_id"] == "panic-test-7f3a"),
        "the panic must be logged with its request id: {logged:?}"
    );
    // The server keeps serving.
    assert_eq!(app.get("/health/live").await.status(), 200);

    // A browser asking for a page gets the error page, with the id to quote.
    let page = app
        .client
        .get(app.url("/test/panic"))
        .header("x-request-id", "panic-page-51c2")
        .header("accept", "text/html")
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 500);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("panic-page-51c2") && html.contains("<html lang=\"en\">") && !html.contains("secret internal"),
        "{html}"
    );
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_503_problem() {
    let app = app().await;
    let started = std::time::Instant::now();
    let response = app.get("/test/slow").await;
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(problem(response).await["code"], "request.timeout");
}

#[tokio::test]
async fn every_answer_carries_ids_and_security_headers() {
    let app = app().await;
    for path in ["/health/live", "/api/v1/no-such-route"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let request_id = headers["x-request-id"].to_str().unwrap();
        assert!(
            uuid::Uuid::parse_str(request_id).is_ok(),
            "generated ids are UUIDs: {request_id}"
        );
        assert_eq!(headers["x-instance-id"], app.state.config.instance_id.as_str());
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'");
        assert_eq!(headers["referrer-policy"], "strict-origin-when-cross-origin");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    // Pages have a stricter policy of their own, framing still refused.
    let page = app.get("/no-such-page").await;
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("frame-ancestors 'none'") && policy.contains("default-src 'self'"),
        "{policy}"
    );
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "from-the-edge-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "from-the-edge-123");
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_address_is_https() {
    let app = TestApp::builder()
        .var("PUBLIC_BASE_URL", "https://shop.example.fr")
        .spawn()
        .await;
    let response = app.get("/health/live").await;
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}

#[tokio::test]
async fn cors_answers_only_the_allowed_origins() {
    let app = TestApp::builder()
        .var("CORS_ALLOWED_ORIGINS", "https://shop.example.fr")
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/health/live"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "idempotency-key, content-type")
            .send()
    };
    let allowed = preflight("https://shop.example.fr").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example.fr"
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed_headers.contains("idempotency-key"), "{allowed_headers}");

    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn large_answers_are_compressed_when_the_client_accepts_it() {
    let app = app().await;
    let plain_length = app.get("/api/v1/openapi.json").await.bytes().await.unwrap().len();
    for encoding in ["gzip", "br"] {
        let response = app
            .client
            .get(app.url("/api/v1/openapi.json"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], encoding);
        assert_eq!(response.headers()["vary"], "accept-encoding");
        let compressed_length = response.bytes().await.unwrap().len();
        assert!(
            compressed_length * 2 < plain_length,
            "{encoding}: {compressed_length} of {plain_length}"
        );
    }
    // Uncompressed for a client that does not ask, but marked as varying,
    // so that a shared cache never hands it a compressed copy or the reverse.
    let plain = app.get("/api/v1/openapi.json").await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.headers()["vary"], "accept-encoding");
    // Tiny answers are never worth compressing, nor marked.
    let tiny = app
        .client
        .get(app.url("/health/live"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(tiny.headers().get("content-encoding").is_none());
}
