//! The outermost middleware: gives every request an id, every response the
//! ids and security headers, enforces the request timeout, and writes the
//! request's log line and metrics.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::{X_INSTANCE_ID, X_REQUEST_ID};
use crate::config::Config;
use crate::error::AppError;

/// What the middleware needs, computed once at start.
#[derive(Clone)]
pub struct Settings {
    instance_id: Arc<str>,
    instance_header: HeaderValue,
    hsts: Option<HeaderValue>,
    request_timeout: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            instance_id: Arc::from(config.instance_id.as_str()),
            instance_header: HeaderValue::from_str(&config.instance_id)
                .unwrap_or_else(|_| HeaderValue::from_static("comptoir")),
            hsts: config
                .serves_tls()
                .then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains")),
            request_timeout: config.request_timeout,
        }
    }
}

/// The request's id, in the request's extensions for handlers that record it.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

/// Filled in while the request is handled and read when it is logged: the
/// authentication layer records the user here.
#[derive(Debug, Default)]
pub struct RequestContext {
    pub user_id: OnceLock<String>,
}

pub async fn observe(State(settings): State<Settings>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id: Arc<str> = incoming_request_id(request.headers())
        .map(Arc::from)
        .unwrap_or_else(|| Arc::from(uuid::Uuid::now_v7().to_string()));
    let method = request.method().clone();
    let route: Arc<str> = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| Arc::from(path.as_str()))
        .unwrap_or_else(|| Arc::from("unmatched"));
    let context = Arc::new(RequestContext::default());
    request.extensions_mut().insert(RequestId(request_id.clone()));
    request.extensions_mut().insert(context.clone());

    let span = tracing::info_span!("request", request_id = %request_id);
    let mut response =
        match tokio::time::timeout(settings.request_timeout, next.run(request).instrument(span.clone())).await {
            Ok(response) => response,
            Err(_) => span.in_scope(|| {
                tracing::warn!(timeout_ms = settings.request_timeout.as_millis(), "request timed out");
                AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "request.timeout",
                    "The request took longer than this server allows.",
                )
                .into_response()
            }),
        };

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(X_REQUEST_ID, value);
    }
    headers.insert(X_INSTANCE_ID, settings.instance_header.clone());
    set_security_headers(headers, settings.hsts.as_ref());

    let status = response.status().as_u16();
    let latency = started.elapsed();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        latency_ms,
        user_id = context.user_id.get().map(String::as_str),
        instance_id = %settings.instance_id,
        "request"
    );
    metrics::counter!(
        "http_requests_total",
        "method" => method.as_str().to_owned(),
        "route" => route.to_string(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route.to_string()).record(latency.as_secs_f64());
    response
}

/// A client's or proxy's id is kept when it is short and printable, so one
/// id follows a request across services; anything else is replaced.
fn incoming_request_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(X_REQUEST_ID)?.to_str().ok()?;
    let plausible = (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
    plausible.then_some(value)
}

fn set_security_headers(headers: &mut HeaderMap, hsts: Option<&HeaderValue>) {
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("frame-ancestors 'none'"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printable_incoming_request_id_is_kept_and_others_are_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("edge-1234"));
        assert_eq!(incoming_request_id(&headers), Some("edge-1234"));
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("has space"));
        assert_eq!(incoming_request_id(&headers), None);
        let long = "x".repeat(129);
        headers.insert(X_REQUEST_ID, HeaderValue::from_str(&long).unwrap());
        assert_eq!(incoming_request_id(&headers), None);
    }
}
