//! Who is calling and what they may do: passwords, tokens, the sign-in
//! limits, and the principal every use case is given.

pub mod limits;
pub mod password;
pub mod tokens;

use std::net::IpAddr;

use comptoir_domain::identity::{ApiScope, Grant, Role};
use uuid::Uuid;

use crate::config::{Config, IpBlock};
use crate::error::AppError;
use crate::platform::idempotency::CallerScope;

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

    /// Whether `ip` is one of our load balancers, whose `X-Forwarded-For` is believed.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
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
    /// For operations on the caller's own account: API keys have none.
    pub fn user(&self) -> Result<&UserCaller, AppError> {
        match self {
            Principal::User(user) => Ok(user),
            Principal::ApiKey { .. } => Err(AppError::forbidden(
                "This operation needs a signed-in user, not an API key.",
            )),
        }
    }

    /// Administration: users with the `admin` role only.
    pub fn require_admin(&self) -> Result<&UserCaller, AppError> {
        let user = self.user()?;
        if user.is_admin() {
            Ok(user)
        } else {
            Err(AppError::forbidden("This operation is reserved to administrators."))
        }
    }

    /// Integrations: an API key with `scope`, or an administrator.
    pub fn require_scope(&self, scope: ApiScope) -> Result<(), AppError> {
        match self {
            Principal::User(user) if user.is_admin() => Ok(()),
            Principal::ApiKey { scopes, .. } if scopes.iter().any(|held| held.covers(scope)) => Ok(()),
            Principal::ApiKey { .. } => Err(AppError::forbidden(format!(
                "This API key lacks the {} scope.",
                scope.as_str()
            ))),
            Principal::User(_) => Err(AppError::forbidden("You are not allowed to do this.")),
        }
    }

    /// The scope of this caller's idempotency keys: the same key sent by
    /// someone else is another key.
    pub fn idempotency_scope(&self) -> CallerScope {
        CallerScope(match self {
            Principal::User(user) => format!("user:{}", user.id),
            Principal::ApiKey { id, .. } => format!("api_key:{id}"),
        })
    }

    /// How logs and the request context name this caller.
    pub fn log_name(&self) -> String {
        match self {
            Principal::User(user) => user.id.to_string(),
            Principal::ApiKey { id, .. } => format!("api_key:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use comptoir_domain::identity::Scope;

    use super::*;
    use crate::error::ErrorKind;

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
            user(&[Role::Customer]).require_admin().unwrap_err().kind(),
            ErrorKind::Forbidden
        );
        let key = Principal::ApiKey {
            id: Uuid::now_v7(),
            scopes: vec![ApiScope::CatalogWrite],
        };
        assert_eq!(key.require_admin().unwrap_err().kind(), ErrorKind::Forbidden);
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
