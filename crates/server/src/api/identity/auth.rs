//! Registration, sign-in, token refresh and sign-out.

use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Account, State};
use crate::auth::ClientInfo;
use crate::error::ApiError;
use crate::extract::Json;
use crate::http::RequestContext;
pub use comptoir_app::identity::sessions::{
    self, LoginRequest, NewAccount, RefreshRequest, RegisterRequest, TokenPair, create_account, too_many_attempts,
};

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
    let account = sessions::register(&state, crate::auth::origin(context.as_deref(), &client), request).await?;
    Ok((StatusCode::CREATED, Json(account)).into_response())
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
    let cart_token = headers.get("x-cart-token").and_then(|v| v.to_str().ok());
    let origin = crate::auth::origin(context.as_deref(), &client);
    Ok(Json(sessions::login(&state, origin, cart_token, request).await?))
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
    let origin = crate::auth::origin(context.as_deref(), &client);
    Ok(Json(sessions::refresh(&state, origin, request).await?))
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
    sessions::logout(&state, crate::auth::origin(context.as_deref(), &client), request).await?;
    Ok(StatusCode::NO_CONTENT)
}
