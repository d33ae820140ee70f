//! The signed-in user's own account: profile, password and sessions.

use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;
use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::NewPassword;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Account, SecurityEvent, State, record};
use crate::auth::{Caller, ClientInfo};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path};
use crate::http::RequestContext;
use comptoir_app::identity::password::Verified;
pub use comptoir_app::identity::profile::{self, SessionList, SessionView, UpdateMeRequest};

/// The signed-in user's account.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Account),
        (status = 401, description = "Not signed in.", body = crate::error::Problem),
        (status = 403, description = "An API key has no account.", body = crate::error::Problem),
    ),
)]
pub async fn get_me(axum::extract::State(state): State, Caller(caller): Caller) -> Result<Json<Account>, ApiError> {
    let user = caller.user()?;
    Ok(Json(profile::account(&state, user.id).await?))
}

/// Changes the signed-in user's names. The email is changed elsewhere
/// (it needs verifying).
#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "identity",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
)]
pub async fn update_me(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    Json(request): Json<UpdateMeRequest>,
) -> Result<Json<Account>, ApiError> {
    let user = caller.user()?;
    Ok(Json(profile::update(&state, user.id, request).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 12 to 128 characters, not too guessable; no composition rules.
    #[schema(min_length = 12, max_length = 128)] // NewPassword::MIN_CHARS, MAX_CHARS
    pub new_password: String,
}

/// Changes the password. Every other session is signed out; this one
/// stays open.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "identity",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions are revoked."),
        (status = 401, body = crate::error::Problem),
        (status = 422, description = "`current_password` wrong, or the new one too weak.", body = crate::error::Problem),
        (status = 429, description = "`auth.too_many_attempts`.", body = crate::error::Problem),
    ),
)]
pub async fn change_password(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let caller = caller.user()?;
    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
    let user = db::get_user(&mut conn, caller.id).await?;
    let credentials = db::credentials_by_id(&mut conn, caller.id).await?;
    drop(conn);
    // Guessing the current password through this route counts as failed
    // sign-ins of the account.
    let limits = &state.auth.limits;
    limits
        .check(&user.email, client.ip.as_deref())
        .await
        .map_err(super::auth::too_many_attempts)?;
    if state
        .auth
        .hasher
        .verify(&request.current_password, Some(&credentials.password_hash))
        .await?
        == Verified::No
    {
        limits.failed(&user.email, client.ip.as_deref()).await;
        return Err(ApiError::validation(vec![FieldError::new(
            "current_password",
            "auth.wrong_password",
            "the current password is wrong",
        )]));
    }
    let context_words = [user.email.as_str(), user.first_name.as_str(), user.last_name.as_str()];
    let password = NewPassword::parse(&request.new_password, &context_words)
        .map_err(|e| ApiError::validation(vec![FieldError::new("new_password", e.code, e.message)]))?;
    let hash = state.auth.hasher.hash(password.expose()).await?;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    db::set_password_hash(&mut tx, caller.id, &hash).await?;
    let revoked = db::revoke_other_sessions(&mut tx, caller.id, Some(caller.session_id)).await?;
    record(
        &mut tx,
        context.as_deref(),
        &client,
        SecurityEvent {
            actor: Actor::User(caller.id),
            action: "auth.password_changed",
            subject: Some(caller.id),
            details: json!({"sessions_revoked": revoked}),
        },
    )
    .await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user's open sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/sessions",
    tag = "identity",
    security(("bearer" = [])),
    responses((status = 200, body = SessionList), (status = 401, body = crate::error::Problem)),
)]
pub async fn list_sessions(
    axum::extract::State(state): State,
    Caller(caller): Caller,
) -> Result<Json<SessionList>, ApiError> {
    let user = caller.user()?;
    Ok(Json(profile::sessions(&state, user).await?))
}

/// Signs one of the user's sessions out. Its refresh token stops working at
/// once; its access token expires within 15 minutes.
#[utoipa::path(
    delete,
    path = "/api/v1/me/sessions/{id}",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The session id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, body = crate::error::Problem),
        (status = 404, description = "No such open session of yours.", body = crate::error::Problem),
    ),
)]
pub async fn delete_session(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let user = caller.user()?;
    profile::revoke_session(&state, user.id, id, crate::auth::origin(context.as_deref(), &client)).await?;
    Ok(StatusCode::NO_CONTENT)
}
