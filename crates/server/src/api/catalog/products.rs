//! Products in the back office: create (with variants), read, change,
//! delete, list every status. The checks here are also those of the CSV
//! import.

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::Optional;
use comptoir_db::catalog::{self as db, Product, Variant};
use comptoir_domain::catalog::ProductStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::variants::{VariantView, check_variants};
use super::{CatalogChange, IfMatch, State, acting, catalog_reader, catalog_writer, versioned};
use crate::api::identity::{decode_cursor, encode_cursor};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;
pub use comptoir_app::catalog::products::{
    MAX_DESCRIPTION_CHARS, ProductRequest, apply_product, empty_product, product_conflict,
};

/// A product as the back office sees it, with its variants and version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductView {
    pub id: Uuid,
    #[schema(example = "barrique-bordelaise-225-l-chene-francais")]
    pub slug: String,
    pub name: String,
    /// Markdown.
    pub description: String,
    pub brand: Option<String>,
    /// `draft`, `active` or `archived`.
    pub status: String,
    /// `standard` (20 %), `intermediate` (10 %), `reduced` (5.5 %), `super_reduced` (2.1 %).
    pub tax_class: String,
    pub category_id: Option<Uuid>,
    pub image_urls: Vec<String>,
    #[schema(value_type = Object, example = json!({"wood_type": "chene_francais", "volume_liters": 225}))]
    pub attributes: Value,
    pub price_min_minor: Option<i64>,
    pub price_max_minor: Option<i64>,
    pub variants: Vec<VariantView>,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl ProductView {
    pub fn new(p: Product, variants: Vec<Variant>) -> Self {
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            description: p.description,
            brand: p.brand,
            status: p.status,
            tax_class: p.tax_class,
            category_id: p.category_id,
            image_urls: p.image_urls,
            attributes: p.attributes,
            price_min_minor: p.price_min_minor,
            price_max_minor: p.price_max_minor,
            variants: variants.into_iter().map(Into::into).collect(),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

fn product_not_found() -> ApiError {
    ApiError::not_found("catalog.product_not_found", "No such product.")
}

/// Creates a product, with its variants; every invalid field is reported at once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/products",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    request_body = ProductRequest,
    responses(
        (status = 201, body = ProductView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, description = "Every invalid field, attribute and variant", body = crate::error::Problem),
    )
)]
pub async fn create_product(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Json(request): Json<ProductRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let mut errors = Vec::new();
    let mut product = empty_product(OffsetDateTime::now_utc());
    apply_product(tx, &state.catalog_rules, &request, &mut product, true, "", &mut errors).await?;
    let variants = check_variants(
        tx,
        product.id,
        request.variants.as_deref().unwrap_or_default(),
        &mut errors,
    )
    .await?;
    ApiError::unless_valid(errors)?;
    let product = db::save_product(tx, &product).await.map_err(product_conflict)?;
    let mut saved = Vec::with_capacity(variants.len());
    for variant in &variants {
        saved.push(db::save_variant(tx, variant).await.map_err(product_conflict)?);
    }
    db::refresh_price_range(tx, product.id).await?;
    let product = db::get_product(tx, product.id).await?;
    change
        .commit(
            "catalog.product.created",
            ("product", product.id),
            json!({"slug": product.slug, "variants": saved.len()}),
        )
        .await?;
    Ok(versioned(
        StatusCode::CREATED,
        product.version,
        ProductView::new(product, saved),
    ))
}

/// One product, any status, with its variants and its version in `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/products/{id}",
    operation_id = "get_admin_product",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ProductView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_product(state: State, caller: Caller, Path(id): Path<Uuid>) -> Result<Response, ApiError> {
    catalog_reader(&caller)?;
    let mut conn = state.db.acquire().await?;
    let product = db::get_product(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(product_not_found)?;
    let variants = db::variants_of(&mut conn, &[id]).await?;
    Ok(versioned(
        StatusCode::OK,
        product.version,
        ProductView::new(product, variants),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminProductQuery {
    /// Only the products with this status (the schema lists them).
    #[param(schema_with = status_schema)]
    pub status: Option<String>,
    /// 1 to 100, 20 by default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// `status` as the document states it: one of [`ProductStatus::ALL`].
fn status_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("Only the products with this status."))
        .enum_values(Some(ProductStatus::ALL.map(ProductStatus::as_str)))
        .build()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminProductList {
    pub items: Vec<ProductView>,
    pub next_cursor: Option<String>,
}

/// Every product, drafts and archived ones included, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/products",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(AdminProductQuery),
    responses(
        (status = 200, body = AdminProductList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn admin_list_products(
    state: State,
    caller: Caller,
    Query(query): Query<AdminProductQuery>,
) -> Result<Json<AdminProductList>, ApiError> {
    catalog_reader(&caller)?;
    let limit = query.limit.unwrap_or(20);
    let mut errors = Vec::new();
    if !(1..=100).contains(&limit) {
        errors.push(FieldError::new("limit", "out_of_range", "from 1 to 100"));
    }
    let status = match query.status.as_deref().map(ProductStatus::parse).transpose() {
        Ok(status) => status,
        Err(message) => {
            errors.push(FieldError::new("status", "invalid", message));
            None
        }
    };
    ApiError::unless_valid(errors)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut conn = state.db.acquire().await?;
    let mut products = db::admin_list_products(&mut conn, status.map(ProductStatus::as_str), after, limit + 1).await?;
    let next_cursor = if products.len() > usize::try_from(limit).unwrap_or(20) {
        products.pop();
        products.last().map(|p| encode_cursor(p.created_at, p.id))
    } else {
        None
    };
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let mut variants: std::collections::HashMap<Uuid, Vec<Variant>> = std::collections::HashMap::new();
    for variant in db::variants_of(&mut conn, &ids).await? {
        variants.entry(variant.product_id).or_default().push(variant);
    }
    let items = products
        .into_iter()
        .map(|p| {
            let mine = variants.remove(&p.id).unwrap_or_default();
            ProductView::new(p, mine)
        })
        .collect();
    Ok(Json(AdminProductList { items, next_cursor }))
}

/// Changes a product's fields; `attributes` are checked against its category.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/products/{id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you edited")),
    request_body = ProductRequest,
    responses(
        (status = 200, body = ProductView, headers(("ETag" = String, description = "The new version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_product(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
    Json(request): Json<ProductRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    if request.variants.is_some() {
        return Err(ApiError::validation(vec![FieldError::new(
            "variants",
            "unknown",
            "change variants through /api/v1/admin/products/{id}/variants",
        )]));
    }
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let mut product = db::product_for_update(tx, id).await?.ok_or_else(product_not_found)?;
    if_match.check(product.version)?;
    let mut errors = Vec::new();
    apply_product(tx, &state.catalog_rules, &request, &mut product, false, "", &mut errors).await?;
    ApiError::unless_valid(errors)?;
    let product = db::save_product(tx, &product).await.map_err(product_conflict)?;
    let variants = db::variants_of(tx, &[id]).await?;
    change
        .commit(
            "catalog.product.updated",
            ("product", product.id),
            json!({"version": product.version}),
        )
        .await?;
    Ok(versioned(
        StatusCode::OK,
        product.version,
        ProductView::new(product, variants),
    ))
}

/// Deletes a product and its variants; one whose variants have held stock
/// answers 409 `catalog.variant_has_stock` (archive it instead).
#[utoipa::path(
    delete,
    path = "/api/v1/admin/products/{id}",
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
pub async fn delete_product(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    let product = db::product_for_update(tx, id).await?.ok_or_else(product_not_found)?;
    if_match.check(product.version)?;
    db::delete_product(tx, id).await.map_err(product_conflict)?;
    change
        .commit(
            "catalog.product.deleted",
            ("product", id),
            json!({"slug": product.slug}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
