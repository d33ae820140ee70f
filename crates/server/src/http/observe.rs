//! The outermost middleware: gives every request an id, every response the
//! ids and security headers, enforces the request timeout, and writes the
//! request's log line and metrics.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::BoxError;
use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::CatchUnwind;
use metrics::{Counter, Histogram};
use tokio::task::futures::TaskLocalFuture;

use super::{ErrorPages, X_INSTANCE_ID, X_REQUEST_ID};
use crate::error::ApiError;
use comptoir_app::config::Config;

/// What the middleware needs, computed once at start.
struct Settings {
    instance_id: Arc<str>,
    instance_header: HeaderValue,
    hsts: Option<HeaderValue>,
    request_timeout: Duration,
    metrics: RequestMetrics,
    error_pages: ErrorPages,
}

/// The outermost layer. Written as a `tower` service rather than with
/// `axum::middleware::from_fn`, which boxes its future, clones the inner
/// service and its state on every request: a tenth of the throughput of a
/// small answer.
#[derive(Clone)]
pub struct ObserveLayer {
    settings: Arc<Settings>,
}

impl ObserveLayer {
    pub fn new(config: &Config, error_pages: ErrorPages) -> Self {
        let settings = Settings {
            instance_id: Arc::from(config.instance_id.as_str()),
            instance_header: HeaderValue::from_str(&config.instance_id)
                .unwrap_or_else(|_| HeaderValue::from_static("comptoir")),
            hsts: config
                .serves_tls()
                .then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains")),
            request_timeout: config.request_timeout,
            metrics: RequestMetrics::default(),
            error_pages,
        };
        Self {
            settings: Arc::new(settings),
        }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            settings: self.settings.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    settings: Arc<Settings>,
}

/// The request's facts, in its extensions: its id for whoever records it
/// (audit entries), and a slot the authentication layer fills with the
/// user, read when the request is logged.
#[derive(Debug)]
pub struct RequestContext {
    request_id: HeaderValue,
    pub user_id: OnceLock<String>,
}

impl RequestContext {
    pub fn request_id(&self) -> &str {
        // Only printable ASCII ids are ever made or kept.
        self.request_id.to_str().unwrap_or_default()
    }
}

type Guarded<F> = tokio::time::Timeout<TaskLocalFuture<HeaderValue, CatchUnwind<AssertUnwindSafe<F>>>>;

/// What the guarded handler ends with: its answer, a panic, or the timeout.
type Handled<B> =
    Result<Result<Result<Response<B>, Infallible>, Box<dyn std::any::Any + Send>>, tokio::time::error::Elapsed>;

impl<S, B> tower::Service<Request> for Observe<S>
where
    S: tower::Service<Request, Response = Response<B>, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ObserveFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let started = Instant::now();
        let request_id = incoming_request_id(request.headers()).unwrap_or_else(new_request_id);
        let context = Arc::new(RequestContext {
            request_id: request_id.clone(),
            user_id: OnceLock::new(),
        });
        let method = request.method().clone();
        let route = request.extensions().get::<MatchedPath>().cloned();
        let page = (self.settings.error_pages.page_language)(&request);
        request.extensions_mut().insert(context.clone());

        // Panics are caught here rather than by a layer of their own: one
        // layer less on every request, and the request id is at hand for
        // the log. Log lines written while the request is handled carry its
        // id through the task-local.
        let handled = AssertUnwindSafe(self.inner.call(request)).catch_unwind();
        let handled = crate::telemetry::with_request_id(request_id, handled);
        ObserveFuture {
            // From the instant already read: one clock read less.
            inner: tokio::time::timeout_at((started + self.settings.request_timeout).into(), handled),
            pending: Some(Pending {
                started,
                method,
                route,
                page,
                context,
                settings: self.settings.clone(),
            }),
        }
    }
}

/// What the answer needs from the request once the handler is done.
struct Pending {
    started: Instant,
    method: Method,
    route: Option<MatchedPath>,
    /// A browser asking for a page: errors answer as pages in this language.
    page: Option<&'static str>,
    context: Arc<RequestContext>,
    settings: Arc<Settings>,
}

pin_project_lite::pin_project! {
    pub struct ObserveFuture<F> {
        #[pin]
        inner: Guarded<F>,
        pending: Option<Pending>,
    }
}

impl<F, B> Future for ObserveFuture<F>
where
    F: Future<Output = Result<Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let handled = ready!(this.inner.poll(cx));
        let Some(pending) = this.pending.take() else {
            // Polled again after it answered: a caller's bug, not a client's.
            return Poll::Ready(Ok(ApiError::internal(anyhow::anyhow!(
                "observe future polled after completion"
            ))
            .into_response()));
        };
        Poll::Ready(Ok(pending.answer(handled)))
    }
}

impl Pending {
    fn answer<B>(self, handled: Handled<B>) -> Response
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let settings = &*self.settings;
        let id = self.context.request_id();
        let response = match handled {
            Ok(Ok(Ok(response))) => {
                let context = self.context.clone();
                response.map(|body| Body::new(CatchPanics { inner: body, context }))
            }
            Ok(Ok(Err(never))) => match never {},
            Ok(Err(panic)) => super::panic_response(panic, id),
            Err(_) => {
                tracing::warn!(
                    request_id = id,
                    timeout_ms = settings.request_timeout.as_millis(),
                    "request timed out"
                );
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "request.timeout",
                    "The request took longer than this server allows.",
                )
                .into_response()
            }
        };
        let mut response = super::problem_for_bare_error(response);
        if let Some(lang) = self.page {
            response = (settings.error_pages.render)(lang, response, id);
        }

        let headers = response.headers_mut();
        // Room for the headers below at once, rather than growing twice.
        headers.reserve(7);
        headers.insert(X_INSTANCE_ID, settings.instance_header.clone());
        set_security_headers(headers, settings.hsts.as_ref());
        headers.insert(X_REQUEST_ID, self.context.request_id.clone());

        let status = response.status().as_u16();
        let latency = self.started.elapsed();
        let route_name = self.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        crate::telemetry::log_request(&crate::telemetry::RequestLine {
            request_id: id,
            method: self.method.as_str(),
            route: route_name,
            status,
            latency,
            user_id: self.context.user_id.get().map(String::as_str),
            instance_id: &settings.instance_id,
        });
        settings
            .metrics
            .record(&method_label(&self.method), route_name, status, latency);
        response
    }
}

/// Metric handles by label set. Looking a handle up in the global registry
/// means building its key from owned label strings on every request; the
/// set of routes, methods and statuses is small, so handles are kept here
/// and found by borrowed keys.
#[derive(Default)]
struct RequestMetrics {
    routes: RwLock<HashMap<String, Arc<RouteMetrics>>>,
}

struct RouteMetrics {
    latency: Histogram,
    answers: RwLock<HashMap<(Method, u16), Counter>>,
}

impl RequestMetrics {
    fn record(&self, method: &Method, route: &str, status: u16, latency: Duration) {
        let known = self.routes.read().ok().and_then(|routes| routes.get(route).cloned());
        let handles = known.unwrap_or_else(|| {
            let handles = Arc::new(RouteMetrics {
                latency: metrics::histogram!("http_request_duration_seconds", "route" => route.to_owned()),
                answers: RwLock::default(),
            });
            if let Ok(mut routes) = self.routes.write() {
                routes.insert(route.to_owned(), handles.clone());
            }
            handles
        });
        handles.latency.record(latency.as_secs_f64());

        let key = (method.clone(), status);
        let known = handles
            .answers
            .read()
            .ok()
            .and_then(|answers| answers.get(&key).cloned());
        let counter = known.unwrap_or_else(|| {
            let counter = metrics::counter!(
                "http_requests_total",
                "method" => method.as_str().to_owned(),
                "route" => route.to_owned(),
                "status" => status.to_string(),
            );
            if let Ok(mut answers) = handles.answers.write() {
                answers.insert(key, counter.clone());
            }
            counter
        });
        counter.increment(1);
    }
}

/// Extension methods are counted together, so a client inventing methods
/// cannot create metric series without end.
fn method_label(method: &Method) -> Method {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if STANDARD.contains(method) {
        method.clone()
    } else {
        Method::from_bytes(b"OTHER").unwrap_or(Method::GET)
    }
}

/// A UUID v7 from the thread's CSPRNG: no system call per request.
fn new_request_id() -> HeaderValue {
    let millis = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(0);
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &rand::random()).into_uuid();
    let mut buffer = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = id.hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// A client's or proxy's id is kept when it is short and printable, so one
/// id follows a request across services; anything else is replaced.
fn incoming_request_id(headers: &HeaderMap) -> Option<HeaderValue> {
    let value = headers.get(X_REQUEST_ID)?;
    let bytes = value.as_bytes();
    let plausible = (1..=128).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic);
    plausible.then(|| value.clone())
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
    fn generated_request_ids_are_uuid_v7() {
        let id = new_request_id();
        let parsed = uuid::Uuid::parse_str(id.to_str().unwrap()).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert_ne!(new_request_id(), id);
    }

    #[test]
    fn a_printable_incoming_request_id_is_kept_and_others_are_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("edge-1234"));
        assert_eq!(
            incoming_request_id(&headers),
            Some(HeaderValue::from_static("edge-1234"))
        );
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("has space"));
        assert_eq!(incoming_request_id(&headers), None);
        let long = "x".repeat(129);
        headers.insert(X_REQUEST_ID, HeaderValue::from_str(&long).unwrap());
        assert_eq!(incoming_request_id(&headers), None);
    }
}

pin_project_lite::pin_project! {
    /// A response body whose panics (a stream that fails while the answer
    /// is sent, after the handler returned) are counted in `panics_total`
    /// and logged with the request's id, and end the body with an error
    /// instead of unwinding through the connection.
    struct CatchPanics<B> {
        #[pin]
        inner: B,
        context: Arc<RequestContext>,
    }
}

impl<B> HttpBody for CatchPanics<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let this = self.project();
        let inner = this.inner;
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll_frame(cx))) {
            Ok(polled) => polled.map(|frame| frame.map(|result| result.map_err(Into::into))),
            Err(panic) => {
                super::record_panic(&*panic, this.context.request_id(), "response body panicked");
                Poll::Ready(Some(Err("the response body failed".into())))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
