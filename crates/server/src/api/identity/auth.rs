//! Registration, sign-in, token refresh and sign-out.

use std::sync::Arc;

use axum::Extension;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_db::identity::{self as db, Rotation};
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::{Grant, NewPassword, Role, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Account, SecurityEvent, State, field_error, parse_email, parse_name, record};
use crate::app::AppState;
use crate::auth::ClientInfo;
use crate::error::ApiError;
use crate::extract::Json;
use crate::http::RequestContext;
use comptoir_app::identity::limits::Blocked;
use comptoir_app::identity::password::Verified;
use comptoir_app::identity::tokens::{ACCESS_TOKEN_LIFETIME, new_secret, secret_hash};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "anne.kerjean@exemple.fr")]
    pub email: String,
    /// 12 to 128 characters, not too guessable; no composition rules.
    #[schema(example = "galettes marées phare brumeux")]
    pub password: String,
    #[schema(example = "Anne")]
    pub first_name: String,
    #[schema(example = "Kerjean")]
    pub last_name: String,
}

/// Creates a customer account.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "identity",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account, with the `customer` role.", body = Account),
        (status = 409, description = "`auth.email_taken`: an account has this email (in any case).", body = crate::error::Problem),
        (status = 422, description = "Invalid fields; a weak password is `password.too_guessable`.", body = crate::error::Problem),
    ),
)]
pub async fn register(
    axum::extract::State(state): State,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<RegisterRequest>,
) -> Result<Response, ApiError> {
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
        return Err(ApiError::validation(errors));
    };
    let account = create_account(
        &state,
        NewAccount {
            email: email.as_str(),
            password: &password,
            first_name: &first_name,
            last_name: &last_name,
            grants: &[Role::Customer.scoped(Scope::Global).map_err(anyhow::Error::msg)?],
        },
        Actor::Anonymous,
        context.as_deref(),
        &client,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(account)).into_response())
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
    state: &AppState,
    account: NewAccount<'_>,
    actor: Actor,
    context: Option<&Arc<RequestContext>>,
    client: &ClientInfo,
) -> Result<Account, ApiError> {
    let password_hash = state.auth.hasher.hash(account.password.expose()).await?;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
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
        comptoir_db::Error::Conflict { constraint } if constraint == db::EMAIL_TAKEN => ApiError::conflict(
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
        context,
        client,
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
    tx.commit().await.map_err(ApiError::unavailable)?;
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

pub fn too_many_attempts(blocked: Blocked) -> ApiError {
    let seconds = blocked.retry_after.as_secs().max(1);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "auth.too_many_attempts",
        "Too many failed sign-in attempts. Wait before trying again, or reset the password.",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "identity",
    params(("X-Cart-Token" = Option<String>, Header, description = "A guest cart to merge into the account's")),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in.", body = TokenPair),
        (status = 401, description = "`auth.invalid_credentials`.", body = crate::error::Problem),
        (status = 403, description = "`auth.account_disabled`.", body = crate::error::Problem),
        (status = 429, description = "`auth.too_many_attempts`, with `Retry-After`.", body = crate::error::Problem),
    ),
)]
pub async fn login(
    axum::extract::State(state): State,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    headers: axum::http::HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let email = request.email.trim();
    let limits = &state.auth.limits;
    limits
        .check(email, client.ip.as_deref())
        .await
        .map_err(too_many_attempts)?;

    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
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
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let user = match (credentials, verified) {
        (Some(credentials), Verified::Yes | Verified::YesRehashed(_)) if credentials.status != "active" => {
            tx.rollback().await.map_err(ApiError::unavailable)?;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
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
            limits.failed(email, client.ip.as_deref()).await;
            record(
                &mut tx,
                context.as_deref(),
                &client,
                SecurityEvent {
                    actor: Actor::Anonymous,
                    action: "auth.login_failed",
                    subject: known.as_ref().map(|c| c.id),
                    details: json!({"known_account": known.is_some()}),
                },
            )
            .await?;
            tx.commit().await.map_err(ApiError::unavailable)?;
            return Err(invalid_credentials());
        }
    };
    let mut pair = start_session(&state, &mut tx, user, &client).await?;
    let cart_token = headers
        .get("x-cart-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 100);
    let mut claimed = Vec::new();
    if let Some(token) = cart_token {
        pair.cart_id = crate::api::cart::merge_guest_cart(&mut tx, user, token).await?;
        claimed = comptoir_db::orders::claim_guest_orders(&mut tx, user, &secret_hash(token)).await?;
    }
    record(
        &mut tx,
        context.as_deref(),
        &client,
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
    tx.commit().await.map_err(ApiError::unavailable)?;
    limits.succeeded(email).await;
    Ok(Json(pair))
}

/// Opens a session for `user_id`: its first refresh token, and an access
/// token carrying the user's roles.
async fn start_session(
    state: &AppState,
    conn: &mut comptoir_db::PgConnection,
    user_id: Uuid,
    client: &ClientInfo,
) -> Result<TokenPair, ApiError> {
    let session_id = Uuid::now_v7();
    let refresh_token = new_secret("rt_");
    db::start_session(
        conn,
        session_id,
        user_id,
        client.user_agent.as_deref(),
        client.ip.as_deref(),
        &secret_hash(&refresh_token),
        refresh_expiry(state),
    )
    .await?;
    token_pair(state, conn, user_id, session_id, refresh_token).await
}

fn refresh_expiry(state: &AppState) -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc() + state.config.refresh_token_lifetime
}

async fn token_pair(
    state: &AppState,
    conn: &mut comptoir_db::PgConnection,
    user_id: Uuid,
    session_id: Uuid,
    refresh_token: String,
) -> Result<TokenPair, ApiError> {
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

fn invalid_refresh_token() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "auth.invalid_refresh_token",
        "The refresh token is unknown, expired, used or revoked. Sign in again.",
    )
}

/// Exchanges a refresh token for a new pair. The token presented stops
/// working; presenting it again revokes its whole session.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "identity",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair.", body = TokenPair),
        (status = 401, description = "`auth.invalid_refresh_token`, or `auth.refresh_reused` (the session is now revoked).", body = crate::error::Problem),
    ),
)]
pub async fn refresh(
    axum::extract::State(state): State,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<RefreshRequest>,
) -> Result<Json<TokenPair>, ApiError> {
    let next = new_secret("rt_");
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let rotation = db::rotate_refresh_token(
        &mut tx,
        &secret_hash(request.refresh_token.trim()),
        &secret_hash(&next),
        refresh_expiry(&state),
    )
    .await?;
    match rotation {
        Rotation::Invalid => Err(invalid_refresh_token()),
        Rotation::Reused { user_id, session_id } => {
            record(
                &mut tx,
                context.as_deref(),
                &client,
                SecurityEvent {
                    actor: Actor::Anonymous,
                    action: "auth.refresh_reused",
                    subject: Some(user_id),
                    details: json!({"session_id": session_id}),
                },
            )
            .await?;
            // The revocation must stick even though the answer is an error.
            tx.commit().await.map_err(ApiError::unavailable)?;
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.refresh_reused",
                "This refresh token was already used: the session is revoked. Sign in again.",
            ))
        }
        Rotation::Rotated { user_id, session_id } => {
            let status = db::credentials_by_id(&mut tx, user_id).await?.status;
            if status != "active" {
                return Err(invalid_refresh_token());
            }
            let pair = token_pair(&state, &mut tx, user_id, session_id, next).await?;
            tx.commit().await.map_err(ApiError::unavailable)?;
            Ok(Json(pair))
        }
    }
}

/// Signs out: revokes the session the refresh token belongs to. Answers
/// 204 whether or not the token was still valid.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "identity",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is closed.")),
)]
pub async fn logout(
    axum::extract::State(state): State,
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    if let Some((session_id, user_id)) =
        db::session_of_token(&mut tx, &secret_hash(request.refresh_token.trim())).await?
        && db::revoke_session(&mut tx, user_id, session_id).await?
    {
        record(
            &mut tx,
            context.as_deref(),
            &client,
            SecurityEvent {
                actor: Actor::User(user_id),
                action: "auth.logout",
                subject: Some(user_id),
                details: json!({"session_id": session_id}),
            },
        )
        .await?;
    }
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}
