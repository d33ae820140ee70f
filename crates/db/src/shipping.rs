//! Shipping methods, as administrators configure them.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ShippingMethod {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// `flat`, `weight_tiers` or `click_and_collect`.
    pub kind: String,
    pub price_minor: i64,
    pub tiers: Value,
    pub free_above_minor: Option<i64>,
    pub countries: Vec<String>,
    pub active: bool,
    pub position: i32,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub const CODE_TAKEN: &str = "shipping_methods_code_key";

/// Every method (only the active ones with `active_only`), in display order.
pub async fn list_methods(conn: &mut PgConnection, active_only: bool) -> Result<Vec<ShippingMethod>> {
    let rows = sqlx::query_as!(
        ShippingMethod,
        r#"SELECT id, code, name, kind, price_minor, tiers, free_above_minor, countries, active, position, version,
                  created_at, updated_at
             FROM shipping_methods WHERE active OR NOT $1
            ORDER BY position, code"#,
        active_only
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn lock_method(conn: &mut PgConnection, id: Uuid) -> Result<ShippingMethod> {
    let row = sqlx::query_as!(
        ShippingMethod,
        r#"SELECT id, code, name, kind, price_minor, tiers, free_above_minor, countries, active, position, version,
                  created_at, updated_at
             FROM shipping_methods WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Writes a new method or a newer version of a locked one.
pub async fn save_method(conn: &mut PgConnection, m: &ShippingMethod) -> Result<ShippingMethod> {
    let row = sqlx::query_as!(
        ShippingMethod,
        r#"INSERT INTO shipping_methods (id, code, name, kind, price_minor, tiers, free_above_minor, countries, active,
                                         position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (id) DO UPDATE SET
               code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind, price_minor = EXCLUDED.price_minor,
               tiers = EXCLUDED.tiers, free_above_minor = EXCLUDED.free_above_minor, countries = EXCLUDED.countries,
               active = EXCLUDED.active, position = EXCLUDED.position, version = shipping_methods.version + 1,
               updated_at = now()
           RETURNING id, code, name, kind, price_minor, tiers, free_above_minor, countries, active, position, version,
                     created_at, updated_at"#,
        m.id,
        m.code,
        m.name,
        m.kind,
        m.price_minor,
        m.tiers,
        m.free_above_minor,
        &m.countries,
        m.active,
        m.position
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn delete_method(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM shipping_methods WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
