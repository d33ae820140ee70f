//! Accounts, sign-in, sessions, staff administration and API keys.

pub mod addresses;
pub mod api_keys;
pub mod auth;
pub mod me;
pub mod recovery;
pub mod users;

use std::sync::Arc;

use comptoir_db::PgConnection;

use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::ApiError;
use crate::http::RequestContext;
pub use comptoir_app::identity::{Account, Origin, RoleView, SecurityEvent, parse_name};

pub use comptoir_app::identity::staff::RoleRequest;

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
