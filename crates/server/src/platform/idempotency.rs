//! The `Idempotent<T>` extractor: a POST that moves money or stock is run at
//! most once per `Idempotency-Key`, caller and route.
//!
//! - same key, same body: the stored response is replayed
//!   (`Idempotent-Replayed: true`), nothing runs again;
//! - same key, other body: 422 `idempotency.key_reused`;
//! - same key while the first request still runs: 409 `idempotency.in_flight`.
//!
//! The handler does its work in the transaction the extractor opened and
//! finishes with [`Idempotent::complete`], which stores the response in that
//! same transaction: the effect and its key commit together or not at all. An
//! error answer rolls everything back and stores nothing, so the client may
//! retry with the same key.

use axum::extract::{FromRef, FromRequest, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_db::platform::idempotency::{self as store, KeyRef, StoredResponse};
use comptoir_db::{Postgres, Transaction};
use comptoir_domain::platform::IdempotencyKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::error::AppError;
use crate::extract::{json_body_bytes, parse_json};
use crate::http::IDEMPOTENCY_KEY;

pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Whom stored keys belong to. The authentication layer puts the caller's
/// scope (`user:<id>`, `api_key:<id>`) in the request's extensions; requests
/// without one share the `anonymous` scope, where keys are unguessable UUIDs.
#[derive(Debug, Clone)]
pub struct CallerScope(pub String);

/// A parsed JSON body with the transaction its effects must be written in.
pub struct Idempotent<T> {
    pub body: T,
    pub tx: Transaction<'static, Postgres>,
    scope: String,
    route: String,
    key: IdempotencyKey,
    request_hash: Vec<u8>,
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
        let ReadRequest {
            body,
            scope,
            route,
            key,
            request_hash,
        } = read_request(request, state).await?;

        let mut tx = app.db.begin().await.map_err(db_failure)?;
        let key_ref = KeyRef {
            scope: &scope,
            route: &route,
            key: key.as_str(),
        };
        if !store::try_lock(&mut tx, key_ref).await.map_err(db_failure)? {
            return Err(in_flight().into_response());
        }
        if let Some(stored) = store::find(&mut tx, key_ref).await.map_err(db_failure)? {
            return Err(if stored.request_hash == request_hash {
                replay(stored)
            } else {
                key_reused().into_response()
            });
        }
        Ok(Self {
            body,
            tx,
            scope,
            route,
            key,
            request_hash,
        })
    }
}

impl<T> Idempotent<T> {
    /// The caller's key with its scope: stable across retries of one request.
    pub fn key_text(&self) -> String {
        format!("{}:{}", self.scope, self.key.as_str())
    }

    /// Stores the response with the key and commits the transaction.
    pub async fn complete<B: Serialize>(self, status: StatusCode, body: &B) -> Result<Response, AppError> {
        self.complete_with_headers(status, Vec::new(), body).await
    }

    /// Like [`Self::complete`], with extra headers (such as `Location`) kept for replays.
    pub async fn complete_with_headers<B: Serialize>(
        mut self,
        status: StatusCode,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: &B,
    ) -> Result<Response, AppError> {
        let body = serde_json::to_vec(body).map_err(AppError::internal)?;
        let mut all_headers = vec![(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        all_headers.extend(headers);
        let stored_headers: Vec<[String; 2]> = all_headers
            .iter()
            .filter_map(|(name, value)| Some([name.as_str().to_owned(), value.to_str().ok()?.to_owned()]))
            .collect();
        let stored = StoredResponse {
            request_hash: self.request_hash,
            status: i16::try_from(status.as_u16()).map_err(AppError::internal)?,
            headers: serde_json::to_value(stored_headers).map_err(AppError::internal)?,
            body,
        };
        let key_ref = KeyRef {
            scope: &self.scope,
            route: &self.route,
            key: self.key.as_str(),
        };
        store::save(&mut self.tx, key_ref, &stored).await?;
        self.tx.commit().await.map_err(comptoir_db::Error::from)?;

        let mut response = (status, stored.body).into_response();
        response.headers_mut().extend(all_headers);
        Ok(response)
    }
}

pub fn key_from(headers: &HeaderMap) -> Result<IdempotencyKey, AppError> {
    let raw = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        AppError::bad_request(
            "idempotency.key_required",
            "This operation needs an Idempotency-Key header (a fresh UUID per operation).",
        )
    })?;
    let raw = raw
        .to_str()
        .map_err(|_| AppError::bad_request("idempotency.key_invalid", "The Idempotency-Key header is not ASCII."))?;
    IdempotencyKey::parse(raw).map_err(|err| AppError::bad_request("idempotency.key_invalid", err.to_string()))
}

/// What an idempotent request brings: its parsed body and what its key
/// stands for.
struct ReadRequest<T> {
    body: T,
    scope: String,
    route: String,
    key: IdempotencyKey,
    request_hash: Vec<u8>,
}

async fn read_request<S, T>(request: Request, state: &S) -> Result<ReadRequest<T>, Response>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    let key = key_from(request.headers()).map_err(IntoResponse::into_response)?;
    let route = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str)
            .unwrap_or_else(|| request.uri().path())
    );
    // The request's own path is part of what the key stands for: the
    // same key and body sent to another resource of the same route
    // (shipping transfer B with the key used for transfer A) is a
    // different request, refused as a reused key, never A's replay.
    let target = request.uri().path().to_owned();
    let scope = request
        .extensions()
        .get::<CallerScope>()
        .map(|scope| scope.0.clone())
        .unwrap_or_else(|| "anonymous".to_owned());
    let bytes = json_body_bytes(request, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let request_hash = request_hash(&target, &bytes);
    // Invalid bodies are refused before anything is locked or stored.
    let body: T = parse_json(&bytes).map_err(IntoResponse::into_response)?;
    Ok(ReadRequest {
        body,
        scope,
        route,
        key,
        request_hash,
    })
}

/// What a key stands for: the request's path and body.
pub fn request_hash(target: &str, body: &[u8]) -> Vec<u8> {
    Sha256::new()
        .chain_update(target.as_bytes())
        .chain_update(b"\n")
        .chain_update(body)
        .finalize()
        .to_vec()
}

/// 422 `idempotency.key_reused`.
pub fn key_reused() -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency.key_reused",
        "This Idempotency-Key was already used with a different request body; use a new key for a new request.",
    )
}

fn db_failure(err: impl Into<comptoir_db::Error>) -> Response {
    AppError::from(err.into()).into_response()
}

pub fn in_flight() -> AppError {
    AppError::conflict(
        "idempotency.in_flight",
        "A request with this Idempotency-Key is still being processed; retry shortly to get its answer.",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
}

pub fn replay(stored: StoredResponse) -> Response {
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers: Vec<[String; 2]> = serde_json::from_value(stored.headers).unwrap_or_default();
    for [name, value] in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Like [`Idempotent`], for requests that call out between transactions
/// (a checkout calls the payment gateway after its order commits, so no
/// stock row stays locked while a bank answers).
///
/// The key is held with a session lock on one connection for the whole
/// request, and the handler's transactions run on that same connection (a
/// request never waits for a second one while holding the first). The
/// response is stored by [`IdempotentSession::complete`]; a handler that
/// ends without it (an error, an unknown outcome) stores nothing, so a
/// retry with the key runs again and must find what the first attempt left
/// (the checkout finds its order by the key). If the request is dropped
/// half-way, the connection is closed rather than returned to the pool,
/// which releases the lock.
pub struct IdempotentSession<T> {
    pub body: T,
    conn: Option<comptoir_db::pool::PooledConnection>,
    pub scope: String,
    route: String,
    pub key: IdempotencyKey,
    pub request_hash: Vec<u8>,
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
        let ReadRequest {
            body,
            scope,
            route,
            key,
            request_hash,
        } = read_request(request, state).await?;

        let conn = app.db.acquire().await.map_err(db_failure)?;
        // In the guard before the lock is asked for: dropped at any point
        // from here on (a cancelled request), the connection is closed,
        // which releases a lock it may hold.
        let mut held = Self {
            body,
            conn: Some(conn),
            scope,
            route,
            key,
            request_hash,
        };
        let owned = held.key_ref_owned();
        if !store::try_lock_session(held.conn(), owned.as_ref())
            .await
            .map_err(db_failure)?
        {
            // Not locked: the connection may go back to the pool.
            drop(held.conn.take());
            return Err(in_flight().into_response());
        }
        let found = store::find(held.conn(), owned.as_ref()).await;
        match found {
            Ok(None) => Ok(held),
            Ok(Some(stored)) => {
                let answer = if stored.request_hash == held.request_hash {
                    replay(stored)
                } else {
                    key_reused().into_response()
                };
                held.release().await;
                Err(answer)
            }
            Err(err) => Err(db_failure(err)),
        }
    }
}

/// An owned copy of a key's parts, so it can be borrowed beside the connection.
struct OwnedKey {
    scope: String,
    route: String,
    key: String,
}

impl OwnedKey {
    fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            scope: &self.scope,
            route: &self.route,
            key: &self.key,
        }
    }
}

impl<T> IdempotentSession<T> {
    /// The connection that holds the key; run the request's transactions on it.
    pub fn conn(&mut self) -> &mut comptoir_db::PgConnection {
        match self.conn.as_mut() {
            Some(conn) => conn,
            // Only `complete` and `release` take it, and they consume self.
            None => unreachable!("the key's connection is held until the request ends"),
        }
    }

    fn key_ref_owned(&self) -> OwnedKey {
        OwnedKey {
            scope: self.scope.clone(),
            route: self.route.clone(),
            key: self.key.as_str().to_owned(),
        }
    }

    /// Stores the response with the key, releases the key and answers.
    pub async fn complete<B: Serialize>(mut self, status: StatusCode, body: &B) -> Result<Response, AppError> {
        let body = serde_json::to_vec(body).map_err(AppError::internal)?;
        let headers = vec![(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        let stored = StoredResponse {
            request_hash: self.request_hash.clone(),
            status: i16::try_from(status.as_u16()).map_err(AppError::internal)?,
            headers: serde_json::to_value(
                headers
                    .iter()
                    .filter_map(|(n, v)| Some([n.as_str().to_owned(), v.to_str().ok()?.to_owned()]))
                    .collect::<Vec<_>>(),
            )
            .map_err(AppError::internal)?,
            body,
        };
        let key = self.key_ref_owned();
        store::save(self.conn(), key.as_ref(), &stored).await?;
        self.release().await;
        let mut response = (status, stored.body).into_response();
        response.headers_mut().extend(headers);
        Ok(response)
    }

    /// Releases the key without storing an answer (a retry runs again).
    pub async fn release(mut self) {
        let key = self.key_ref_owned();
        // Unlocked while still in the guard: cancelled half-way, the
        // connection is closed rather than pooled with the lock.
        if store::unlock_session(self.conn(), key.as_ref()).await.is_ok() {
            drop(self.conn.take());
        }
    }
}

impl<T> Drop for IdempotentSession<T> {
    fn drop(&mut self) {
        // Dropped with the key still held (an error, a cancelled request):
        // closing the connection is what releases a session lock.
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}
