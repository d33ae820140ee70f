//! What a shopper may buy now: online (the stock of every location that
//! ships) and in each store that offers click and collect.

use comptoir_db::catalog as catalog_db;
use comptoir_db::{Optional, PgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Context;
use crate::catalog::listing::StoreStock;
use crate::error::AppError;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VariantAvailability {
    pub variant_id: Uuid,
    pub sku: String,
    /// Units that can ship now from the locations that serve online orders.
    pub available_online: i64,
    pub in_stock: bool,
    /// Units in each store that offers click and collect.
    pub stores: Vec<StoreStock>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductAvailability {
    pub product_id: Uuid,
    pub available_online: i64,
    pub in_stock: bool,
    pub variants: Vec<VariantAvailability>,
}

async fn listed_product(conn: &mut PgConnection, id_or_slug: &str) -> Result<catalog_db::Product, AppError> {
    let product = match id_or_slug.parse::<Uuid>() {
        Ok(id) => catalog_db::get_product(conn, id).await.optional()?,
        Err(_) => catalog_db::product_by_slug(conn, id_or_slug).await?,
    };
    product
        .filter(|p| p.status == "active")
        .ok_or_else(|| AppError::not_found("catalog.product_not_found", "No such product."))
}

/// A product's stock as shoppers see it, read fresh (never cached): online
/// and per click-and-collect store, for each variant.
pub async fn of_product(ctx: &Context, id: &str) -> Result<ProductAvailability, AppError> {
    let mut conn = ctx.db.acquire().await?;
    let product = listed_product(&mut conn, id).await?;
    let variants = catalog_db::variants_of(&mut conn, &[product.id]).await?;
    let ids: Vec<Uuid> = variants.iter().map(|v| v.id).collect();
    let stock = catalog_db::stock_of_variants(&mut conn, &ids).await?;
    drop(conn);
    let variants: Vec<VariantAvailability> = variants
        .into_iter()
        .map(|variant| {
            let (available_online, stores) = for_shoppers(&stock, variant.id);
            VariantAvailability {
                variant_id: variant.id,
                sku: variant.sku,
                available_online,
                in_stock: available_online > 0,
                stores,
            }
        })
        .collect();
    let available_online = variants.iter().map(|v| v.available_online).sum();
    Ok(ProductAvailability {
        product_id: product.id,
        available_online,
        in_stock: available_online > 0,
        variants,
    })
}

/// A variant's stock as shoppers see it: the units that can ship (from
/// every location that serves online orders) and the units in each store
/// that offers click and collect. Product pages and the availability
/// answer both say it this way.
pub fn for_shoppers(stock: &[catalog_db::StockAtLocation], variant_id: Uuid) -> (i64, Vec<StoreStock>) {
    let mine = stock.iter().filter(|s| s.variant_id == variant_id);
    let online = mine
        .clone()
        .filter(|s| s.ships_online)
        .map(|s| s.available.max(0))
        .sum();
    let stores = mine
        .filter(|s| s.kind == "store" && s.click_and_collect)
        .map(|s| StoreStock {
            location_id: s.location_id,
            code: s.code.clone(),
            name: s.name.clone(),
            available: s.available.max(0),
        })
        .collect();
    (online, stores)
}
