//! The catalog: categories, attribute types and their definitions,
//! products with their variants, the public listing with its facets, and
//! favourites.
//!
//! Writes follow one pattern: read the row `FOR UPDATE`, let the caller
//! check its version and apply the change, save it with `version + 1`.

mod attributes;
mod categories;
mod listing;
mod products;

pub use attributes::*;
pub use categories::*;
pub use listing::*;
pub use products::*;

use sqlx::PgConnection;

use crate::Result;

/// Taken slugs that start like `base`, so the caller can pick `base`,
/// `base-2`, `base-3`... `table` is fixed by the caller, never user input.
pub async fn slugs_like(conn: &mut PgConnection, table: SlugTable, base: &str) -> Result<Vec<String>> {
    let pattern = format!(
        "{}-%",
        base.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
    );
    let rows = match table {
        SlugTable::Categories => {
            sqlx::query_scalar!(
                "SELECT slug FROM categories WHERE slug = $1 OR slug LIKE $2",
                base,
                pattern
            )
            .fetch_all(conn)
            .await?
        }
        SlugTable::Products => {
            sqlx::query_scalar!(
                "SELECT slug FROM products WHERE slug = $1 OR slug LIKE $2",
                base,
                pattern
            )
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows)
}

#[derive(Debug, Clone, Copy)]
pub enum SlugTable {
    Categories,
    Products,
}

/// Stock on hand minus reservations of each variant at each location,
/// with what the location offers.
#[derive(Debug, Clone)]
pub struct StockAtLocation {
    pub variant_id: uuid::Uuid,
    pub location_id: uuid::Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub ships_online: bool,
    pub click_and_collect: bool,
    pub available: i64,
}

pub async fn stock_of_variants(conn: &mut PgConnection, variant_ids: &[uuid::Uuid]) -> Result<Vec<StockAtLocation>> {
    let rows = sqlx::query_as!(
        StockAtLocation,
        r#"SELECT s.variant_id, s.location_id, l.code, l.name, l.kind, l.ships_online, l.click_and_collect,
                  (s.on_hand - s.reserved)::bigint AS "available!"
             FROM stock_levels s JOIN stores l ON l.id = s.location_id
            WHERE s.variant_id = ANY($1) AND l.active
            ORDER BY l.kind DESC, l.code"#,
        variant_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
