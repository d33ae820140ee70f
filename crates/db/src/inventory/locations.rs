//! Locations: the central warehouse and the stores (the `stores` table).

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Location {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// `warehouse` or `store`.
    pub kind: String,
    pub address: Value,
    pub timezone: String,
    pub opening_hours: Value,
    /// Its stock serves online orders.
    pub ships_online: bool,
    /// Shoppers may collect online orders there.
    pub click_and_collect: bool,
    pub active: bool,
    pub version: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Every location (or only `only`), warehouses first, then by code.
pub async fn list_locations(conn: &mut PgConnection, only: Option<&[Uuid]>) -> Result<Vec<Location>> {
    let rows = sqlx::query_as!(
        Location,
        r#"SELECT id, code, name, kind, address, timezone, opening_hours, ships_online, click_and_collect, active,
                  version, created_at, updated_at
             FROM stores WHERE ($1::uuid[] IS NULL OR id = ANY($1))
            ORDER BY kind = 'store', code"#,
        only
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn get_location(conn: &mut PgConnection, id: Uuid) -> Result<Location> {
    let row = sqlx::query_as!(
        Location,
        r#"SELECT id, code, name, kind, address, timezone, opening_hours, ships_online, click_and_collect, active,
                  version, created_at, updated_at
             FROM stores WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Reads a location to change it: its row stays locked until the caller's
/// transaction ends.
pub async fn lock_location(conn: &mut PgConnection, id: Uuid) -> Result<Location> {
    let row = sqlx::query_as!(
        Location,
        r#"SELECT id, code, name, kind, address, timezone, opening_hours, ships_online, click_and_collect, active,
                  version, created_at, updated_at
             FROM stores WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Writes `location` (new, or a newer version of a locked one) and answers
/// it as stored; the version goes up by one on an update.
pub async fn save_location(conn: &mut PgConnection, location: &Location) -> Result<Location> {
    let row = sqlx::query_as!(
        Location,
        r#"INSERT INTO stores (id, code, name, kind, address, timezone, opening_hours, ships_online,
                              click_and_collect, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (id) DO UPDATE SET
               code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind, address = EXCLUDED.address,
               timezone = EXCLUDED.timezone, opening_hours = EXCLUDED.opening_hours,
               ships_online = EXCLUDED.ships_online, click_and_collect = EXCLUDED.click_and_collect,
               active = EXCLUDED.active, version = stores.version + 1, updated_at = now()
           RETURNING id, code, name, kind, address, timezone, opening_hours, ships_online, click_and_collect, active,
                     version, created_at, updated_at"#,
        location.id,
        location.code,
        location.name,
        location.kind,
        location.address,
        location.timezone,
        location.opening_hours,
        location.ships_online,
        location.click_and_collect,
        location.active
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Who hears of a location's low stock: its active managers.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Manager {
    pub user_id: Uuid,
    pub email: String,
    pub first_name: String,
}

pub async fn location_managers(conn: &mut PgConnection, location_id: Uuid) -> Result<Vec<Manager>> {
    let rows = sqlx::query_as!(
        Manager,
        r#"SELECT DISTINCT u.id AS user_id, u.email, u.first_name
             FROM role_assignments r JOIN users u ON u.id = r.user_id
            WHERE r.role = 'manager' AND r.store_id = $1 AND u.status = 'active'
            ORDER BY u.id"#,
        location_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
