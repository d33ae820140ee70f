//! Idempotency keys: an operation that moves money or stock runs at most
//! once per key, caller and operation, whoever calls it (the API's
//! `Idempotency-Key` header, a page's form key).
//!
//! - same key, same request: the stored answer is given back, nothing runs again;
//! - same key, another request: `idempotency.key_reused`;
//! - same key while the first still runs: `idempotency.in_flight`.
//!
//! Two ways to hold a key:
//! - [`IdempotentTx`]: the operation runs in the transaction that holds the
//!   key and stores its answer there, so the effect and the key commit
//!   together or not at all;
//! - [`IdempotencySession`]: for operations that call out between
//!   transactions (a checkout calls the payment gateway after its order
//!   commits, so no stock row stays locked while a bank answers). The key is
//!   held by a session lock on one connection for the whole operation, and
//!   its transactions run on that connection. An operation that ends
//!   without [`IdempotencySession::complete`] stores nothing, so a retry
//!   runs again and must find what the first attempt left (the checkout
//!   finds its order by the key). Dropped half-way, the connection is closed
//!   rather than returned to the pool, which releases the lock.
//!
//! An error stores nothing: the caller may retry with the same key.

use comptoir_db::platform::idempotency::{self as store, KeyRef, StoredResponse};
use comptoir_db::pool::PooledConnection;
use comptoir_db::{PgConnection, Postgres, Transaction};
use comptoir_domain::platform::IdempotencyKey;
use sha2::{Digest, Sha256};

use crate::Context;
use crate::error::{AppError, ErrorKind};

/// Whom stored keys belong to (`user:<id>`, `api_key:<id>`, `anonymous`).
#[derive(Debug, Clone)]
pub struct CallerScope(pub String);

impl CallerScope {
    /// Callers without an account share one scope, where keys are unguessable UUIDs.
    pub fn anonymous() -> Self {
        Self("anonymous".to_owned())
    }
}

/// What a key stands for: who asked, which operation, and a hash of the
/// request's target and body.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    pub scope: CallerScope,
    /// The operation, such as `POST /api/v1/checkout`: pages and the API
    /// name the same operation the same way, so a key is one key whichever
    /// of them sent it.
    pub operation: String,
    pub key: IdempotencyKey,
    pub request_hash: Vec<u8>,
}

impl KeyedRequest {
    fn key_ref(&self) -> KeyRef<'_> {
        KeyRef {
            scope: &self.scope.0,
            route: &self.operation,
            key: self.key.as_str(),
        }
    }

    /// The caller's key with its scope: stable across retries of one request.
    pub fn key_text(&self) -> String {
        format!("{}:{}", self.scope.0, self.key.as_str())
    }
}

/// What a request's key stands for: the target it was sent to and its body.
/// The same key and body sent to another resource of one operation
/// (shipping transfer B with the key used for transfer A) is a different
/// request, refused as a reused key, never A's replay.
pub fn request_hash(target: &str, body: &[u8]) -> Vec<u8> {
    Sha256::new()
        .chain_update(target.as_bytes())
        .chain_update(b"\n")
        .chain_update(body)
        .finalize()
        .to_vec()
}

/// The answer given the first time, kept for replays: opaque to the use
/// cases, written and read by the adapter that answered.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub status: u16,
    /// `(name, value)` pairs the answer carried.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl StoredAnswer {
    /// A JSON answer: what the API sends and replays, and what a page
    /// reads back when its form is sent twice.
    pub fn json<B: serde::Serialize>(status: u16, body: &B) -> Result<Self, AppError> {
        Ok(Self {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: serde_json::to_vec(body).map_err(AppError::internal)?,
        })
    }

    /// A JSON answer for something created (an order, a payment).
    pub fn created<B: serde::Serialize>(body: &B) -> Result<Self, AppError> {
        Self::json(201, body)
    }

    /// The body of a JSON answer, typed.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, AppError> {
        serde_json::from_slice(&self.body).map_err(AppError::internal)
    }

    fn stored(&self, request_hash: Vec<u8>) -> Result<StoredResponse, AppError> {
        let headers: Vec<[&str; 2]> = self
            .headers
            .iter()
            .map(|(name, value)| [name.as_str(), value.as_str()])
            .collect();
        Ok(StoredResponse {
            request_hash,
            status: i16::try_from(self.status).map_err(AppError::internal)?,
            headers: serde_json::to_value(headers).map_err(AppError::internal)?,
            body: self.body.clone(),
        })
    }

    fn from_stored(stored: StoredResponse) -> Self {
        let headers: Vec<[String; 2]> = serde_json::from_value(stored.headers).unwrap_or_default();
        Self {
            status: u16::try_from(stored.status).unwrap_or(200),
            headers: headers.into_iter().map(|[name, value]| (name, value)).collect(),
            body: stored.body,
        }
    }
}

/// A key opened: held for this caller, or answered before.
pub enum Opened<T> {
    Fresh(T),
    Replay(StoredAnswer),
}

const KEY_REUSED: &str = "idempotency.key_reused";
const IN_FLIGHT: &str = "idempotency.in_flight";

/// Whether a refusal is about the key rather than the request: reused with
/// another request, or still in use. A form sent again after its operation
/// ran (the back button) meets these, and wants a fresh key.
pub fn is_stale_key(err: &AppError) -> bool {
    err.code() == KEY_REUSED || err.code() == IN_FLIGHT
}

/// 422 `idempotency.key_reused`.
pub fn key_reused() -> AppError {
    AppError::new(
        ErrorKind::Invalid,
        KEY_REUSED,
        "This Idempotency-Key was already used with a different request body; use a new key for a new request.",
    )
}

/// 409 `idempotency.in_flight`.
pub fn in_flight() -> AppError {
    AppError::conflict(
        IN_FLIGHT,
        "A request with this Idempotency-Key is still being processed; retry shortly to get its answer.",
    )
    .retry_after(1)
}

/// A key held by the transaction the operation runs in.
pub struct IdempotentTx {
    pub tx: Transaction<'static, Postgres>,
    request: KeyedRequest,
}

impl IdempotentTx {
    pub async fn open(ctx: &Context, request: KeyedRequest) -> Result<Opened<Self>, AppError> {
        let mut tx = ctx.db.begin().await?;
        if !store::try_lock(&mut tx, request.key_ref()).await? {
            return Err(in_flight());
        }
        match store::find(&mut tx, request.key_ref()).await? {
            Some(stored) if stored.request_hash == request.request_hash => {
                Ok(Opened::Replay(StoredAnswer::from_stored(stored)))
            }
            Some(_) => Err(key_reused()),
            None => Ok(Opened::Fresh(Self { tx, request })),
        }
    }

    pub fn request(&self) -> &KeyedRequest {
        &self.request
    }

    /// The transaction and the key it holds, for a caller that keeps them
    /// apart (a body borrowed beside the transaction); [`Self::from_parts`]
    /// puts them back to complete.
    pub fn into_parts(self) -> (Transaction<'static, Postgres>, KeyedRequest) {
        (self.tx, self.request)
    }

    /// A key held by `tx`, as [`Self::into_parts`] gave them.
    pub fn from_parts(tx: Transaction<'static, Postgres>, request: KeyedRequest) -> Self {
        Self { tx, request }
    }

    /// Stores the answer with the key and commits the transaction.
    pub async fn complete(mut self, answer: &StoredAnswer) -> Result<(), AppError> {
        let stored = answer.stored(self.request.request_hash.clone())?;
        store::save(&mut self.tx, self.request.key_ref(), &stored).await?;
        self.tx.commit().await.map_err(comptoir_db::Error::from)?;
        Ok(())
    }
}

/// A key held by a session lock on one connection, across transactions.
pub struct IdempotencySession {
    conn: Option<PooledConnection>,
    request: KeyedRequest,
}

impl IdempotencySession {
    pub async fn open(ctx: &Context, request: KeyedRequest) -> Result<Opened<Self>, AppError> {
        let conn = ctx.db.acquire().await?;
        // In the guard before the lock is asked for: dropped at any point
        // from here on (a cancelled request), the connection is closed,
        // which releases a lock it may hold.
        let mut held = Self {
            conn: Some(conn),
            request,
        };
        let key = held.request.clone();
        if !store::try_lock_session(held.conn(), key.key_ref()).await? {
            // Not locked: the connection may go back to the pool.
            drop(held.conn.take());
            return Err(in_flight());
        }
        match store::find(held.conn(), key.key_ref()).await? {
            None => Ok(Opened::Fresh(held)),
            Some(stored) => {
                let answer = if stored.request_hash == key.request_hash {
                    Ok(Opened::Replay(StoredAnswer::from_stored(stored)))
                } else {
                    Err(key_reused())
                };
                held.release().await;
                answer
            }
        }
    }

    /// Like [`Self::open`], for a person who sent a form twice (a double
    /// click): while the first is still running, waits for it (up to ten
    /// seconds) and then gets its answer, rather than a refusal.
    pub async fn open_waiting(ctx: &Context, request: KeyedRequest) -> Result<Opened<Self>, AppError> {
        for _ in 0..50 {
            match Self::open(ctx, request.clone()).await {
                Err(err) if err.code() == IN_FLIGHT => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                answer => return answer,
            }
        }
        Self::open(ctx, request).await
    }

    pub fn request(&self) -> &KeyedRequest {
        &self.request
    }

    /// The connection that holds the key; run the operation's transactions on it.
    pub fn conn(&mut self) -> &mut PgConnection {
        match self.conn.as_mut() {
            Some(conn) => conn,
            // Only `complete` and `release` take it, and they consume self.
            None => unreachable!("the key's connection is held until the operation ends"),
        }
    }

    /// Stores the answer with the key and releases the key.
    pub async fn complete(mut self, answer: &StoredAnswer) -> Result<(), AppError> {
        let stored = answer.stored(self.request.request_hash.clone())?;
        let key = self.request.clone();
        store::save(self.conn(), key.key_ref(), &stored).await?;
        self.release().await;
        Ok(())
    }

    /// Releases the key without storing an answer (a retry runs again).
    pub async fn release(mut self) {
        let key = self.request.clone();
        // Unlocked while still in the guard: cancelled half-way, the
        // connection is closed rather than pooled with the lock.
        if store::unlock_session(self.conn(), key.key_ref()).await.is_ok() {
            drop(self.conn.take());
        }
    }
}

impl Drop for IdempotencySession {
    fn drop(&mut self) {
        // Dropped with the key still held (an error, a cancelled request):
        // closing the connection is what releases a session lock.
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}
