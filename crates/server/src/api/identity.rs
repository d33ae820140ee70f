//! Accounts, sign-in, sessions, staff administration and API keys.

pub mod addresses;
pub mod api_keys;
pub mod auth;
pub mod me;
pub mod recovery;
pub mod users;

use std::sync::Arc;

use comptoir_db::PgConnection;
use comptoir_domain::identity::{Grant, Role};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::{ApiError, FieldError};
use crate::http::RequestContext;
pub use comptoir_app::identity::{Account, Origin, RoleView, SecurityEvent, parse_name};

/// A role to grant: the role and, for store and company roles, its scope.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    #[schema(schema_with = role_schema)]
    pub role: String,
    /// For `manager` and `cashier` only, who hold over one store.
    pub store_id: Option<Uuid>,
    /// For `b2b_buyer` and `b2b_admin` only, who hold over one company.
    pub company_id: Option<Uuid>,
}

/// `role` as the document states it: one of [`Role::ALL`].
fn role_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Role::ALL.map(Role::as_str)))
        .examples(["manager"])
        .build()
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

pub use comptoir_app::identity::{grant, grants_of, parse_email};

pub use comptoir_app::identity::field_error;

pub async fn record(
    conn: &mut PgConnection,
    context: Option<&Arc<RequestContext>>,
    client: &ClientInfo,
    event: SecurityEvent<'_>,
) -> Result<(), ApiError> {
    Ok(comptoir_app::identity::record(conn, crate::auth::origin(context, client), event).await?)
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
