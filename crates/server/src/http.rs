//! The middleware every route goes through, and the order they run in.

mod observe;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

pub use self::observe::{RequestContext, RequestId};
use crate::config::Config;
use crate::error::problem_for_status;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_INSTANCE_ID: HeaderName = HeaderName::from_static("x-instance-id");
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Wraps `router` in the platform middleware. From the outside in:
/// observe (request id, instance id, security headers, timeout, log line,
/// metrics), CORS, compression, problems for bare error statuses, body
/// limits, and the panic catcher nearest the handlers.
pub fn apply(router: Router, config: &Config) -> Router {
    let mut router = router
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(CompressionLayer::new());
    if let Some(cors) = cors_layer(&config.cors_allowed_origins) {
        router = router.layer(cors);
    }
    router.layer(middleware::from_fn_with_state(
        observe::Settings::from_config(config),
        observe::observe,
    ))
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                IDEMPOTENCY_KEY,
                X_REQUEST_ID,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("x-cart-token"),
            ])
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::RETRY_AFTER,
                X_REQUEST_ID,
                X_INSTANCE_ID,
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Layers below the handlers (routing, body limits) answer some errors with
/// an empty or plain-text body; every error answer must be a problem
/// document. Handlers never answer errors in plain text, so only the
/// framework's are rewritten.
async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    let is_bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if !is_error || !is_bare {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let problem = problem_for_status(status).into_response();
    let (problem_parts, body) = problem.into_parts();
    parts.headers.extend(problem_parts.headers);
    Response::from_parts(parts, body)
}

/// A panicking handler answers an opaque 500. The message is logged inside
/// the request's span, so the log line carries the request id.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    metrics::counter!("panics_total").increment(1);
    tracing::error!(panic = %message, "handler panicked");
    problem_for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
}
