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
use comptoir_db::platform::audit::{self, Actor};
use comptoir_domain::identity::ApiScope;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::http::RequestContext;

pub type State = axum::extract::State<AppState>;

pub use comptoir_app::catalog::cached::{CachedBody, NAMESPACE, cached_body, invalidate};
pub use comptoir_app::catalog::change::CatalogChange;
pub use comptoir_app::catalog::{changed_slug, new_slug};

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
        Ok(self.expected().check(current)?)
    }

    /// The version the use cases check the stored one against.
    pub fn expected(self) -> comptoir_app::platform::staff::Expected {
        comptoir_app::platform::staff::Expected(self.0)
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
    Ok(caller.0.actor())
}

/// Who may read the back-office views of the catalog (drafts included).
pub fn catalog_reader(caller: &Caller) -> Result<(), ApiError> {
    Ok(caller.require_scope(ApiScope::CatalogRead)?)
}

/// Writes what an administrator changed in the audit log, in the
/// transaction of the change.
/// Who changes the catalog, and under which request (for the audit log).
pub fn acting(actor: Actor, context: Option<&Arc<RequestContext>>) -> comptoir_app::platform::staff::Acting<'_> {
    comptoir_app::platform::staff::Acting {
        actor,
        request_id: context.map(|c| c.request_id()),
    }
}

pub async fn audit(
    conn: &mut PgConnection,
    context: Option<&Arc<RequestContext>>,
    actor: Actor,
    action: &str,
    subject: (&str, uuid::Uuid),
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let acting = comptoir_app::platform::staff::Acting {
        actor,
        request_id: context.map(|c| c.request_id()),
    };
    Ok(acting.record(conn, action, subject, details).await?)
}

/// A cached answer as HTTP: 200 with its ETag, or 304 when the client
/// holds this version.
pub fn respond(answer: CachedBody, request_headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&answer.etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let headers = [
        (header::ETAG, etag),
        // Shared caches may keep it but must ask again each time: an
        // admin change shows on the next read.
        (header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache")),
    ];
    if none_match(request_headers, &answer.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        answer.body,
    )
        .into_response()
}

/// Whether `If-None-Match` names `etag` (weak comparison, `*` included).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}

/// Serves a public read from the cache, or computes, stores and serves it.
/// `compute` answers the JSON body.
pub async fn cached<F>(state: &AppState, headers: &HeaderMap, key: &str, compute: F) -> Result<Response, ApiError>
where
    F: AsyncFnOnce() -> Result<Vec<u8>, comptoir_app::AppError>,
{
    Ok(respond(cached_body(state, key, compute).await?, headers))
}
