//! Password reset and email verification: single-use tokens sent by email
//! through the outbox.

use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;

use super::State;
use crate::auth::{Caller, ClientInfo};
use crate::error::ApiError;
use crate::extract::Json;
use crate::http::RequestContext;
pub use comptoir_app::identity::recovery::{
    self, EmailVerificationConfirm, PasswordResetConfirm, PasswordResetRequest, send_verification,
};

/// Sends a single-use link, valid 30 minutes, to reset the password.
/// Always answers 202, so it tells nobody whether an account exists.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    tag = "identity",
    request_body = PasswordResetRequest,
    responses((status = 202, description = "If an account has this email, a link is on its way.")),
)]
pub async fn request_password_reset(
    axum::extract::State(state): State,
    Json(request): Json<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    recovery::request_password_reset(&state, request).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sets a new password with the token from the email. The token works
/// once; every session of the account is signed out.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    tag = "identity",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is changed; sign in with it."),
        (status = 422, description = "The token is invalid, used or expired, or the password too weak.", body = crate::error::Problem),
    ),
)]
pub async fn confirm_password_reset(
    axum::extract::State(state): State,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    recovery::confirm_password_reset(&state, crate::auth::origin(context.as_deref(), &client), request).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends the signed-in user a new link to confirm their email address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/email-verification",
    tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A link is on its way (unless the address is confirmed already)."),
        (status = 401, body = crate::error::Problem),
    ),
)]
pub async fn request_email_verification(
    axum::extract::State(state): State,
    Caller(caller): Caller,
) -> Result<StatusCode, ApiError> {
    recovery::request_email_verification(&state, caller.user()?.id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Confirms the email address with the token from the email.
#[utoipa::path(
    post,
    path = "/api/v1/auth/email-verification/confirm",
    tag = "identity",
    request_body = EmailVerificationConfirm,
    responses(
        (status = 204, description = "Confirmed."),
        (status = 422, description = "The token is invalid, used or expired.", body = crate::error::Problem),
    ),
)]
pub async fn confirm_email_verification(
    axum::extract::State(state): State,
    Json(request): Json<EmailVerificationConfirm>,
) -> Result<StatusCode, ApiError> {
    recovery::confirm_email_verification(&state, request).await?;
    Ok(StatusCode::NO_CONTENT)
}
