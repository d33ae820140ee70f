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
use utoipa::ToSchema;
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

pub use comptoir_app::platform::{decode_cursor, encode_cursor};

/// Shared state of the identity handlers.
pub type State = axum::extract::State<AppState>;
