//! The category tree: the public tree with product counts, and its
//! administration.

use axum::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use comptoir_db::Optional;
use comptoir_db::catalog::{self as db, Category, SlugTable};
use comptoir_domain::catalog::parse_title;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    CatalogChange, IfMatch, State, acting, cached, catalog_reader, catalog_writer, changed_slug, new_slug, versioned,
};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path};
use crate::http::RequestContext;
pub use comptoir_app::catalog::categories::{CategoryNode, CategoryTree, TREE_KEY, cached_tree, tree, tree_json};

/// The category tree, with the number of products shoppers can buy in each.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "catalog",
    responses(
        (status = 200, description = "The tree, roots first, by position", body = CategoryTree,
         headers(("ETag" = String, description = "Changes when the tree or its counts change"))),
        (status = 304, description = "The tree the client holds is current"),
    )
)]
pub async fn list_categories(state: State, headers: HeaderMap) -> Result<Response, ApiError> {
    cached(&state, &headers, TREE_KEY, async || tree_json(&state).await).await
}

/// A category as administrators see it, with its version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    /// For `If-Match`; also sent as `ETag`.
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Category> for CategoryView {
    fn from(c: Category) -> Self {
        Self {
            id: c.id,
            parent_id: c.parent_id,
            slug: c.slug,
            name: c.name,
            description: c.description,
            position: c.position,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryView>,
}

/// A new category, or the fields to change. On `PATCH`, absent fields stay
/// and `parent_id: null` makes the category a root. A slug is made from
/// the name when none is given, and does not follow later renames.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRequest {
    // parse_title: 1 to 200 characters, no control characters.
    #[schema(
        example = "Vélos de route",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    // Slug::parse, Slug::MAX_LEN.
    #[schema(example = "velos-de-route", max_length = 120, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[schema(max_length = 10000)] // apply_details
    pub description: Option<String>,
    pub position: Option<i32>,
}

/// Every category, flat, for the back office.
#[utoipa::path(
    get,
    path = "/api/v1/admin/categories",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = CategoryList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn admin_list_categories(state: State, caller: Caller) -> Result<Json<CategoryList>, ApiError> {
    catalog_reader(&caller)?;
    let mut conn = state.db.acquire().await?;
    let items = db::list_categories(&mut conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(CategoryList { items }))
}

/// Creates a category; its slug is made from the name unless given.
#[utoipa::path(
    post,
    path = "/api/v1/admin/categories",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CategoryRequest,
    responses(
        (status = 201, body = CategoryView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, description = "Invalid fields, an unknown parent or a taken slug", body = crate::error::Problem),
    )
)]
pub async fn create_category(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Json(request): Json<CategoryRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let mut errors = Vec::new();
    let name = match request.name.as_deref().map(parse_title) {
        Some(Ok(name)) => name,
        Some(Err(message)) => {
            errors.push(FieldError::new("name", "invalid", message));
            String::new()
        }
        None => {
            errors.push(FieldError::new("name", "required", "is required"));
            String::new()
        }
    };
    let slug = new_slug(tx, SlugTable::Categories, request.slug.as_deref(), &name, &mut errors).await?;
    let mut category = Category {
        id: Uuid::now_v7(),
        parent_id: None,
        slug,
        name,
        description: String::new(),
        position: 0,
        version: 1,
        created_at: OffsetDateTime::now_utc(),
        updated_at: OffsetDateTime::now_utc(),
    };
    apply_details(&request, &mut category, &mut errors);
    if let Some(Some(parent)) = request.parent_id {
        check_parent(tx, category.id, parent, &mut errors).await?;
        category.parent_id = Some(parent);
    }
    ApiError::unless_valid(errors)?;
    let category = db::insert_category(tx, &category).await.map_err(slug_conflict)?;
    change
        .commit(
            "catalog.category.created",
            ("category", category.id),
            json!({"slug": category.slug}),
        )
        .await?;
    Ok(versioned(
        StatusCode::CREATED,
        category.version,
        CategoryView::from(category),
    ))
}

fn apply_details(request: &CategoryRequest, category: &mut Category, errors: &mut Vec<FieldError>) {
    if let Some(description) = &request.description {
        if description.chars().count() > 10_000 {
            errors.push(FieldError::new("description", "too_long", "at most 10000 characters"));
        }
        description.trim().clone_into(&mut category.description);
    }
    if let Some(position) = request.position {
        category.position = position;
    }
}

/// A parent must exist and must not be the category itself or below it.
async fn check_parent(
    conn: &mut comptoir_db::PgConnection,
    id: Uuid,
    parent: Uuid,
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    let lineage = db::category_lineage(conn, parent).await?;
    if lineage.is_empty() {
        errors.push(FieldError::new("parent_id", "not_found", "no such category"));
    } else if lineage.contains(&id) {
        errors.push(FieldError::new(
            "parent_id",
            "cycle",
            "a category cannot be placed under itself or one of its subcategories",
        ));
    }
    Ok(())
}

fn slug_conflict(err: comptoir_db::Error) -> ApiError {
    match &err {
        comptoir_db::Error::Conflict { constraint } if constraint == db::CATEGORY_SLUG_TAKEN => {
            ApiError::validation(vec![FieldError::new(
                "slug",
                "taken",
                "another category already has this slug",
            )])
        }
        _ => err.into(),
    }
}

/// One category, with its version in `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/categories/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = CategoryView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_category(state: State, caller: Caller, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    catalog_reader(&caller)?;
    let mut conn = state.db.acquire().await?;
    let category = db::get_category(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(category_not_found)?;
    Ok(versioned(
        StatusCode::OK,
        category.version,
        CategoryView::from(category),
    ))
}

fn category_not_found() -> ApiError {
    ApiError::not_found("catalog.category_not_found", "No such category.")
}

/// Renames, moves or reorders a category.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/categories/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you edited")),
    request_body = CategoryRequest,
    responses(
        (status = 200, body = CategoryView, headers(("ETag" = String, description = "The new version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 412, description = "The category changed since that version", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_category(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
    Json(request): Json<CategoryRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let mut category = db::category_for_update(tx, id).await?.ok_or_else(category_not_found)?;
    if_match.check(category.version)?;
    let mut errors = Vec::new();
    if let Some(name) = &request.name {
        match parse_title(name) {
            Ok(name) => category.name = name,
            Err(message) => errors.push(FieldError::new("name", "invalid", message)),
        }
    }
    if let Some(slug) = &request.slug {
        category.slug = changed_slug(tx, SlugTable::Categories, slug, &category.slug, &mut errors).await?;
    }
    apply_details(&request, &mut category, &mut errors);
    match request.parent_id {
        Some(Some(parent)) => {
            check_parent(tx, category.id, parent, &mut errors).await?;
            category.parent_id = Some(parent);
        }
        Some(None) => category.parent_id = None,
        None => {}
    }
    ApiError::unless_valid(errors)?;
    let category = db::save_category(tx, &category).await.map_err(slug_conflict)?;
    change
        .commit(
            "catalog.category.updated",
            ("category", category.id),
            json!({"version": category.version}),
        )
        .await?;
    Ok(versioned(
        StatusCode::OK,
        category.version,
        CategoryView::from(category),
    ))
}

/// Deletes an empty category: one with subcategories or products answers
/// 409 `catalog.category_not_empty`.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/categories/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you saw")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
    )
)]
pub async fn delete_category(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let category = db::category_for_update(tx, id).await?.ok_or_else(category_not_found)?;
    if_match.check(category.version)?;
    let (children, products) = db::category_dependents(tx, id).await?;
    if children > 0 || products > 0 {
        return Err(ApiError::conflict(
            "catalog.category_not_empty",
            format!("This category still holds {children} subcategories and {products} products; move them first."),
        ));
    }
    db::delete_category(tx, id).await?;
    change
        .commit(
            "catalog.category.deleted",
            ("category", id),
            json!({"slug": category.slug}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
