//! Response compression (gzip, brotli) for the clients that ask for it.
//!
//! tower-http's `CompressionBody` keeps its encoders' state inline and is
//! almost 6 KiB; wrapped around every answer, it was moved by value up
//! through each layer and cost a fifth of the throughput of a small
//! answer. Here a request without `Accept-Encoding` (most API clients)
//! skips the compression layer entirely, and a compressed answer is boxed
//! into an axum `Body` as soon as it leaves it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tower::{Layer, Service};
use tower_http::compression::predicate::Predicate;
use tower_http::compression::{Compression, CompressionLayer, DefaultPredicate};

#[derive(Clone, Default)]
pub struct CompressLayer;

impl<S> Layer<S> for CompressLayer {
    type Service = Compress<S>;

    fn layer(&self, inner: S) -> Compress<S> {
        Compress {
            compressing: CompressionLayer::new().layer(inner),
        }
    }
}

/// Calls the inner service through the compression layer, or directly
/// (`get_mut`) when the client accepts no encoding.
#[derive(Clone)]
pub struct Compress<S> {
    compressing: Compression<S>,
}

impl<S> Service<Request> for Compress<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = CompressFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.compressing.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.headers().contains_key(header::ACCEPT_ENCODING) {
            CompressFuture::Compressing {
                inner: self.compressing.call(request),
            }
        } else {
            CompressFuture::Plain {
                inner: self.compressing.get_mut().call(request),
            }
        }
    }
}

pin_project_lite::pin_project! {
    #[project = Projection]
    pub enum CompressFuture<F> {
        Plain { #[pin] inner: F },
        Compressing { #[pin] inner: tower_http::compression::ResponseFuture<F, DefaultPredicate> },
    }
}

impl<F> Future for CompressFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projection::Plain { inner } => {
                let mut response = ready!(inner.poll(cx))?;
                // Caches must know this answer differs for clients that
                // accept an encoding, as the compression layer would say.
                let marked = response.headers().get_all(header::VARY).iter().any(|value| {
                    value
                        .to_str()
                        .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
                });
                if !marked && DefaultPredicate::new().should_compress(&response) {
                    response
                        .headers_mut()
                        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                Poll::Ready(Ok(response))
            }
            Projection::Compressing { inner } => {
                let response = ready!(inner.poll(cx))?;
                Poll::Ready(Ok(response.map(Body::new)))
            }
        }
    }
}
