//! Administration of accounts: list and search, staff accounts, roles,
//! disabling and re-enabling. The caller has checked that an administrator
//! acts (`admin` is their account); each change is written to the audit
//! log with the request it came in (`origin`).

use std::collections::HashMap;

use comptoir_db::identity as db;
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::{Grant, NewPassword, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::sessions::{NewAccount, create_account};
use super::{Account, Origin, RoleView, SecurityEvent, field_error, parse_email, parse_name, record};
use crate::Context;
use crate::error::{AppError, ErrorKind, FieldError};
use crate::platform::{decode_cursor, encode_cursor};

/// A role to grant: the role and, for store and company roles, its scope.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    #[schema(schema_with = role_schema)]
    pub role: String,
    /// For `manager` and `cashier` only, who hold over one store.
    pub store_id: Option<Uuid>,
    /// For `b2b_buyer` and `b2b_admin` only, who hold over one company.
    pub company_id: Option<Uuid>,
}

/// `role` as the document states it: one of [`Role::ALL`].
fn role_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Role::ALL.map(Role::as_str)))
        .examples(["manager"])
        .build()
}

impl RoleRequest {
    pub fn grant(&self, field: &str) -> Result<Grant, FieldError> {
        let role: Role = self.role.parse().map_err(|()| {
            FieldError::new(
                format!("{field}.role"),
                "invalid",
                "expected admin, manager, cashier, b2b_buyer, b2b_admin or customer",
            )
        })?;
        Grant::from_parts(role, self.store_id, self.company_id)
            .map_err(|message| FieldError::new(format!("{field}.scope"), "invalid", message))
    }
}

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
pub async fn list_users(ctx: &Context, query: &ListUsersQuery) -> Result<AccountPage, AppError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::validation(vec![FieldError::new(
            "limit",
            "out_of_range",
            "expected 1 to 100",
        )]));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let mut conn = ctx.db.acquire().await?;
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
            Account::new(user, held, &ctx.cipher)
        })
        .collect();
    Ok(AccountPage { items, next_cursor })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(max_length = 254)]
    pub email: String,
    /// 12 to 128 characters, not too guessable.
    #[schema(min_length = 12, max_length = 128)]
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
pub async fn create_user(
    ctx: &Context,
    admin: Uuid,
    origin: Origin<'_>,
    request: &CreateUserRequest,
) -> Result<Account, AppError> {
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
    AppError::unless_valid(errors)?;
    let (Some(email), Some(first_name), Some(last_name), Some(password)) = (email, first_name, last_name, password)
    else {
        return Err(AppError::internal(anyhow::anyhow!("validated fields missing")));
    };
    create_account(
        ctx,
        NewAccount {
            email: email.as_str(),
            password: &password,
            first_name: &first_name,
            last_name: &last_name,
            grants: &grants,
        },
        Actor::User(admin),
        origin,
    )
    .await
}

pub fn no_such_user() -> AppError {
    AppError::not_found("user.not_found", "No account has this id.")
}

/// One account.
pub async fn get_user(ctx: &Context, id: Uuid) -> Result<Account, AppError> {
    let mut conn = ctx.db.acquire().await?;
    match Account::load(&mut conn, id, &ctx.cipher).await {
        Err(err) if err.kind() == ErrorKind::NotFound => Err(no_such_user()),
        other => other,
    }
}

/// Grants a role with its scope. Granting one the account holds already
/// changes nothing. The account's access tokens carry the new role from
/// their next refresh.
pub async fn grant_role(
    ctx: &Context,
    admin: Uuid,
    origin: Origin<'_>,
    id: Uuid,
    request: &RoleRequest,
) -> Result<RoleView, AppError> {
    let grant = request.grant("role").map_err(|e| AppError::validation(vec![e]))?;
    let mut tx = ctx.db.begin().await?;
    db::get_user(&mut tx, id).await.map_err(|_| no_such_user())?;
    let assignment = super::grant(&mut tx, id, grant).await?;
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(admin),
            action: "auth.role_granted",
            subject: Some(id),
            details: json!({"role": assignment.role, "store_id": assignment.store_id, "company_id": assignment.company_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RoleView::from(assignment))
}

/// Takes a role away.
pub async fn revoke_role(
    ctx: &Context,
    admin: Uuid,
    origin: Origin<'_>,
    (id, role_id): (Uuid, Uuid),
) -> Result<(), AppError> {
    let mut tx = ctx.db.begin().await?;
    let Some(revoked) = db::revoke_role(&mut tx, id, role_id).await? else {
        return Err(AppError::not_found(
            "role.not_found",
            "This account holds no role with this id.",
        ));
    };
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(admin),
            action: "auth.role_revoked",
            subject: Some(id),
            details: json!({"role": revoked.role, "store_id": revoked.store_id, "company_id": revoked.company_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disables (`disabled`: it cannot sign in, its sessions are revoked) or
/// re-enables (`active`) an account; nobody disables their own.
pub async fn set_status(
    ctx: &Context,
    admin: Uuid,
    origin: Origin<'_>,
    id: Uuid,
    status: &str,
) -> Result<Account, AppError> {
    if admin == id && status == "disabled" {
        return Err(AppError::conflict(
            "user.cannot_disable_self",
            "You cannot disable your own account.",
        ));
    }
    let mut tx = ctx.db.begin().await?;
    db::set_status(&mut tx, id, status).await.map_err(|_| no_such_user())?;
    if status == "disabled" {
        db::revoke_other_sessions(&mut tx, id, None).await?;
    }
    record(
        &mut tx,
        origin,
        SecurityEvent {
            actor: Actor::User(admin),
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
    let account = Account::load(&mut tx, id, &ctx.cipher).await?;
    tx.commit().await?;
    Ok(account)
}
