//! The public catalog as shoppers read it: `GET /api/v1/products` and
//! `GET /api/v1/products/{id_or_slug}`, over `comptoir_app::catalog::listing`.

use axum::extract::RawQuery;
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa::ToSchema;

use super::{CachedBody, State};
use crate::error::ApiError;
use crate::extract::Path;
pub use comptoir_app::catalog::listing::{
    AttributeFacet, AttributeValue, CategoryFacet, CategoryRef, Facets, PriceBand, ProductDetail, ProductList,
    ProductSummary, StoreStock, ValueCount, VariantDetail, VariantSummary, list_answer, product_detail,
};

/// Active products, searched, filtered, sorted and paged, with facet counts.
///
/// `q` searches names, brands and descriptions the French way (stemming,
/// accents ignored) and forgives typos. Several `brand` or `attr.{code}`
/// values for the same filter mean "any of them". An unknown or malformed
/// parameter answers 422.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "catalog",
    // The bounds are those of `parse_query` in comptoir_app::catalog::listing
    // (MAX_Q_CHARS, MAX_PRICE_MINOR).
    params(
        ("q" = Option<String>, Query, description = "Words to search for (up to 200 characters)",
         max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"),
        ("category" = Option<String>, Query, description = "A category slug or id; its subcategories included"),
        ("brand" = Option<String>, Query, description = "A brand; repeat for several", min_length = 1, max_length = 100),
        ("min_price" = Option<i64>, Query, description = "Lowest price in cents, VAT included",
         minimum = 0, maximum = 1_000_000_000),
        ("max_price" = Option<i64>, Query, description = "Highest price in cents, VAT included; at least min_price",
         minimum = 0, maximum = 1_000_000_000),
        ("attr.{code}" = Option<String>, Query, description = "An attribute value, such as attr.wood_type=chene_francais; repeat for several (at most 10 attributes)",
         min_length = 1),
        ("in_stock" = Option<bool>, Query, description = "Only products that can ship now (true) or cannot (false)"),
        ("sort" = inline(Option<Sort>), Query, description = "relevance (default; newest without q), price_asc, price_desc, newest"),
        ("limit" = Option<i64>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, body = ProductList, headers(("ETag" = String, description = "Changes with the content"))),
        (status = 304, description = "The page the client holds is current"),
        (status = 422, description = "A malformed or unknown parameter", body = crate::error::Problem),
    )
)]
pub async fn list_products(state: State, headers: HeaderMap, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    Ok(super::respond(
        list_answer(&state, &raw.unwrap_or_default()).await?,
        &headers,
    ))
}

// The orders of the list, as `parse_query` reads `sort`; only described
// (the query is read from the raw string).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[expect(dead_code, reason = "only described in the document, never built")]
enum Sort {
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
}

/// A product with its variants, attributes, prices and availability, by
/// id or slug. Drafts and archived products answer 404.
#[utoipa::path(
    get,
    path = "/api/v1/products/{id_or_slug}",
    tag = "catalog",
    params(("id_or_slug" = String, Path, description = "The product's id or slug")),
    responses(
        (status = 200, body = ProductDetail, headers(("ETag" = String, description = "Changes with the content and stock"))),
        (status = 304, description = "The page the client holds is current"),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_product(
    state: State,
    headers: HeaderMap,
    Path(id_or_slug): Path<String>,
) -> Result<Response, ApiError> {
    let detail = product_detail(&state, &id_or_slug).await?;
    let body = serde_json::to_vec(&detail).map_err(ApiError::internal)?;
    Ok(super::respond(CachedBody::new(body), &headers))
}
