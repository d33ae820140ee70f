//! Registration, sign-in, token refresh and sign-out: the sessions an
//! account opens, as refresh tokens rotated on use and short access tokens.

use comptoir_db::identity::{self as db, Rotation};
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::{Grant, NewPassword, Role, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::limits::Blocked;
use super::password::Verified;
use super::tokens::{ACCESS_TOKEN_LIFETIME, new_secret, secret_hash};
use super::{Account, Origin, SecurityEvent, field_error, parse_email, parse_name, record};
use crate::Context;
use crate::error::{AppError, ErrorKind};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "anne.kerjean@exemple.fr", max_length = 254)] // Email::MAX_LEN
    pub email: String,
    /// 12 to 128 characters, not too guessable; no composition rules.
    // NewPassword::MIN_CHARS, NewPassword::MAX_CHARS
    #[schema(example = "galettes marées phare brumeux", min_length = 12, max_length = 128)]
    pub password: String,
    // parse_name: 1 to 100 characters, no control characters.
    #[schema(
        example = "Anne",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub first_name: String,
    #[schema(
        example = "Kerjean",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub last_name: String,
}

/// Creates a customer account.
pub async fn register(state: &Context, origin: Origin<'_>, request: RegisterRequest) -> Result<Account, AppError> {
    let mut errors = Vec::new();
    let email = parse_email(&request.email, "email", &mut errors);
    let first_name = parse_name(&request.first_name, "first_name", &mut errors);
    let last_name = parse_name(&request.last_name, "last_name", &mut errors);
    let context_words = [
        request.email.as_str(),
        request.first_name.as_str(),
        request.last_name.as_str(),
    ];
    let password = NewPassword::parse(&request.password, &context_words)
        .map_err(|e| errors.push(field_error(e)))
        .ok();
    let (Some(email), Some(first_name), Some(last_name), Some(password)) = (email, first_name, last_name, password)
    else {
        return Err(AppError::validation(errors));
    };
    create_account(
        state,
        NewAccount {
            email: email.as_str(),
            password: &password,
            first_name: &first_name,
            last_name: &last_name,
            grants: &[Role::Customer.scoped(Scope::Global).map_err(anyhow::Error::msg)?],
        },
        Actor::Anonymous,
        origin,
    )
    .await
}

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password: &'a NewPassword,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub grants: &'a [Grant],
}

/// Creates an account with its roles and the audit entry, in one
/// transaction. Two requests with one email: the unique index lets one
/// through, the other answers 409.
pub async fn create_account(
    state: &Context,
    account: NewAccount<'_>,
    actor: Actor,
    origin: Origin<'_>,
) -> Result<Account, AppError> {
    let password_hash = state.auth.hasher.hash(account.password.expose()).await?;
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    let user = db::insert_user(
        &mut tx,
        &db::NewUser {
            id: Uuid::now_v7(),
            email: account.email,
            password_hash: &password_hash,
            first_name: account.first_name,
            last_name: account.last_name,
        },
    )
    .await
    .map_err(|err| match err {
        comptoir_db::Error::Conflict { constraint } if constraint == db::EMAIL_TAKEN => AppError::conflict(
            "auth.email_taken",
            "An account already uses this email address. Sign in, or reset its password.",
        ),
        other => other.into(),
    })?;
    let mut roles = Vec::with_capacity(account.grants.len());
    for grant in account.grants {
        roles.push(super::grant(&mut tx, user.id, *grant).await?);
    }
    super::recovery::send_verification(state, &mut tx, &user).await?;
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: if actor == Actor::Anonymous {
                Actor::User(user.id)
            } else {
                actor
            },
            action: "auth.account_created",
            subject: Some(user.id),
            details: json!({"roles": account.grants.iter().map(|g| g.role().as_str()).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(Account::new(user, roles, &state.cipher))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "anne.kerjean@exemple.fr")]
    pub email: String,
    pub password: String,
}

/// A new access token and the refresh token that replaces it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds the access token lives (900).
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single use: exchange it at `/auth/refresh` for a new pair.
    pub refresh_token: String,
    /// At sign-in with `X-Cart-Token`: the account's cart, into which the
    /// guest cart was merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_id: Option<Uuid>,
}

pub fn too_many_attempts(blocked: Blocked) -> AppError {
    let seconds = u32::try_from(blocked.retry_after.as_secs().max(1)).unwrap_or(u32::MAX);
    AppError::new(
        ErrorKind::RateLimited,
        "auth.too_many_attempts",
        "Too many failed sign-in attempts. Wait before trying again, or reset the password.",
    )
    .retry_after(seconds)
}

fn invalid_credentials() -> AppError {
    AppError::new(
        ErrorKind::Unauthenticated,
        "auth.invalid_credentials",
        "The email address or the password is wrong.",
    )
}

/// Signs in with an email and a password.
///
/// After 10 failures for an account, or many from one address, within 15
/// minutes, answers 429 with `Retry-After`. An unknown email gets the same
/// answer, in the same time, as a wrong password. With `X-Cart-Token`, the
/// guest's cart is merged into the account's (quantities added, capped by
/// what can ship) and `cart_id` names the account's cart; the orders placed
/// as a guest with that token under the account's email become the
/// account's (`/me/orders` lists them) once that email is confirmed.
///
/// `cart_token` is a guest cart to merge into the account's.
pub async fn login(
    state: &Context,
    origin: Origin<'_>,
    cart_token: Option<&str>,
    request: LoginRequest,
) -> Result<TokenPair, AppError> {
    let email = request.email.trim();
    let limits = &state.auth.limits;
    limits.check(email, origin.ip).await.map_err(too_many_attempts)?;

    let mut conn = state.db.acquire().await.map_err(AppError::unavailable)?;
    let credentials = if email.len() <= 254 {
        db::credentials_by_email(&mut conn, email).await?
    } else {
        None
    };
    drop(conn);
    let verified = state
        .auth
        .hasher
        .verify(
            &request.password,
            credentials.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await?;
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    let user = match (credentials, verified) {
        (Some(credentials), Verified::Yes | Verified::YesRehashed(_)) if credentials.status != "active" => {
            tx.rollback().await.map_err(AppError::unavailable)?;
            return Err(AppError::new(
                ErrorKind::Forbidden,
                "auth.account_disabled",
                "This account is disabled. Contact the shop.",
            ));
        }
        (Some(credentials), Verified::YesRehashed(hash)) => {
            db::set_password_hash(&mut tx, credentials.id, &hash).await?;
            credentials.id
        }
        (Some(credentials), Verified::Yes) => credentials.id,
        (known, _) => {
            limits.failed(email, origin.ip).await;
            record(
                &mut tx,
                origin,
                SecurityEvent {
                    actor: Actor::Anonymous,
                    action: "auth.login_failed",
                    subject: known.as_ref().map(|c| c.id),
                    details: json!({"known_account": known.is_some()}),
                },
            )
            .await?;
            tx.commit().await.map_err(AppError::unavailable)?;
            return Err(invalid_credentials());
        }
    };
    let mut pair = start_session(state, &mut tx, user, origin).await?;
    let cart_token = cart_token.map(str::trim).filter(|t| !t.is_empty() && t.len() <= 100);
    let mut claimed = Vec::new();
    if let Some(token) = cart_token {
        pair.cart_id = crate::cart::merge_guest_cart(&mut tx, user, token).await?;
        claimed = comptoir_db::orders::claim_guest_orders(&mut tx, user, &secret_hash(token)).await?;
    }
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(user),
            action: "auth.login_succeeded",
            subject: Some(user),
            details: if claimed.is_empty() {
                json!({})
            } else {
                json!({"orders_claimed": claimed})
            },
        },
    )
    .await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    limits.succeeded(email).await;
    Ok(pair)
}

/// Opens a session for `user_id`: its first refresh token, and an access
/// token carrying the user's roles.
async fn start_session(
    state: &Context,
    conn: &mut comptoir_db::PgConnection,
    user_id: Uuid,
    origin: Origin<'_>,
) -> Result<TokenPair, AppError> {
    let session_id = Uuid::now_v7();
    let refresh_token = new_secret("rt_");
    db::start_session(
        conn,
        session_id,
        user_id,
        origin.user_agent,
        origin.ip,
        &secret_hash(&refresh_token),
        refresh_expiry(state),
    )
    .await?;
    token_pair(state, conn, user_id, session_id, refresh_token).await
}

fn refresh_expiry(state: &Context) -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + state.config.refresh_token_lifetime
}

async fn token_pair(
    state: &Context,
    conn: &mut comptoir_db::PgConnection,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
) -> Result<TokenPair, AppError> {
    let grants = super::grants_of(conn, user_id).await?;
    Ok(TokenPair {
        access_token: state.auth.tokens.issue(user_id, session_id, &grants)?,
        token_type: "Bearer".to_owned(),
        expires_in: ACCESS_TOKEN_LIFETIME.as_secs(),
        refresh_token,
        cart_id: None,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn invalid_refresh_token() -> AppError {
    AppError::new(
        ErrorKind::Unauthenticated,
        "auth.invalid_refresh_token",
        "The refresh token is unknown, expired, used or revoked. Sign in again.",
    )
}

/// Exchanges a refresh token for a new pair. The token presented stops
/// working; presenting it again revokes its whole session.
pub async fn refresh(state: &Context, origin: Origin<'_>, request: RefreshRequest) -> Result<TokenPair, AppError> {
    let next = new_secret("rt_");
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    let rotation = db::rotate_refresh_token(
        &mut tx,
        &secret_hash(request.refresh_token.trim()),
        &secret_hash(&next),
        refresh_expiry(state),
    )
    .await?;
    match rotation {
        Rotation::Invalid => Err(invalid_refresh_token()),
        Rotation::Reused { user_id, session_id } => {
            record(
                &mut tx,
                origin,
                SecurityEvent {
                    actor: Actor::Anonymous,
                    action: "auth.refresh_reused",
                    subject: Some(user_id),
                    details: json!({"session_id": session_id}),
                },
            )
            .await?;
            // The revocation must stick even though the answer is an error.
            tx.commit().await.map_err(AppError::unavailable)?;
            Err(AppError::new(
                ErrorKind::Unauthenticated,
                "auth.refresh_reused",
                "This refresh token was already used: the session is revoked. Sign in again.",
            ))
        }
        Rotation::Rotated { user_id, session_id } => {
            let status = db::credentials_by_id(&mut tx, user_id).await?.status;
            if status != "active" {
                return Err(invalid_refresh_token());
            }
            let pair = token_pair(state, &mut tx, user_id, session_id, next).await?;
            tx.commit().await.map_err(AppError::unavailable)?;
            Ok(pair)
        }
    }
}

/// Signs out: revokes the session the refresh token belongs to. Answers
/// 204 whether or not the token was still valid.
pub async fn logout(state: &Context, origin: Origin<'_>, request: RefreshRequest) -> Result<(), AppError> {
    let mut tx = state.db.begin().await.map_err(AppError::unavailable)?;
    if let Some((session_id, user_id)) =
        db::session_of_token(&mut tx, &secret_hash(request.refresh_token.trim())).await?
        && db::revoke_session(&mut tx, user_id, session_id).await?
    {
        record(
            &mut tx,
            origin,
            SecurityEvent {
                actor: Actor::User(user_id),
                action: "auth.logout",
                subject: Some(user_id),
                details: json!({"session_id": session_id}),
            },
        )
        .await?;
    }
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(())
}

/// `comptoir admin create`: an administrator with this email, created
/// with this password, or an existing account given the admin role. Returns
/// the account and whether it was created.
pub async fn create_admin(state: &Context, email: &str, password: &str) -> anyhow::Result<(Account, bool)> {
    let email = comptoir_domain::identity::Email::parse(email).map_err(anyhow::Error::msg)?;
    let admin = comptoir_domain::identity::Role::Admin
        .scoped(comptoir_domain::identity::Scope::Global)
        .map_err(anyhow::Error::msg)?;
    let origin = Origin {
        user_agent: Some("comptoir admin create"),
        ..Origin::default()
    };
    let mut conn = state.db.acquire().await?;
    if let Some(user) = db::find_user_by_email(&mut conn, email.as_str()).await? {
        let mut tx = state.db.begin().await?;
        super::grant(&mut tx, user.id, admin)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        record(
            &mut tx,
            origin,
            SecurityEvent {
                actor: comptoir_db::platform::audit::Actor::System,
                action: "auth.role_granted",
                subject: Some(user.id),
                details: json!({"role": "admin", "via": "command line"}),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        return Ok((
            Account::load(&mut conn, user.id, &state.cipher)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            false,
        ));
    }
    drop(conn);
    let password =
        NewPassword::parse(password, &[email.as_str()]).map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
    let first_name = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or("Admin")
        .chars()
        .take(100)
        .collect::<String>();
    let account = create_account(
        state,
        NewAccount {
            email: email.as_str(),
            password: &password,
            first_name: &first_name,
            last_name: "Admin",
            grants: &[admin],
        },
        comptoir_db::platform::audit::Actor::System,
        origin,
    )
    .await;
    match account {
        Ok(account) => Ok((account, true)),
        Err(err) => Err(anyhow::anyhow!("{err}")),
    }
}
