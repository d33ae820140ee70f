//! Password reset and email verification: single-use tokens sent by email
//! through the outbox.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::http::StatusCode;
use comptoir_db::PgConnection;
use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::NewPassword;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{SecurityEvent, State, record};
use crate::app::AppState;
use crate::auth::{Caller, ClientInfo};
use crate::error::{ApiError, FieldError};
use crate::extract::Json;
use crate::http::RequestContext;
use comptoir_app::identity::tokens::{new_secret, secret_hash};
use comptoir_app::mail::{self, Email};

const RESET: &str = "password_reset";
const VERIFICATION: &str = "email_verification";
const RESET_LIFETIME: Duration = Duration::from_secs(30 * 60);
const VERIFICATION_LIFETIME: Duration = Duration::from_secs(48 * 3600);
/// A mailbox gets at most one message of a kind in this time.
const RESEND_AFTER: Duration = Duration::from_secs(60);

/// Creates a token and queues its email, in the caller's transaction;
/// does nothing when one was sent a moment ago.
async fn send_token(
    state: &AppState,
    conn: &mut PgConnection,
    user: &db::User,
    purpose: &str,
    lifetime: Duration,
) -> Result<(), ApiError> {
    let now = time::OffsetDateTime::now_utc();
    if db::last_one_time_token_at(conn, user.id, purpose)
        .await?
        .is_some_and(|at| now - at < RESEND_AFTER)
    {
        return Ok(());
    }
    let token = new_secret("ot_");
    db::insert_one_time_token(conn, user.id, purpose, &secret_hash(&token), now + lifetime).await?;
    let base = state.config.public_base_url.trim_end_matches('/');
    let email = if purpose == RESET {
        Email {
            to: user.email.clone(),
            subject: "Réinitialiser votre mot de passe".to_owned(),
            text: format!(
                "Bonjour {},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien dans les 30 minutes :\n\
                 {base}/mot-de-passe/nouveau?token={token}\n\nVous n'avez rien demandé ? Ignorez ce message ; \
                 votre mot de passe reste le même.\n\nCode à saisir dans une application : {token}\n",
                user.first_name
            ),
        }
    } else {
        Email {
            to: user.email.clone(),
            subject: "Confirmez votre adresse email".to_owned(),
            text: format!(
                "Bonjour {},\n\nPour confirmer votre adresse, ouvrez ce lien :\n{base}/compte/confirmer?token={token}\n\n\
                 Code à saisir dans une application : {token}\n",
                user.first_name
            ),
        }
    };
    mail::queue(conn, &email).await?;
    Ok(())
}

/// Queues the verification email of a new account (in its transaction).
pub async fn send_verification(state: &AppState, conn: &mut PgConnection, user: &db::User) -> Result<(), ApiError> {
    send_token(state, conn, user, VERIFICATION, VERIFICATION_LIFETIME).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub email: String,
}

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
    let email = request.email.trim();
    if email.len() <= 254 {
        let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
        if let Some(user) = db::find_user_by_email(&mut tx, email).await?
            && user.status == "active"
        {
            send_token(&state, &mut tx, &user, RESET, RESET_LIFETIME).await?;
        }
        tx.commit().await.map_err(ApiError::unavailable)?;
    }
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    /// The token from the email.
    pub token: String,
    pub new_password: String,
}

fn invalid_token() -> ApiError {
    ApiError::validation(vec![FieldError::new(
        "token",
        "invalid_or_expired",
        "this link is unknown, used or expired; ask for a new one",
    )])
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
    // A weak password answers 422 and rolls back: the token stays usable.
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let Some(user_id) = db::consume_one_time_token(&mut tx, RESET, &secret_hash(request.token.trim())).await? else {
        return Err(invalid_token());
    };
    let user = db::get_user(&mut tx, user_id).await?;
    let password = NewPassword::parse(&request.new_password, &[&user.email, &user.first_name, &user.last_name])
        .map_err(|e| ApiError::validation(vec![FieldError::new("new_password", e.code, e.message)]))?;
    let hash = state.auth.hasher.hash(password.expose()).await?;
    db::set_password_hash(&mut tx, user_id, &hash).await?;
    // Whoever reads the mailbox may reset; the account is confirmed too.
    db::mark_email_verified(&mut tx, user_id).await?;
    let revoked = db::revoke_other_sessions(&mut tx, user_id, None).await?;
    record(
        &mut tx,
        context.as_deref(),
        &client,
        SecurityEvent {
            actor: Actor::User(user_id),
            action: "auth.password_reset",
            subject: Some(user_id),
            details: json!({"sessions_revoked": revoked}),
        },
    )
    .await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
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
    let user_id = caller.user()?.id;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let user = db::get_user(&mut tx, user_id).await?;
    if user.email_verified_at.is_none() {
        send_verification(&state, &mut tx, &user).await?;
    }
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailVerificationConfirm {
    pub token: String,
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
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let Some(user_id): Option<Uuid> =
        db::consume_one_time_token(&mut tx, VERIFICATION, &secret_hash(request.token.trim())).await?
    else {
        return Err(invalid_token());
    };
    db::mark_email_verified(&mut tx, user_id).await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}
