//! Variants: what is actually sold (a size, a colour, a volume), each with
//! its SKU, barcode, price and weight.

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::PgConnection;
use comptoir_db::catalog::{self as db, Variant};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::products::product_conflict;
use super::{CatalogChange, IfMatch, State, acting, catalog_writer, versioned};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::http::RequestContext;
pub use comptoir_app::catalog::variants::{VariantRequest, apply_variant, check_unique, check_variants, empty_variant};
pub use comptoir_app::catalog::{OptionPair, options_of};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VariantView {
    pub id: Uuid,
    pub product_id: Uuid,
    #[schema(example = "RUN-TRL-0012-42")]
    pub sku: String,
    pub options: Vec<OptionPair>,
    #[schema(example = "3760123456789")]
    pub ean13: Option<String>,
    /// Euro cents, VAT included.
    #[schema(example = 12999)]
    pub price_minor: i64,
    /// The former price, shown struck through; above `price_minor`.
    pub compare_at_price_minor: Option<i64>,
    pub weight_grams: i32,
    pub position: i32,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Variant> for VariantView {
    fn from(v: Variant) -> Self {
        Self {
            id: v.id,
            product_id: v.product_id,
            sku: v.sku,
            options: options_of(&v.options),
            ean13: v.ean13,
            price_minor: v.price_minor,
            compare_at_price_minor: v.compare_at_price_minor,
            weight_grams: v.weight_grams,
            position: v.position,
            version: v.version,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

fn variant_not_found() -> ApiError {
    ApiError::not_found("catalog.variant_not_found", "No such variant of this product.")
}

/// Locks the product, so its price range and version move with the variant.
async fn lock_product(conn: &mut PgConnection, product_id: Uuid) -> Result<(), ApiError> {
    db::product_for_update(conn, product_id)
        .await?
        .map(drop)
        .ok_or_else(|| ApiError::not_found("catalog.product_not_found", "No such product."))
}

/// Adds a variant to a product.
#[utoipa::path(
    post,
    path = "/api/v1/admin/products/{id}/variants",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "The product")),
    request_body = VariantRequest,
    responses(
        (status = 201, body = VariantView, headers(("ETag" = String, description = "The variant's version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn create_variant(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(product_id): Path<Uuid>,
    Json(request): Json<VariantRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    lock_product(tx, product_id).await?;
    let position = db::next_variant_position(tx, product_id).await?;
    let mut variant = empty_variant(product_id, position, OffsetDateTime::now_utc());
    let mut errors = Vec::new();
    apply_variant(&request, &mut variant, true, "", &mut errors);
    check_unique(tx, &[(String::new(), &variant)], &mut errors).await?;
    ApiError::unless_valid(errors)?;
    let variant = db::save_variant(tx, &variant).await.map_err(product_conflict)?;
    db::refresh_price_range(tx, product_id).await?;
    change
        .commit(
            "catalog.variant.created",
            ("variant", variant.id),
            json!({"product_id": product_id, "sku": variant.sku}),
        )
        .await?;
    Ok(versioned(
        StatusCode::CREATED,
        variant.version,
        VariantView::from(variant),
    ))
}

/// Changes a variant's SKU, options, barcode, price or weight.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/products/{id}/variants/{variant_id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = Uuid, Path, description = "The product"),
        ("variant_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The variant version you edited"),
    ),
    request_body = VariantRequest,
    responses(
        (status = 200, body = VariantView, headers(("ETag" = String, description = "The new version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_variant(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path((product_id, variant_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<VariantRequest>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    lock_product(tx, product_id).await?;
    let mut variant = db::variant_for_update(tx, product_id, variant_id)
        .await?
        .ok_or_else(variant_not_found)?;
    if_match.check(variant.version)?;
    let before = variant.price_minor;
    let mut errors = Vec::new();
    apply_variant(&request, &mut variant, false, "", &mut errors);
    check_unique(tx, &[(String::new(), &variant)], &mut errors).await?;
    ApiError::unless_valid(errors)?;
    let variant = db::save_variant(tx, &variant).await.map_err(product_conflict)?;
    db::refresh_price_range(tx, product_id).await?;
    change
        .commit(
            "catalog.variant.updated",
            ("variant", variant.id),
            json!({"version": variant.version, "price_minor": {"from": before, "to": variant.price_minor}}),
        )
        .await?;
    Ok(versioned(StatusCode::OK, variant.version, VariantView::from(variant)))
}

/// Deletes a variant that has never held stock.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/products/{id}/variants/{variant_id}",
    tag = "catalog",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("id" = Uuid, Path, description = "The product"),
        ("variant_id" = Uuid, Path),
        ("If-Match" = Option<String>, Header, description = "The variant version you saw"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The variant has held stock", body = crate::error::Problem),
        (status = 412, body = crate::error::Problem),
    )
)]
pub async fn delete_variant(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path((product_id, variant_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let actor = catalog_writer(&caller)?;
    let mut change = CatalogChange::begin(&state, acting(actor, context.as_deref())).await?;
    let tx = change.conn();
    lock_product(tx, product_id).await?;
    let variant = db::variant_for_update(tx, product_id, variant_id)
        .await?
        .ok_or_else(variant_not_found)?;
    if_match.check(variant.version)?;
    db::delete_variant(tx, variant_id).await.map_err(product_conflict)?;
    db::refresh_price_range(tx, product_id).await?;
    change
        .commit(
            "catalog.variant.deleted",
            ("variant", variant_id),
            json!({"product_id": product_id, "sku": variant.sku}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
