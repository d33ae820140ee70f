//! The API's `Idempotency-Key` extractors, over the use cases' idempotency
//! keys (`comptoir_app::platform::idempotency`): a POST that moves money or
//! stock runs at most once per key, caller and route.
//!
//! - same key, same body: the stored response is replayed
//!   (`Idempotent-Replayed: true`), nothing runs again;
//! - same key, other body: 422 `idempotency.key_reused`;
//! - same key while the first request still runs: 409 `idempotency.in_flight`.
//!
//! [`Idempotent`] runs the handler in the transaction that holds the key and
//! stores the response there ([`Idempotent::complete`]);
//! [`IdempotentSession`] holds the key across transactions, for requests
//! that call out between them. An error answer stores nothing, so the
//! client may retry with the same key.

use axum::extract::{FromRef, FromRequest, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use comptoir_app::AppError;
use comptoir_app::platform::idempotency::{
    self as keys, CallerScope, IdempotencySession, IdempotentTx, KeyedRequest, Opened, StoredAnswer,
};
use comptoir_db::{Postgres, Transaction};
use comptoir_domain::platform::IdempotencyKey;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{json_body_bytes, parse_json};
use crate::http::IDEMPOTENCY_KEY;

pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A parsed JSON body with the transaction its effects must be written in.
pub struct Idempotent<T> {
    pub body: T,
    pub tx: Transaction<'static, Postgres>,
    keyed: KeyedRequest,
}

impl<S, T> FromRequest<S> for Idempotent<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let (body, keyed) = read_request(request, state).await?;
        let (tx, keyed) = held(IdempotentTx::open(&app, keyed).await)?.into_parts();
        Ok(Self { body, tx, keyed })
    }
}

impl<T> Idempotent<T> {
    /// The caller's key with its scope: stable across retries of one request.
    pub fn key_text(&self) -> String {
        self.keyed.key_text()
    }

    /// Stores the response with the key and commits the transaction.
    pub async fn complete<B: Serialize>(self, status: StatusCode, body: &B) -> Result<Response, ApiError> {
        let answer = json_answer(status, body)?;
        IdempotentTx::from_parts(self.tx, self.keyed).complete(&answer).await?;
        Ok(response_of(answer))
    }
}

/// Like [`Idempotent`], for requests that call out between transactions:
/// the key is held on one connection ([`Self::conn`]) for the whole request.
pub struct IdempotentSession<T> {
    pub body: T,
    held: IdempotencySession,
}

impl<S, T> FromRequest<S> for IdempotentSession<T>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let (body, keyed) = read_request(request, state).await?;
        let held = held(IdempotencySession::open(&app, keyed).await)?;
        Ok(Self { body, held })
    }
}

impl<T> IdempotentSession<T> {
    /// The body and the held key, for a use case that completes the key itself.
    pub fn into_parts(self) -> (T, IdempotencySession) {
        (self.body, self.held)
    }

    /// What the key stands for.
    pub fn keyed(&self) -> &KeyedRequest {
        self.held.request()
    }

    /// The connection that holds the key; run the request's transactions on it.
    pub fn conn(&mut self) -> &mut comptoir_db::PgConnection {
        self.held.conn()
    }

    /// Stores the response with the key, releases the key and answers.
    pub async fn complete<B: Serialize>(self, status: StatusCode, body: &B) -> Result<Response, ApiError> {
        let answer = json_answer(status, body)?;
        self.held.complete(&answer).await?;
        Ok(response_of(answer))
    }

    /// Releases the key without storing an answer (a retry runs again).
    pub async fn release(self) {
        self.held.release().await;
    }
}

pub fn key_from(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let raw = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        ApiError::bad_request(
            "idempotency.key_required",
            "This operation needs an Idempotency-Key header (a fresh UUID per operation).",
        )
    })?;
    let raw = raw
        .to_str()
        .map_err(|_| ApiError::bad_request("idempotency.key_invalid", "The Idempotency-Key header is not ASCII."))?;
    IdempotencyKey::parse(raw).map_err(|err| ApiError::bad_request("idempotency.key_invalid", err.to_string()))
}

/// The key held for this request, or the answer the extractor gives
/// instead: the stored one replayed, or the refusal (in flight, reused).
#[expect(
    clippy::result_large_err,
    reason = "the extractors reject with a Response; this builds it"
)]
fn held<H>(opened: Result<Opened<H>, AppError>) -> Result<H, Response> {
    match opened {
        Ok(Opened::Fresh(held)) => Ok(held),
        Ok(Opened::Replay(answer)) => Err(replay(answer)),
        Err(err) => Err(ApiError::from(err).into_response()),
    }
}

/// The parsed body of an idempotent request and what its key stands for.
/// Invalid bodies are refused before anything is locked or stored.
async fn read_request<S, T>(request: Request, state: &S) -> Result<(T, KeyedRequest), Response>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    let key = key_from(request.headers()).map_err(IntoResponse::into_response)?;
    let operation = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str)
            .unwrap_or_else(|| request.uri().path())
    );
    let target = request.uri().path().to_owned();
    let scope = request
        .extensions()
        .get::<CallerScope>()
        .cloned()
        .unwrap_or_else(CallerScope::anonymous);
    let bytes = json_body_bytes(request, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let request_hash = keys::request_hash(&target, &bytes);
    let body: T = parse_json(&bytes).map_err(IntoResponse::into_response)?;
    Ok((
        body,
        KeyedRequest {
            scope,
            operation,
            key,
            request_hash,
        },
    ))
}

/// A JSON answer, as it is stored for replays.
fn json_answer<B: Serialize>(status: StatusCode, body: &B) -> Result<StoredAnswer, ApiError> {
    Ok(StoredAnswer::json(status.as_u16(), body)?)
}

fn response_of(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The stored answer, marked as a replay.
pub fn replay(answer: StoredAnswer) -> Response {
    let mut response = response_of(answer);
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
