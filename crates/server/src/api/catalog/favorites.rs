//! A signed-in shopper's favourites (wishlist).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::Optional;
use comptoir_db::catalog as db;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::State;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Favorite {
    pub product_id: Uuid,
    pub slug: String,
    pub name: String,
    pub brand: Option<String>,
    pub image_urls: Vec<String>,
    pub price_min_minor: Option<i64>,
    pub price_max_minor: Option<i64>,
    pub currency: String,
    /// False once the product is withdrawn from sale (draft or archived).
    pub available: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FavoriteList {
    pub items: Vec<Favorite>,
}

/// Your favourites, most recently added first.
#[utoipa::path(
    get,
    path = "/api/v1/me/favorites",
    tag = "catalog",
    security(("bearer" = [])),
    responses(
        (status = 200, body = FavoriteList),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "API keys have no favourites", body = crate::error::Problem),
    )
)]
pub async fn list_favorites(state: State, caller: Caller) -> Result<Json<FavoriteList>, ApiError> {
    let user = caller.user()?;
    let mut conn = state.db.acquire().await?;
    let favorites = db::favorites_of(&mut conn, user.id).await?;
    let ids: Vec<Uuid> = favorites.iter().map(|(id, _)| *id).collect();
    let products = db::products_by_ids(&mut conn, &ids).await?;
    let items = favorites
        .into_iter()
        .filter_map(|(id, added_at)| {
            let p = products.iter().find(|p| p.id == id)?;
            Some(Favorite {
                product_id: p.id,
                slug: p.slug.clone(),
                name: p.name.clone(),
                brand: p.brand.clone(),
                image_urls: p.image_urls.clone(),
                price_min_minor: p.price_min_minor,
                price_max_minor: p.price_max_minor,
                currency: "EUR".to_owned(),
                available: p.status == "active" && p.price_min_minor.is_some(),
                added_at,
            })
        })
        .collect();
    Ok(Json(FavoriteList { items }))
}

/// Adds a product to your favourites; adding it again changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/me/favorites/{product_id}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path)),
    responses(
        (status = 204, description = "The product is among your favourites"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such product on sale", body = crate::error::Problem),
    )
)]
pub async fn add_favorite(state: State, caller: Caller, Path(product_id): Path<Uuid>) -> Result<Response, ApiError> {
    let user = caller.user()?;
    let mut conn = state.db.acquire().await?;
    let on_sale = db::get_product(&mut conn, product_id)
        .await
        .optional()?
        .is_some_and(|p| p.status == "active");
    if !on_sale {
        return Err(ApiError::not_found("catalog.product_not_found", "No such product."));
    }
    db::add_favorite(&mut conn, user.id, product_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes a product from your favourites; removing it again changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/me/favorites/{product_id}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path)),
    responses(
        (status = 204, description = "The product is not among your favourites"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn remove_favorite(state: State, caller: Caller, Path(product_id): Path<Uuid>) -> Result<Response, ApiError> {
    let user = caller.user()?;
    let mut conn = state.db.acquire().await?;
    db::remove_favorite(&mut conn, user.id, product_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
