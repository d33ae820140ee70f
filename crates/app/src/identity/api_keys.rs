//! API keys for integrations: created with scopes, shown once, listed with
//! their last use, revoked. The caller has checked that an administrator
//! acts (`admin`); each change is audited with its `origin`.

use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::ApiScope;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tokens::secret_hash;
use super::{Origin, SecurityEvent, record};
use crate::Context;
use crate::error::{AppError, FieldError};

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
    /// 1 to 100 characters.
    #[schema(example = "ERP sync", min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    /// In the future.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
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
pub async fn create_api_key(
    ctx: &Context,
    admin: Uuid,
    origin: Origin<'_>,
    request: &CreateApiKeyRequest,
) -> Result<CreatedApiKey, AppError> {
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
    AppError::unless_valid(errors)?;
    let key_bytes: [u8; 4] = rand::random();
    let prefix = format!("cpt_{}", hex::encode(key_bytes));
    let secret_bytes: [u8; 32] = rand::random();
    let secret = format!("{prefix}_{}", hex::encode(secret_bytes));
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let mut tx = ctx.db.begin().await?;
    let key = db::insert_api_key(
        &mut tx,
        &db::NewApiKey {
            id: Uuid::now_v7(),
            name,
            prefix: &prefix,
            secret_hash: &secret_hash(&secret),
            scopes: &scope_names,
            created_by: Some(admin),
            expires_at: request.expires_at,
        },
    )
    .await?;
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(admin),
            action: "api_key.created",
            subject: None,
            details: json!({"api_key_id": key.id, "prefix": prefix, "scopes": scope_names}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        key: key.into(),
        secret,
    })
}

/// Every API key, newest first, with its last use.
pub async fn list_api_keys(ctx: &Context) -> Result<ApiKeyList, AppError> {
    let mut conn = ctx.db.acquire().await?;
    let items = db::list_api_keys(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(ApiKeyList { items })
}

/// Revokes a key: it stops working at once.
pub async fn revoke_api_key(ctx: &Context, admin: Uuid, origin: Origin<'_>, id: Uuid) -> Result<(), AppError> {
    let mut tx = ctx.db.begin().await?;
    let Some(key) = db::revoke_api_key(&mut tx, id).await? else {
        return Err(AppError::not_found("api_key.not_found", "No API key has this id."));
    };
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(admin),
            action: "api_key.revoked",
            subject: None,
            details: json!({"api_key_id": key.id, "prefix": key.prefix}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `scopes` as the document states them: at least one of [`ApiScope::ALL`]
/// (a scope given twice counts once).
fn scopes_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
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
