//! Administration of accounts: list and search, staff accounts, roles,
//! disabling and re-enabling.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::identity as db;
use comptoir_domain::identity::NewPassword;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{NewAccount, create_account};
use super::{
    Account, RoleRequest, RoleView, SecurityEvent, State, decode_cursor, encode_cursor, field_error, parse_email,
    parse_name, record,
};
use crate::auth::{Caller, ClientInfo};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Part of an email or a name.
    pub q: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<Account>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

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
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation(vec![FieldError::new(
            "limit",
            "out_of_range",
            "expected 1 to 100",
        )]));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
    let mut users = db::list_users(&mut conn, search, after, i64::from(limit) + 1).await?;
    let more = users.len() > limit as usize;
    users.truncate(limit as usize);
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut roles: HashMap<Uuid, Vec<_>> = HashMap::new();
    for role in db::roles_of_users(&mut conn, &ids).await? {
        roles.entry(role.user_id).or_default().push(role);
    }
    let next_cursor = more
        .then(|| users.last().map(|u| encode_cursor(u.created_at, u.id)))
        .flatten();
    let items = users
        .into_iter()
        .map(|user| {
            let held = roles.remove(&user.id).unwrap_or_default();
            Account::new(user, held, &state.cipher)
        })
        .collect();
    Ok(Json(AccountPage { items, next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(max_length = 254)] // Email::MAX_LEN
    pub email: String,
    /// 12 to 128 characters, not too guessable; no composition rules.
    #[schema(min_length = 12, max_length = 128)] // NewPassword::MIN_CHARS, MAX_CHARS
    pub password: String,
    // parse_name: 1 to 100 characters, no control characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub first_name: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub last_name: String,
    /// At least one role, each with its scope.
    #[schema(min_items = 1)]
    pub roles: Vec<RoleRequest>,
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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Json(request): Json<CreateUserRequest>,
) -> Result<Response, ApiError> {
    let admin = caller.require_admin()?;
    let mut errors = Vec::new();
    let email = parse_email(&request.email, "email", &mut errors);
    let first_name = parse_name(&request.first_name, "first_name", &mut errors);
    let last_name = parse_name(&request.last_name, "last_name", &mut errors);
    let password = NewPassword::parse(
        &request.password,
        &[
            request.email.as_str(),
            request.first_name.as_str(),
            request.last_name.as_str(),
        ],
    )
    .map_err(|e| errors.push(field_error(e)))
    .ok();
    if request.roles.is_empty() {
        errors.push(FieldError::new("roles", "required", "give at least one role"));
    }
    let grants: Vec<_> = request
        .roles
        .iter()
        .enumerate()
        .filter_map(|(i, role)| role.grant(&format!("roles[{i}]")).map_err(|e| errors.push(e)).ok())
        .collect();
    ApiError::unless_valid(errors)?;
    let (Some(email), Some(first_name), Some(last_name), Some(password)) = (email, first_name, last_name, password)
    else {
        return Err(ApiError::internal(anyhow::anyhow!("validated fields missing")));
    };
    let account = create_account(
        &state,
        NewAccount {
            email: email.as_str(),
            password: &password,
            first_name: &first_name,
            last_name: &last_name,
            grants: &grants,
        },
        comptoir_db::platform::audit::Actor::User(admin.id),
        crate::auth::origin(context.as_deref(), &client),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

pub use comptoir_app::identity::sessions::create_admin;

fn no_such_user() -> ApiError {
    ApiError::not_found("user.not_found", "No account has this id.")
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
    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
    match Account::load(&mut conn, id, &state.cipher).await {
        Err(err) if err.kind() == comptoir_app::ErrorKind::NotFound => Err(no_such_user()),
        other => Ok(Json(other?)),
    }
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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
    Json(request): Json<RoleRequest>,
) -> Result<Response, ApiError> {
    let admin = caller.require_admin()?;
    let grant = request.grant("role").map_err(|e| ApiError::validation(vec![e]))?;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    db::get_user(&mut tx, id).await.map_err(|_| no_such_user())?;
    let assignment = super::grant(&mut tx, id, grant).await?;
    record(
        &mut tx,
        context.as_deref(),
        &client,
        SecurityEvent {
            actor: comptoir_db::platform::audit::Actor::User(admin.id),
            action: "auth.role_granted",
            subject: Some(id),
            details: json!({"role": assignment.role, "store_id": assignment.store_id, "company_id": assignment.company_id}),
        },
    )
    .await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok((StatusCode::CREATED, Json(RoleView::from(assignment))).into_response())
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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Path((id, role_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let admin = caller.require_admin()?;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let Some(revoked) = db::revoke_role(&mut tx, id, role_id).await? else {
        return Err(ApiError::not_found(
            "role.not_found",
            "This account holds no role with this id.",
        ));
    };
    record(
        &mut tx,
        context.as_deref(),
        &client,
        SecurityEvent {
            actor: comptoir_db::platform::audit::Actor::User(admin.id),
            action: "auth.role_revoked",
            subject: Some(id),
            details: json!({"role": revoked.role, "store_id": revoked.store_id, "company_id": revoked.company_id}),
        },
    )
    .await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_status(
    state: &crate::app::AppState,
    caller: &crate::auth::Principal,
    context: Option<&Arc<RequestContext>>,
    client: &ClientInfo,
    id: Uuid,
    status: &str,
) -> Result<Json<Account>, ApiError> {
    let admin = caller.require_admin()?;
    if admin.id == id && status == "disabled" {
        return Err(ApiError::conflict(
            "user.cannot_disable_self",
            "You cannot disable your own account.",
        ));
    }
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    db::set_status(&mut tx, id, status).await.map_err(|_| no_such_user())?;
    if status == "disabled" {
        db::revoke_other_sessions(&mut tx, id, None).await?;
    }
    record(
        &mut tx,
        context,
        client,
        SecurityEvent {
            actor: comptoir_db::platform::audit::Actor::User(admin.id),
            action: if status == "disabled" {
                "auth.account_disabled"
            } else {
                "auth.account_enabled"
            },
            subject: Some(id),
            details: json!({}),
        },
    )
    .await?;
    let account = Account::load(&mut tx, id, &state.cipher).await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(Json(account))
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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Json<Account>, ApiError> {
    set_status(&state, &caller, context.as_deref(), &client, id, "disabled").await
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
    context: Option<Extension<Arc<RequestContext>>>,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Json<Account>, ApiError> {
    set_status(&state, &caller, context.as_deref(), &client, id, "active").await
}
