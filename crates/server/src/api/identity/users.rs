//! Administration of accounts: list and search, staff accounts, roles,
//! disabling and re-enabling. The rules are
//! `comptoir_app::identity::staff`'s; these handlers check that an
//! administrator calls, and answer.

use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::{Account, RoleRequest, RoleView, State};
use crate::auth::{Caller, ClientInfo, origin};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;
pub use comptoir_app::identity::sessions::create_admin;
use comptoir_app::identity::staff;
pub use comptoir_app::identity::staff::{AccountPage, CreateUserRequest, ListUsersQuery};

type RequestInfo = Option<Extension<Arc<RequestContext>>>;

/// Accounts, newest first, optionally searched.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "identity",
    security(("bearer" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, body = AccountPage),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "Administrators only.", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
)]
pub async fn list_users(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    Query(query): Query<ListUsersQuery>,
) -> Result<Json<AccountPage>, ApiError> {
    caller.require_admin()?;
    Ok(Json(staff::list_users(&state, &query).await?))
}

/// Creates an account with the given roles (staff: managers, cashiers,
/// administrators; or B2B buyers of a company).
#[utoipa::path(
    post,
    path = "/api/v1/admin/users",
    tag = "identity",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 409, description = "`auth.email_taken`.", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
)]
pub async fn create_user(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Json(request): Json<CreateUserRequest>,
) -> Result<Response, ApiError> {
    let admin = caller.require_admin()?;
    let account = staff::create_user(&state, admin.id, origin(context.as_deref(), &client), &request).await?;
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    ),
)]
pub async fn get_user(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    Path(id): Path<Uuid>,
) -> Result<Json<Account>, ApiError> {
    caller.require_admin()?;
    Ok(Json(staff::get_user(&state, id).await?))
}

/// Grants a role with its scope. Granting one the account holds already
/// changes nothing. The account's access tokens carry the new role from
/// their next refresh.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/roles",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = RoleRequest,
    responses(
        (status = 201, body = RoleView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
)]
pub async fn grant_role(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Json(request): Json<RoleRequest>,
) -> Result<Response, ApiError> {
    let admin = caller.require_admin()?;
    let role: RoleView = staff::grant_role(&state, admin.id, origin(context.as_deref(), &client), id, &request).await?;
    Ok((StatusCode::CREATED, Json(role)).into_response())
}

/// Takes a role away.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}/roles/{role_id}",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("role_id" = Uuid, Path)),
    responses(
        (status = 204, description = "Revoked."),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    ),
)]
pub async fn revoke_role(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Path(ids): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let admin = caller.require_admin()?;
    staff::revoke_role(&state, admin.id, origin(context.as_deref(), &client), ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables an account: it cannot sign in, and its sessions are revoked.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/disable",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "`user.cannot_disable_self`.", body = crate::error::Problem),
    ),
)]
pub async fn disable_user(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Json<Account>, ApiError> {
    let admin = caller.require_admin()?;
    let origin = origin(context.as_deref(), &client);
    Ok(Json(staff::set_status(&state, admin.id, origin, id, "disabled").await?))
}

/// Re-enables a disabled account.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/enable",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Account),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    ),
)]
pub async fn enable_user(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    context: RequestInfo,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Json<Account>, ApiError> {
    let admin = caller.require_admin()?;
    let origin = origin(context.as_deref(), &client);
    Ok(Json(staff::set_status(&state, admin.id, origin, id, "active").await?))
}
