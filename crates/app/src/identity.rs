//! Who is calling and what they may do: passwords, tokens, the sign-in
//! limits, and the principal every use case is given.

pub mod addresses;
pub mod api_keys;
pub mod limits;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod sessions;
pub mod staff;
pub mod tokens;

use std::net::IpAddr;

use comptoir_db::PgConnection;
use comptoir_db::identity::{RoleAssignment, User};
use comptoir_db::platform::audit::{self, Actor};
use comptoir_domain::identity::{ApiScope, Email, Grant, Role, Scope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::{Config, IpBlock};
use crate::crypto::FieldCipher;
use crate::error::{AppError, FieldError};
use crate::platform::idempotency::CallerScope;

/// A domain field error as the use cases answer it.
pub fn field_error(error: comptoir_domain::identity::FieldError) -> crate::error::FieldError {
    crate::error::FieldError::new(error.field, error.code, error.message)
}

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
    /// Who acts, as the audit trail records it.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::User(user) => Actor::User(user.id),
            Principal::ApiKey { id, .. } => Actor::ApiKey(*id),
        }
    }

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

/// A role held by an account, with what it holds over.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleView {
    pub id: Uuid,
    /// `admin`, `manager`, `cashier`, `b2b_buyer`, `b2b_admin` or `customer`.
    #[schema(example = "cashier")]
    pub role: String,
    /// The store of a `manager` or `cashier`.
    pub store_id: Option<Uuid>,
    /// The company of a `b2b_buyer` or `b2b_admin`.
    pub company_id: Option<Uuid>,
}

impl From<RoleAssignment> for RoleView {
    fn from(row: RoleAssignment) -> Self {
        Self {
            id: row.id,
            role: row.role,
            store_id: row.store_id,
            company_id: row.company_id,
        }
    }
}

/// An account as its owner and administrators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: Uuid,
    #[schema(example = "anne.kerjean@exemple.fr")]
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Stored encrypted.
    #[schema(example = "0612345678")]
    pub phone: Option<String>,
    pub email_verified: bool,
    pub roles: Vec<RoleView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Account {
    pub fn new(user: User, roles: Vec<RoleAssignment>, cipher: &FieldCipher) -> Self {
        let phone = user
            .phone_encrypted
            .as_deref()
            .and_then(|sealed| match cipher.decrypt(sealed) {
                Ok(phone) => Some(phone),
                Err(err) => {
                    tracing::error!(user_id = %user.id, error = %err, "a stored phone number cannot be decrypted");
                    None
                }
            });
        Self {
            phone,
            id: user.id,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            status: user.status,
            email_verified: user.email_verified_at.is_some(),
            roles: roles.into_iter().map(RoleView::from).collect(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }

    pub async fn load(conn: &mut PgConnection, id: Uuid, cipher: &FieldCipher) -> Result<Self, AppError> {
        let user = comptoir_db::identity::get_user(conn, id).await?;
        let roles = comptoir_db::identity::roles_of(conn, id).await?;
        Ok(Self::new(user, roles, cipher))
    }
}

/// A trimmed name of 1 to 100 characters.
pub fn parse_name(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let name = raw.trim();
    let length = name.chars().count();
    if length == 0 || length > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "invalid", "expected 1 to 100 characters"));
        return None;
    }
    Some(name.to_owned())
}

/// A security event for the audit log, with the request's id and address.
pub struct SecurityEvent<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub subject: Option<Uuid>,
    pub details: serde_json::Value,
}

/// Where a request came from: for the audit log, and the sessions it opens.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    pub request_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// Writes a security event to the audit log, in the caller's transaction.
pub async fn record(conn: &mut PgConnection, origin: Origin<'_>, event: SecurityEvent<'_>) -> Result<(), AppError> {
    let subject_id = event.subject.map(|id| id.to_string());
    audit::record(
        conn,
        &audit::NewEntry {
            actor: event.actor,
            action: event.action,
            subject_type: event.subject.map(|_| "user"),
            subject_id: subject_id.as_deref(),
            request_id: origin.request_id,
            ip: origin.ip,
            details: event.details,
        },
    )
    .await?;
    Ok(())
}

/// What an account's roles grant, as access tokens carry them.
/// A role the domain does not know, or a scope it does not allow, is a
/// fault of the data, refused: never dropped silently, which would sign
/// someone in with fewer rights than the database says, and no one the wiser.
pub async fn grants_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Grant>, AppError> {
    comptoir_db::identity::roles_of(conn, user_id)
        .await?
        .into_iter()
        .map(|row| {
            let role: Role = row.role.parse().map_err(|()| {
                AppError::internal(anyhow::anyhow!("user {user_id} holds the unknown role {:?}", row.role))
            })?;
            Grant::from_parts(role, row.store_id, row.company_id).map_err(|message| {
                AppError::internal(anyhow::anyhow!(
                    "user {user_id} holds an invalid {} grant: {message}",
                    row.role
                ))
            })
        })
        .collect()
}

/// Stores a grant; a store or company that does not exist is a 422.
pub async fn grant(conn: &mut PgConnection, user_id: Uuid, grant: Grant) -> Result<RoleAssignment, AppError> {
    comptoir_db::identity::grant_role(
        conn,
        user_id,
        grant.role().as_str(),
        grant.store_id(),
        grant.company_id(),
    )
    .await
    .map_err(|err| match err {
        comptoir_db::Error::ForeignKey { .. } => AppError::validation(vec![FieldError::new(
            if matches!(grant.scope(), Scope::Store(_)) {
                "store_id"
            } else {
                "company_id"
            },
            "not_found",
            "no such store or company",
        )]),
        other => other.into(),
    })
}

pub fn parse_email(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<Email> {
    Email::parse(raw)
        .map_err(|message| errors.push(FieldError::new(field, "invalid", message)))
        .ok()
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
