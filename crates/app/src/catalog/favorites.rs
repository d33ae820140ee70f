//! An account's favourite products.

use comptoir_db::Optional;
use comptoir_db::catalog as db;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Context;
use crate::error::AppError;

/// The account's favourites, newest first, as they are on sale now.
pub async fn list(ctx: &Context, user_id: Uuid) -> Result<FavoriteList, AppError> {
    let mut conn = ctx.db.acquire().await?;
    let favorites = db::favorites_of(&mut conn, user_id).await?;
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
    Ok(FavoriteList { items })
}

/// Adds a product on sale to the account's favourites (again: no change).
pub async fn add(ctx: &Context, user_id: Uuid, product_id: Uuid) -> Result<(), AppError> {
    let mut conn = ctx.db.acquire().await?;
    let on_sale = db::get_product(&mut conn, product_id)
        .await
        .optional()?
        .is_some_and(|p| p.status == "active");
    if !on_sale {
        return Err(AppError::not_found("catalog.product_not_found", "No such product."));
    }
    db::add_favorite(&mut conn, user_id, product_id).await?;
    Ok(())
}

/// Removes a product from the account's favourites (absent: no change).
pub async fn remove(ctx: &Context, user_id: Uuid, product_id: Uuid) -> Result<(), AppError> {
    let mut conn = ctx.db.acquire().await?;
    db::remove_favorite(&mut conn, user_id, product_id).await?;
    Ok(())
}

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
