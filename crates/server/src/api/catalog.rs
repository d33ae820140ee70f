//! The catalog: what shoppers browse and search, and what administrators
//! and integrations maintain.
//!
//! Public reads go through the shared cache (namespace [`NAMESPACE`]); every
//! administrative write invalidates it after its commit, so the next read
//! on any instance sees the change.

pub mod attribute_types;
pub mod categories;
pub mod definitions;
pub mod favorites;
pub mod import;
pub mod listing;
pub mod products;
pub mod variants;

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_db::PgConnection;
use comptoir_db::catalog::{self as db, SlugTable};
use comptoir_db::platform::audit::{self, Actor};
use comptoir_domain::catalog::Slug;
use comptoir_domain::identity::ApiScope;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::{Caller, Principal};
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::http::RequestContext;

pub type State = axum::extract::State<AppState>;

/// The cache namespace of every public catalog read.
pub const NAMESPACE: &str = "catalog";

/// The version an `If-Match` header names (`"3"`, `W/"3"`), when there is one.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let invalid = || {
            ApiError::bad_request(
                "request.invalid_if_match",
                "If-Match names the version of the resource as its ETag gave it, such as \"3\".",
            )
        };
        let text = raw.to_str().map_err(|_| invalid())?.trim();
        // `*`: any current version will do.
        if text == "*" {
            return Ok(Self(None));
        }
        let text = text.strip_prefix("W/").unwrap_or(text);
        let version = text.trim_matches('"').parse::<i32>().map_err(|_| invalid())?;
        Ok(Self(Some(version)))
    }
}

impl IfMatch {
    /// 412 when the caller edited an older version than the stored one.
    pub fn check(self, current: i32) -> Result<(), ApiError> {
        match self.0 {
            Some(expected) if expected != current => Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition.failed",
                format!(
                    "This resource changed since you read it (you sent version {expected}, it is at version {current}). \
                     Read it again and redo your change."
                ),
            )
            .with_header(header::ETAG, etag(current))),
            _ => Ok(()),
        }
    }
}

pub fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// A resource with its version in `ETag`, for `If-Match` on the next write.
pub fn versioned<T: Serialize>(status: StatusCode, version: i32, body: T) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
}

/// Who may maintain the catalog: administrators and API keys with
/// `catalog:write`. The actor is written in the audit log.
pub fn catalog_writer(caller: &Caller) -> Result<Actor, ApiError> {
    caller.require_scope(ApiScope::CatalogWrite)?;
    Ok(actor_of(caller))
}

/// Who may read the back-office views of the catalog (drafts included).
pub fn catalog_reader(caller: &Caller) -> Result<(), ApiError> {
    Ok(caller.require_scope(ApiScope::CatalogRead)?)
}

fn actor_of(caller: &Principal) -> Actor {
    match caller {
        Principal::User(user) => Actor::User(user.id),
        Principal::ApiKey { id, .. } => Actor::ApiKey(*id),
    }
}

/// Writes what an administrator changed in the audit log, in the
/// transaction of the change.
pub async fn audit(
    conn: &mut PgConnection,
    context: Option<&Arc<RequestContext>>,
    actor: Actor,
    action: &str,
    subject: (&str, uuid::Uuid),
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let subject_id = subject.1.to_string();
    audit::record(
        conn,
        &audit::NewEntry {
            actor,
            action,
            subject_type: Some(subject.0),
            subject_id: Some(&subject_id),
            request_id: context.map(|c| c.request_id()),
            ip: None,
            details,
        },
    )
    .await?;
    Ok(())
}

/// After a committed write: every instance reads the catalog afresh.
pub async fn invalidate(state: &AppState) {
    if let Err(err) = state.cache.invalidate_namespace(NAMESPACE).await {
        // Cached reads expire within CACHE_TTL anyway.
        tracing::warn!(error = %err, "catalog cache could not be invalidated; entries expire on their own");
    }
}

/// The slug to give a new category or product: the one asked for (which
/// must be free), or one made from the name and numbered until free.
pub async fn new_slug(
    conn: &mut PgConnection,
    table: SlugTable,
    requested: Option<&str>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Result<String, ApiError> {
    if let Some(requested) = requested {
        return match Slug::parse(requested) {
            Ok(slug) => {
                let taken = db::slugs_like(conn, table, slug.as_str()).await?;
                if taken.iter().any(|t| t == slug.as_str()) {
                    errors.push(FieldError::new("slug", "taken", "another one already has this slug"));
                }
                Ok(slug.into_string())
            }
            Err(message) => {
                errors.push(FieldError::new("slug", "invalid", message));
                Ok(String::new())
            }
        };
    }
    let base = Slug::from_name(name);
    let taken = db::slugs_like(conn, table, base.as_str()).await?;
    if !taken.iter().any(|t| t == base.as_str()) {
        return Ok(base.into_string());
    }
    let mut n = 2;
    loop {
        let candidate = base.numbered(n);
        if !taken.iter().any(|t| t == candidate.as_str()) {
            return Ok(candidate.into_string());
        }
        n += 1;
    }
}

/// A changed slug on an existing category or product: checked and free.
pub async fn changed_slug(
    conn: &mut PgConnection,
    table: SlugTable,
    requested: &str,
    current: &str,
    errors: &mut Vec<FieldError>,
) -> Result<String, ApiError> {
    if requested == current {
        return Ok(current.to_owned());
    }
    new_slug(conn, table, Some(requested), "", errors).await
}

/// A cached public answer: the body and its strong ETag.
/// Cached answers parsed once (pages read them as values). A page that shows a cached answer (the same
/// bytes, so the same ETag) reuses its parsed form: parsing a listing's
/// JSON was most of a listing page's time. At most 512 answers are kept,
/// the least used going first.
static PARSED: std::sync::LazyLock<
    moka::future::Cache<(std::any::TypeId, String), std::sync::Arc<dyn std::any::Any + Send + Sync>>,
> = std::sync::LazyLock::new(|| {
    moka::future::Cache::builder()
        .max_capacity(512)
        .time_to_idle(std::time::Duration::from_secs(600))
        .build()
});

impl CachedBody {
    /// The answer parsed, once per version of its body.
    pub async fn parsed<T>(&self) -> Result<std::sync::Arc<T>, ApiError>
    where
        T: serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        let answer = self;
        let key = (
            std::any::TypeId::of::<T>(),
            answer.etag.to_str().unwrap_or_default().to_owned(),
        );
        if let Some(hit) = PARSED.get(&key).await.and_then(|any| any.downcast::<T>().ok()) {
            return Ok(hit);
        }
        let value: std::sync::Arc<T> =
            std::sync::Arc::new(serde_json::from_slice(&answer.body).map_err(ApiError::internal)?);
        PARSED.insert(key, value.clone()).await;
        Ok(value)
    }
}

#[derive(Clone)]
pub struct CachedBody {
    pub body: bytes::Bytes,
    pub etag: HeaderValue,
}

impl CachedBody {
    /// The ETag is a 128-bit XXH3 of the body: it only has to change when
    /// the body does (no one gains by forging one), and a page of 20 cards
    /// hashes about ten times faster than with SHA-256, which was 6 % of an
    /// uncached list's CPU.
    pub fn new(body: Vec<u8>) -> Self {
        let digest = xxhash_rust::xxh3::xxh3_128(&body);
        let etag =
            HeaderValue::from_str(&format!("\"{digest:032x}\"")).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Self {
            body: body.into(),
            etag,
        }
    }

    /// The cache entry: the ETag, a newline, the body; a hit costs no hashing.
    fn to_entry(&self) -> bytes::Bytes {
        let mut entry = Vec::with_capacity(self.etag.len() + 1 + self.body.len());
        entry.extend_from_slice(self.etag.as_bytes());
        entry.push(b'\n');
        entry.extend_from_slice(&self.body);
        entry.into()
    }

    fn from_entry(entry: bytes::Bytes) -> Option<Self> {
        let split = entry.iter().position(|b| *b == b'\n')?;
        let etag = HeaderValue::from_bytes(&entry[..split]).ok()?;
        Some(Self {
            body: entry.slice(split + 1..),
            etag,
        })
    }

    /// The 200 answer, or 304 when the client holds this version.
    pub fn respond(self, request_headers: &HeaderMap) -> Response {
        let headers = [
            (header::ETAG, self.etag.clone()),
            // Shared caches may keep it but must ask again each time: an
            // admin change shows on the next read.
            (header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache")),
        ];
        if none_match(request_headers, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        (
            headers,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            self.body,
        )
            .into_response()
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, `*` included).
fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(value) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == ours)
}

/// Serves a public read from the cache, or computes, stores and serves it.
/// `compute` answers the JSON body.
pub async fn cached<F>(state: &AppState, headers: &HeaderMap, key: &str, compute: F) -> Result<Response, ApiError>
where
    F: AsyncFnOnce() -> Result<Vec<u8>, ApiError>,
{
    Ok(cached_body(state, key, compute).await?.respond(headers))
}

/// The cached answer under `key`, or `compute`'s, stored for the next read.
pub async fn cached_body<F>(state: &AppState, key: &str, compute: F) -> Result<CachedBody, ApiError>
where
    F: AsyncFnOnce() -> Result<Vec<u8>, ApiError>,
{
    let ttl = state.config.catalog_cache_ttl;
    if ttl.is_zero() {
        return Ok(CachedBody::new(compute().await?));
    }
    let lookup = state.cache.lookup(NAMESPACE, key).await;
    if let Some(answer) = lookup.value.clone().and_then(CachedBody::from_entry) {
        return Ok(answer);
    }
    let answer = CachedBody::new(compute().await?);
    state.cache.fill(NAMESPACE, &lookup, key, answer.to_entry(), ttl).await;
    Ok(answer)
}
