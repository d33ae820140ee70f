//! Accounts, sign-in, sessions, staff administration and API keys.

pub mod addresses;
pub mod api_keys;
pub mod auth;
pub mod me;
pub mod recovery;
pub mod users;

use std::sync::Arc;

use comptoir_db::PgConnection;
use comptoir_db::identity::{RoleAssignment, User};
use comptoir_db::platform::audit::{self, Actor};
use comptoir_domain::identity::{Email, Grant, Role, Scope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::{ApiError, FieldError};
use crate::http::RequestContext;
use comptoir_app::crypto::FieldCipher;

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

    pub async fn load(conn: &mut PgConnection, id: Uuid, cipher: &FieldCipher) -> Result<Self, ApiError> {
        let user = comptoir_db::identity::get_user(conn, id).await?;
        let roles = comptoir_db::identity::roles_of(conn, id).await?;
        Ok(Self::new(user, roles, cipher))
    }
}

/// A role to grant: the role and, for store and company roles, its scope.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    #[schema(example = "manager")]
    pub role: String,
    pub store_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
}

impl RoleRequest {
    pub fn grant(&self, field: &str) -> Result<Grant, FieldError> {
        let role: Role = self.role.parse().map_err(|()| {
            FieldError::new(
                format!("{field}.role"),
                "invalid",
                "expected admin, manager, cashier, b2b_buyer, b2b_admin or customer",
            )
        })?;
        Grant::from_parts(role, self.store_id, self.company_id)
            .map_err(|message| FieldError::new(format!("{field}.scope"), "invalid", message))
    }
}

/// What an account's roles grant, as access tokens carry them.
pub async fn grants_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<Grant>, ApiError> {
    Ok(comptoir_db::identity::roles_of(conn, user_id)
        .await?
        .into_iter()
        .filter_map(|row| Grant::from_parts(row.role.parse().ok()?, row.store_id, row.company_id).ok())
        .collect())
}

/// Stores a grant; a store or company that does not exist is a 422.
pub async fn grant(conn: &mut PgConnection, user_id: Uuid, grant: Grant) -> Result<RoleAssignment, ApiError> {
    comptoir_db::identity::grant_role(
        conn,
        user_id,
        grant.role().as_str(),
        grant.store_id(),
        grant.company_id(),
    )
    .await
    .map_err(|err| match err {
        comptoir_db::Error::ForeignKey { .. } => ApiError::validation(vec![FieldError::new(
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

pub fn field_error(error: comptoir_domain::identity::FieldError) -> FieldError {
    FieldError::new(error.field, error.code, error.message)
}

/// A security event for the audit log, with the request's id and address.
pub struct SecurityEvent<'a> {
    pub actor: Actor,
    pub action: &'a str,
    pub subject: Option<Uuid>,
    pub details: serde_json::Value,
}

pub async fn record(
    conn: &mut PgConnection,
    context: Option<&Arc<RequestContext>>,
    client: &ClientInfo,
    event: SecurityEvent<'_>,
) -> Result<(), ApiError> {
    let subject_id = event.subject.map(|id| id.to_string());
    audit::record(
        conn,
        &audit::NewEntry {
            actor: event.actor,
            action: event.action,
            subject_type: event.subject.map(|_| "user"),
            subject_id: subject_id.as_deref(),
            request_id: context.map(|c| c.request_id()),
            ip: client.ip.as_deref(),
            details: event.details,
        },
    )
    .await?;
    Ok(())
}

/// Keyset cursor over (created_at, id), as `{unix nanoseconds}.{uuid}`.
pub fn encode_cursor(at: OffsetDateTime, id: Uuid) -> String {
    format!("{}.{id}", at.unix_timestamp_nanos())
}

pub fn decode_cursor(raw: &str) -> Result<(OffsetDateTime, Uuid), ApiError> {
    let invalid = || ApiError::validation(vec![FieldError::new("cursor", "invalid", "not a cursor this API gave")]);
    let (nanos, id) = raw.split_once('.').ok_or_else(invalid)?;
    let at = nanos
        .parse::<i128>()
        .ok()
        .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
        .ok_or_else(invalid)?;
    Ok((at, id.parse().map_err(|_| invalid())?))
}

/// Shared state of the identity handlers.
pub type State = axum::extract::State<AppState>;
