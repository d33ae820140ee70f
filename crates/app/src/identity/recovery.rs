//! Password reset and email verification: single-use tokens sent by email
//! through the outbox.

use std::time::Duration;

use comptoir_db::PgConnection;
use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::NewPassword;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tokens::{new_secret, secret_hash};
use super::{Origin, SecurityEvent, record};
use crate::Context;
use crate::error::{AppError, FieldError};
use crate::mail::{self, Email};

const RESET: &str = "password_reset";
const VERIFICATION: &str = "email_verification";
const RESET_LIFETIME: Duration = Duration::from_secs(30 * 60);
const VERIFICATION_LIFETIME: Duration = Duration::from_secs(48 * 3600);
/// A mailbox gets at most one message of a kind in this time.
const RESEND_AFTER: Duration = Duration::from_secs(60);

/// Creates a token and queues its email, in the caller's transaction;
/// does nothing when one was sent a moment ago.
async fn send_token(
    state: &Context,
    conn: &mut PgConnection,
    user: &db::User,
    purpose: &str,
    lifetime: Duration,
) -> Result<(), AppError> {
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
pub async fn send_verification(state: &Context, conn: &mut PgConnection, user: &db::User) -> Result<(), AppError> {
    send_token(state, conn, user, VERIFICATION, VERIFICATION_LIFETIME).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// Sends a single-use link, valid 30 minutes, to reset the password.
/// Always answers 202, so it tells nobody whether an account exists.
pub async fn request_password_reset(state: &Context, request: PasswordResetRequest) -> Result<(), AppError> {
    let email = request.email.trim();
    if email.len() <= 254 {
        let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
        if let Some(user) = db::find_user_by_email(&mut tx, email).await?
            && user.status == "active"
        {
            send_token(state, &mut tx, &user, RESET, RESET_LIFETIME).await?;
        }
        tx.commit().await.map_err(AppError::unavailable)?;
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    /// The token from the email.
    pub token: String,
    /// 12 to 128 characters, not too guessable; no composition rules.
    #[schema(min_length = 12, max_length = 128)] // NewPassword::MIN_CHARS, NewPassword::MAX_CHARS
    pub new_password: String,
}

fn invalid_token() -> AppError {
    AppError::validation(vec![FieldError::new(
        "token",
        "invalid_or_expired",
        "this link is unknown, used or expired; ask for a new one",
    )])
}

/// Sets a new password with the token from the email. The token works
/// once; every session of the account is signed out.
pub async fn confirm_password_reset(
    state: &Context,
    origin: Origin<'_>,
    request: PasswordResetConfirm,
) -> Result<(), AppError> {
    // A weak password answers 422 and rolls back: the token stays usable.
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    let Some(user_id) = db::consume_one_time_token(&mut tx, RESET, &secret_hash(request.token.trim())).await? else {
        return Err(invalid_token());
    };
    let user = db::get_user(&mut tx, user_id).await?;
    let password = NewPassword::parse(&request.new_password, &[&user.email, &user.first_name, &user.last_name])
        .map_err(|e| AppError::validation(vec![FieldError::new("new_password", e.code, e.message)]))?;
    let hash = state.auth.hasher.hash(password.expose()).await?;
    db::set_password_hash(&mut tx, user_id, &hash).await?;
    // Whoever reads the mailbox may reset; the account is confirmed too.
    db::mark_email_verified(&mut tx, user_id).await?;
    let revoked = db::revoke_other_sessions(&mut tx, user_id, None).await?;
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(user_id),
            action: "auth.password_reset",
            subject: Some(user_id),
            details: json!({"sessions_revoked": revoked}),
        },
    )
    .await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(())
}

/// Sends the signed-in user a new link to confirm their email address.
pub async fn request_email_verification(state: &Context, user_id: Uuid) -> Result<(), AppError> {
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    let user = db::get_user(&mut tx, user_id).await?;
    if user.email_verified_at.is_none() {
        send_verification(state, &mut tx, &user).await?;
    }
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailVerificationConfirm {
    pub token: String,
}

/// Confirms the email address with the token from the email.
pub async fn confirm_email_verification(state: &Context, request: EmailVerificationConfirm) -> Result<(), AppError> {
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    let Some(user_id): Option<Uuid> =
        db::consume_one_time_token(&mut tx, VERIFICATION, &secret_hash(request.token.trim())).await?
    else {
        return Err(invalid_token());
    };
    db::mark_email_verified(&mut tx, user_id).await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(())
}
