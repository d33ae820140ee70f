//! API keys for integrations: created with scopes, shown once, listed with
//! their last use, revoked. The rules are `comptoir_app::identity::api_keys`'s;
//! these handlers check that an administrator calls, and answer.

use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::State;
use crate::auth::{Caller, ClientInfo, origin};
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::http::RequestContext;
use comptoir_app::identity::api_keys as rules;
pub use comptoir_app::identity::api_keys::{ApiKeyList, ApiKeyView, CreateApiKeyRequest, CreatedApiKey};

type RequestInfo = Option<Extension<Arc<RequestContext>>>;

/// Creates an API key. The secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/api-keys",
    tag = "identity",
    security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
)]
pub async fn create_api_key(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Json(request): Json<CreateApiKeyRequest>,
) -> Result<Response, ApiError> {
    let admin = caller.require_admin()?;
    let created = rules::create_api_key(&state, admin.id, origin(context.as_deref(), &client), &request).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Every API key, newest first, with its last use.
#[utoipa::path(
    get,
    path = "/api/v1/admin/api-keys",
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApiKeyList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    ),
)]
pub async fn list_api_keys(
    axum::extract::State(state): State,
    Caller(caller): Caller,
) -> Result<Json<ApiKeyList>, ApiError> {
    caller.require_admin()?;
    Ok(Json(rules::list_api_keys(&state).await?))
}

/// Revokes a key: it stops working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/api-keys/{id}",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    ),
)]
pub async fn revoke_api_key(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let admin = caller.require_admin()?;
    rules::revoke_api_key(&state, admin.id, origin(context.as_deref(), &client), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
