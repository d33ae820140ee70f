//! The middleware every route goes through, and the order they run in.

mod compress;
mod observe;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower::util::option_layer;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use self::observe::RequestContext;
use crate::error::problem_for_status;
use comptoir_app::config::Config;

/// How a browser's errors become pages, supplied by whoever assembles the
/// application (`app.rs` hands in the pages' renderer), so that middleware
/// never depends on the pages.
#[derive(Clone, Copy)]
pub struct ErrorPages {
    /// For a request that asks for a page, the language its error page is
    /// written in (a code the renderer understands); `None` answers problems.
    pub page_language: fn(&axum::extract::Request) -> Option<&'static str>,
    /// The error page standing for a problem answer, with the request's id;
    /// other answers are given back as they are.
    pub render: fn(&'static str, Response, &str) -> Response,
}

impl ErrorPages {
    /// Problem documents for everyone (a program, a test without pages).
    pub const NONE: ErrorPages = ErrorPages {
        page_language: |_| None,
        render: |_, response, _| response,
    };
}

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_INSTANCE_ID: HeaderName = HeaderName::from_static("x-instance-id");
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Wraps `router` in the platform middleware. From the outside in:
/// observe (request id, instance id, security headers, timeout, panics,
/// problems for the framework's bare error answers, log line, metrics),
/// CORS, compression and the body limit.
///
/// The layers are composed once and applied with a single `Router::layer`:
/// each `Router::layer` call boxes the route again, and that box is cloned
/// on every request, which cost a fifth of the throughput of a small answer.
pub fn apply(router: Router, config: &Config, error_pages: ErrorPages) -> Router {
    let stack = ServiceBuilder::new()
        .layer(observe::ObserveLayer::new(config, error_pages))
        .layer(option_layer(cors_layer(&config.cors_allowed_origins)))
        .layer(compress::CompressLayer)
        // Every extractor reads the body through `Bytes`, which enforces
        // this limit on declared and streamed bodies alike (413). A
        // `RequestBodyLimitLayer` on top would only wrap every body again.
        .layer(DefaultBodyLimit::max(config.body_limit_bytes));
    router.layer(stack)
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
pub(crate) fn problem_for_bare_error(response: Response) -> Response {
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
    // The old body's framing no longer applies to the new one.
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    let (problem_parts, body) = problem_for_status(status).into_response().into_parts();
    parts.headers.extend(problem_parts.headers);
    Response::from_parts(parts, body)
}

/// A panicking handler answers an opaque 500; the message is logged with the
/// request id, never sent.
pub(crate) fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>, request_id: &str) -> Response {
    record_panic(&*panic, request_id, "handler panicked");
    problem_for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
}

/// Counts a panic in `panics_total` and logs it with the request's id.
pub(crate) fn record_panic(panic: &(dyn std::any::Any + Send), request_id: &str, what: &'static str) {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    metrics::counter!("panics_total").increment(1);
    tracing::error!(request_id, panic = %message, what);
}
