//! API keys for integrations: created with scopes, shown once, listed with
//! their last use, revoked.

use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::ApiScope;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, Type};
use uuid::Uuid;

use super::{SecurityEvent, State, record};
use crate::auth::{Caller, ClientInfo};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path};
use crate::http::RequestContext;
use comptoir_app::identity::tokens::secret_hash;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The start of the key, to recognise it: `cpt_1a2b3c4d`.
    pub prefix: String,
    #[schema(example = json!(["catalog:read", "inventory:write"]))]
    pub scopes: Vec<String>,
    pub created_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<db::ApiKey> for ApiKeyView {
    fn from(key: db::ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes,
            created_by: key.created_by,
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[schema(example = "ERP sync", min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    /// In the future.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// `scopes` as the document states them: at least one of [`ApiScope::ALL`]
/// (a scope given twice counts once).
fn scopes_schema() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(ApiScope::ALL.map(ApiScope::as_str))),
        )
        .min_items(Some(1))
        .examples([json!(["catalog:read", "inventory:write"])])
        .build()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// Send as `X-API-Key`. Shown this once: only its hash is kept.
    pub secret: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    pub items: Vec<ApiKeyView>,
}

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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<CreateApiKeyRequest>,
) -> Result<Response, ApiError> {
    let admin = caller.require_admin()?;
    let mut errors = Vec::new();
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "invalid", "expected 1 to 100 characters"));
    }
    if request.scopes.is_empty() {
        errors.push(FieldError::new("scopes", "required", "give at least one scope"));
    }
    let mut scopes: Vec<ApiScope> = Vec::new();
    for (i, scope) in request.scopes.iter().enumerate() {
        match scope.parse::<ApiScope>() {
            Ok(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Ok(_) => {}
            Err(()) => errors.push(FieldError::new(format!("scopes[{i}]"), "invalid", "unknown scope")),
        }
    }
    if request.expires_at.is_some_and(|at| at <= OffsetDateTime::now_utc()) {
        errors.push(FieldError::new("expires_at", "invalid", "must be in the future"));
    }
    ApiError::unless_valid(errors)?;
    let key_bytes: [u8; 4] = rand::random();
    let prefix = format!("cpt_{}", hex::encode(key_bytes));
    let secret_bytes: [u8; 32] = rand::random();
    let secret = format!("{prefix}_{}", hex::encode(secret_bytes));
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let key = db::insert_api_key(
        &mut tx,
        &db::NewApiKey {
            id: Uuid::now_v7(),
            name,
            prefix: &prefix,
            secret_hash: &secret_hash(&secret),
            scopes: &scope_names,
            created_by: Some(admin.id),
            expires_at: request.expires_at,
        },
    )
    .await?;
    record(
        &mut tx,
        context.as_deref(),
        &client,
        SecurityEvent {
            actor: Actor::User(admin.id),
            action: "api_key.created",
            subject: None,
            details: json!({"api_key_id": key.id, "prefix": prefix, "scopes": scope_names}),
        },
    )
    .await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: key.into(),
            secret,
        }),
    )
        .into_response())
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
    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
    let items = db::list_api_keys(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(ApiKeyList { items }))
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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let admin = caller.require_admin()?;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let Some(key) = db::revoke_api_key(&mut tx, id).await? else {
        return Err(ApiError::not_found("api_key.not_found", "No API key has this id."));
    };
    record(
        &mut tx,
        context.as_deref(),
        &client,
        SecurityEvent {
            actor: Actor::User(admin.id),
            action: "api_key.revoked",
            subject: None,
            details: json!({"api_key_id": key.id, "prefix": key.prefix}),
        },
    )
    .await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}
