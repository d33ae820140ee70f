//! Who is calling and what they may do: passwords, tokens, API keys, the
//! sign-in limits, and the extractors every route declares its access with.
//!
//! Authorization is declared by what a handler extracts: [`Caller`] for any
//! signed-in user or API key, then `user`, `require_admin` or
//! `require_scope`. A route that extracts no caller is public, and the
//! authorization matrix test (`tests/api/identity/matrix.rs`) fails for any
//! route it does not list, so a route cannot be added without deciding.

pub mod limits;
pub mod password;
pub mod tokens;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use comptoir_domain::identity::{ApiScope, Grant, Role};
use uuid::Uuid;

use crate::app::AppState;
use crate::config::{Config, IpBlock};
use crate::error::AppError;
use crate::http::RequestContext;

/// The identity machinery, built once at start.
pub struct Auth {
    pub hasher: password::Hasher,
    pub tokens: tokens::TokenKeys,
    pub limits: limits::LoginLimits,
    trusted_proxies: Vec<IpBlock>,
}

impl Auth {
    pub fn new(config: &Config, cache: crate::cache::Cache) -> Self {
        Self {
            hasher: password::Hasher::new(config.password_hash_concurrency),
            tokens: tokens::TokenKeys::from_config(config),
            limits: limits::LoginLimits::new(cache, config),
            trusted_proxies: config.trusted_proxies.clone(),
        }
    }

    /// The client's address: the peer's, or, when the peer is a trusted
    /// proxy, the last address in `X-Forwarded-For` that is not one of ours.
    pub fn client_ip(&self, parts: &Parts) -> Option<IpAddr> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())?;
        if !self.is_trusted(peer) {
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
                .find(|hop| !self.is_trusted(*hop))
                .unwrap_or(peer),
        )
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|block| block.contains(ip))
    }
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub enum Principal {
    User(UserCaller),
    ApiKey { id: Uuid, scopes: Vec<ApiScope> },
}

#[derive(Debug, Clone)]
pub struct UserCaller {
    pub id: Uuid,
    pub session_id: Uuid,
    pub grants: Vec<Grant>,
}

impl UserCaller {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|grant| grant.role() == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }
}

impl Principal {
    /// For routes about the caller's own account: API keys have none.
    pub fn user(&self) -> Result<&UserCaller, AppError> {
        match self {
            Principal::User(user) => Ok(user),
            Principal::ApiKey { .. } => Err(forbidden("This operation needs a signed-in user, not an API key.")),
        }
    }

    /// Administration: users with the `admin` role only.
    pub fn require_admin(&self) -> Result<&UserCaller, AppError> {
        let user = self.user()?;
        if user.is_admin() {
            Ok(user)
        } else {
            Err(forbidden("This operation is reserved to administrators."))
        }
    }

    /// Integrations: an API key with `scope`, or an administrator.
    pub fn require_scope(&self, scope: ApiScope) -> Result<(), AppError> {
        match self {
            Principal::User(user) if user.is_admin() => Ok(()),
            Principal::ApiKey { scopes, .. } if scopes.iter().any(|held| held.covers(scope)) => Ok(()),
            Principal::ApiKey { .. } => Err(forbidden(format!("This API key lacks the {} scope.", scope.as_str()))),
            Principal::User(_) => Err(forbidden("You are not allowed to do this.")),
        }
    }
}

pub fn forbidden(detail: impl Into<std::borrow::Cow<'static, str>>) -> AppError {
    AppError::new(StatusCode::FORBIDDEN, "auth.forbidden", detail)
}

fn unauthorized(code: &'static str, detail: &'static str) -> AppError {
    AppError::new(StatusCode::UNAUTHORIZED, code, detail)
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
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
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
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
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
    parts.extensions.insert(caller_scope(principal));
}

/// The scope of a caller's idempotency keys.
pub fn caller_scope(principal: &Principal) -> crate::platform::idempotency::CallerScope {
    crate::platform::idempotency::CallerScope(match principal {
        Principal::User(user) => format!("user:{}", user.id),
        Principal::ApiKey { id, .. } => format!("api_key:{id}"),
    })
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Principal>, AppError> {
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
        let mut conn = state.db.acquire().await.map_err(AppError::unavailable)?;
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
        let who = match &principal {
            Principal::User(user) => user.id.to_string(),
            Principal::ApiKey { id, .. } => format!("api_key:{id}"),
        };
        let _ = context.user_id.set(who);
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
            ip: state.auth.client_ip(parts).map(|ip| ip.to_string()),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(300).collect()),
        })
    }
}

#[cfg(test)]
mod tests {
    use comptoir_domain::identity::Scope;

    use super::*;

    fn user(roles: &[Role]) -> Principal {
        Principal::User(UserCaller {
            id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            grants: roles.iter().filter_map(|r| r.scoped(Scope::Global).ok()).collect(),
        })
    }

    #[test]
    fn administration_needs_the_admin_role_and_a_user() {
        assert!(user(&[Role::Admin]).require_admin().is_ok());
        assert_eq!(
            user(&[Role::Customer]).require_admin().unwrap_err().status(),
            StatusCode::FORBIDDEN
        );
        let key = Principal::ApiKey {
            id: Uuid::now_v7(),
            scopes: vec![ApiScope::CatalogWrite],
        };
        assert_eq!(key.require_admin().unwrap_err().status(), StatusCode::FORBIDDEN);
        assert!(key.user().is_err());
    }

    #[test]
    fn integrations_need_a_key_with_the_scope_or_an_administrator() {
        let key = Principal::ApiKey {
            id: Uuid::now_v7(),
            scopes: vec![ApiScope::InventoryWrite],
        };
        assert!(key.require_scope(ApiScope::InventoryRead).is_ok(), "write implies read");
        assert!(key.require_scope(ApiScope::CatalogRead).is_err());
        assert!(user(&[Role::Admin]).require_scope(ApiScope::ReportsRead).is_ok());
        assert!(user(&[Role::Customer]).require_scope(ApiScope::CatalogRead).is_err());
    }
}
