//! An account's own profile and its open sessions (devices signed in).

use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Account, Origin, SecurityEvent, UserCaller, parse_name, record};
use crate::Context;
use crate::error::{AppError, FieldError};

/// The account as its owner sees it.
pub async fn account(ctx: &Context, user_id: Uuid) -> Result<Account, AppError> {
    let mut conn = ctx.db.acquire().await.map_err(AppError::unavailable)?;
    Account::load(&mut conn, user_id, &ctx.cipher).await
}

/// Changes the account's names and phone (absent: unchanged; an empty
/// phone: removed). The email is changed elsewhere (it needs verifying).
pub async fn update(ctx: &Context, user_id: Uuid, request: UpdateMeRequest) -> Result<Account, AppError> {
    let mut errors = Vec::new();
    let first_name = request
        .first_name
        .as_deref()
        .and_then(|n| parse_name(n, "first_name", &mut errors));
    let last_name = request
        .last_name
        .as_deref()
        .and_then(|n| parse_name(n, "last_name", &mut errors));
    let phone = match request.phone.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(raw) => match comptoir_domain::identity::parse_phone(raw) {
            Ok(phone) => Some(Some(ctx.cipher.encrypt(&phone).map_err(anyhow::Error::from)?)),
            Err(message) => {
                errors.push(FieldError::new("phone", "invalid", message));
                None
            }
        },
    };
    AppError::unless_valid(errors)?;
    let mut tx = ctx.db.begin().await.map_err(AppError::unavailable)?;
    db::update_profile(
        &mut tx,
        user_id,
        first_name.as_deref(),
        last_name.as_deref(),
        phone.as_ref().map(|p| p.as_deref()),
    )
    .await?;
    let account = Account::load(&mut tx, user_id, &ctx.cipher).await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(account)
}

/// The account's open sessions, newest first; the caller's own is marked.
pub async fn sessions(ctx: &Context, user: &UserCaller) -> Result<SessionList, AppError> {
    let mut conn = ctx.db.acquire().await.map_err(AppError::unavailable)?;
    let items = db::open_sessions(&mut conn, user.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == user.session_id,
            id: s.id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
        })
        .collect();
    Ok(SessionList { items })
}

/// Signs one of the account's sessions out, with an audit entry. Its
/// refresh token stops working at once; its access token expires within
/// 15 minutes.
pub async fn revoke_session(
    ctx: &Context,
    user_id: Uuid,
    session_id: Uuid,
    origin: Origin<'_>,
) -> Result<(), AppError> {
    let mut tx = ctx.db.begin().await.map_err(AppError::unavailable)?;
    if !db::revoke_session(&mut tx, user_id, session_id).await? {
        return Err(AppError::not_found(
            "session.not_found",
            "You have no open session with this id.",
        ));
    }
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(user_id),
            action: "auth.session_revoked",
            subject: Some(user_id),
            details: json!({"session_id": session_id}),
        },
    )
    .await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    // parse_name: 1 to 100 characters, no control characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub last_name: Option<String>,
    /// A phone number: 6 to 15 digits, with spaces, dots, dashes or
    /// brackets between them and an optional leading `+`; an empty string
    /// removes it. Stored encrypted.
    #[schema(pattern = r"^$|^\+?[ .()-]*([0-9][ .()-]*){6,15}$")] // parse_phone
    pub phone: Option<String>,
}

/// An open session: a device or browser signed in to the account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    /// The session of the token this request was made with.
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionView>,
}
