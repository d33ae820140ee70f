//! Who is calling, as the API meets it: the extractors every route declares
//! its access with, over the principal of `comptoir_app::identity`.
//!
//! Authorization is declared by what a handler extracts: [`Caller`] for any
//! signed-in user or API key, then `user`, `require_admin` or
//! `require_scope`. A route that extracts no caller is public, and the
//! authorization matrix test (`tests/api/identity/matrix.rs`) fails for any
//! route it does not list, so a route cannot be added without deciding.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use comptoir_app::identity::{Auth, tokens};
pub use comptoir_app::identity::{Principal, UserCaller};

use crate::app::AppState;
use crate::error::ApiError;
use crate::http::RequestContext;

/// The client's address: the peer's, or, when the peer is a trusted proxy,
/// the last address in `X-Forwarded-For` that is not one of ours.
pub fn client_ip(auth: &Auth, parts: &Parts) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())?;
    if !auth.is_trusted_proxy(peer) {
        return Some(peer);
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|hop| !auth.is_trusted_proxy(*hop))
            .unwrap_or(peer),
    )
}

/// 403 `auth.forbidden`.
pub fn forbidden(detail: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "auth.forbidden", detail)
}

fn unauthorized(code: &'static str, detail: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, detail)
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
}

/// The caller of a route that requires one: `Authorization: Bearer` with
/// an access token, or `X-API-Key`. Anything else answers 401.
pub struct Caller(pub Principal);

impl std::ops::Deref for Caller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match authenticate(parts, state).await? {
            Some(principal) => {
                scope_keys(parts, &principal);
                Ok(Caller(principal))
            }
            None => Err(unauthorized(
                "auth.required",
                "Sign in, or send an API key, to do this.",
            )),
        }
    }
}

/// A caller who may be anonymous (a guest's cart). Credentials that are
/// sent must still be valid: a bad token answers 401, never "anonymous".
pub struct MaybeCaller(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate(parts, state).await?;
        if let Some(principal) = &principal {
            scope_keys(parts, principal);
        }
        Ok(MaybeCaller(principal))
    }
}

/// Idempotency keys belong to their caller: the same key sent by someone
/// else is another key.
fn scope_keys(parts: &mut Parts, principal: &Principal) {
    parts.extensions.insert(principal.idempotency_scope());
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Principal>, ApiError> {
    let principal = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| unauthorized("auth.invalid_token", "The Authorization header must be Bearer <token>."))?;
        let claims = state.auth.tokens.verify(token).map_err(|err| match err {
            tokens::TokenError::Expired => {
                unauthorized("auth.token_expired", "The access token has expired; refresh it.")
            }
            tokens::TokenError::Invalid => unauthorized("auth.invalid_token", "The access token is not valid."),
        })?;
        Principal::User(UserCaller {
            id: claims.sub,
            session_id: claims.sid,
            grants: claims.grants(),
        })
    } else if let Some(value) = parts.headers.get("x-api-key") {
        let secret = value.to_str().unwrap_or_default().trim();
        let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
        let key = comptoir_db::identity::use_api_key(&mut conn, &tokens::secret_hash(secret))
            .await?
            .ok_or_else(|| unauthorized("auth.invalid_api_key", "The API key is unknown, revoked or expired."))?;
        Principal::ApiKey {
            id: key.id,
            scopes: key.scopes.iter().filter_map(|s| s.parse().ok()).collect(),
        }
    } else {
        return Ok(None);
    };
    if let Some(context) = parts.extensions.get::<Arc<RequestContext>>() {
        let _ = context.user_id.set(principal.log_name());
    }
    Ok(Some(principal))
}

/// The client's address and user agent, for sessions and the audit log.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo {
            ip: client_ip(&state.auth, parts).map(|ip| ip.to_string()),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(300).collect()),
        })
    }
}

/// Where a request came from, as the audit log records it.
pub fn origin<'a>(
    context: Option<&'a Arc<RequestContext>>,
    client: &'a ClientInfo,
) -> comptoir_app::identity::Origin<'a> {
    comptoir_app::identity::Origin {
        request_id: context.map(|c| c.request_id()),
        ip: client.ip.as_deref(),
        user_agent: client.user_agent.as_deref(),
    }
}
