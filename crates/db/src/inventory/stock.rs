//! Reading stock: levels with their SKUs, the ledger, and setting the
//! thresholds that drive alerts and replenishment.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Level, check_alert};
use crate::Result;

/// A level as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StockRow {
    pub location_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i32,
    pub reorder_point: i32,
    pub target_level: i32,
}

/// What the stock list shows.
#[derive(Debug, Clone, Default)]
pub struct StockQuery<'a> {
    /// Only these locations; `None` for every one.
    pub locations: Option<&'a [Uuid]>,
    /// Matches the SKU or the product's name, case and accents ignored.
    pub q: Option<&'a str>,
    pub below_reorder_point: bool,
    /// The `(location_id, sku)` the previous page ended on.
    pub after: Option<(Uuid, &'a str)>,
    pub limit: i64,
}

/// Levels by location then SKU.
pub async fn list_stock(conn: &mut PgConnection, query: &StockQuery<'_>) -> Result<Vec<StockRow>> {
    let pattern = query.q.map(|q| {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        format!("%{escaped}%")
    });
    let (after_location, after_sku) = query.after.unzip();
    let rows = sqlx::query_as!(
        StockRow,
        r#"SELECT l.location_id, l.variant_id, v.sku, p.name AS product_name, l.on_hand, l.reserved,
                  l.on_hand - l.reserved AS "available!", l.reorder_point, l.target_level
             FROM stock_levels l
             JOIN variants v ON v.id = l.variant_id
             JOIN products p ON p.id = v.product_id
            WHERE ($1::uuid[] IS NULL OR l.location_id = ANY($1))
              AND ($2::text IS NULL OR v.sku ILIKE $2 OR comptoir_unaccent(p.name) ILIKE comptoir_unaccent($2))
              AND (NOT $3 OR l.on_hand - l.reserved < l.reorder_point)
              AND ($4::uuid IS NULL OR (l.location_id, v.sku) > ($4, $5::text))
            ORDER BY l.location_id, v.sku
            LIMIT $6"#,
        query.locations,
        pattern,
        query.below_reorder_point,
        after_location,
        after_sku,
        query.limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// One level as the back office lists it.
pub async fn stock_row(conn: &mut PgConnection, location_id: Uuid, variant_id: Uuid) -> Result<StockRow> {
    let row = sqlx::query_as!(
        StockRow,
        r#"SELECT l.location_id, l.variant_id, v.sku, p.name AS product_name, l.on_hand, l.reserved,
                  l.on_hand - l.reserved AS "available!", l.reorder_point, l.target_level
             FROM stock_levels l
             JOIN variants v ON v.id = l.variant_id
             JOIN products p ON p.id = v.product_id
            WHERE l.location_id = $1 AND l.variant_id = $2"#,
        location_id,
        variant_id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// One movement of the ledger, as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MovementRow {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub location_id: Uuid,
    pub kind: String,
    pub reason: Option<String>,
    pub on_hand_delta: i32,
    pub reserved_delta: i32,
    pub note: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

/// The ledger, newest first, optionally of one variant and some locations.
pub async fn list_movements(
    conn: &mut PgConnection,
    variant_id: Option<Uuid>,
    locations: Option<&[Uuid]>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<MovementRow>> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query_as!(
        MovementRow,
        r#"SELECT m.id, m.variant_id, v.sku, m.location_id, m.kind, m.reason, m.on_hand_delta, m.reserved_delta,
                  m.note, m.actor_user_id, m.actor_api_key_id, m.reference_type, m.reference_id, m.created_at
             FROM stock_movements m
             JOIN variants v ON v.id = m.variant_id
            WHERE ($1::uuid IS NULL OR m.variant_id = $1)
              AND ($2::uuid[] IS NULL OR m.location_id = ANY($2))
              AND ($3::timestamptz IS NULL OR (m.created_at, m.id) < ($3, $4))
            ORDER BY m.created_at DESC, m.id DESC
            LIMIT $5"#,
        variant_id,
        locations,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Sets a level's reorder point and target (creating an empty level when
/// there is none), and opens or closes its alert accordingly.
pub async fn set_thresholds(
    conn: &mut PgConnection,
    variant_id: Uuid,
    location_id: Uuid,
    reorder_point: i32,
    target_level: i32,
) -> Result<Level> {
    let level = sqlx::query_as!(
        Level,
        r#"INSERT INTO stock_levels (variant_id, location_id, reorder_point, target_level)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (variant_id, location_id) DO UPDATE
              SET reorder_point = EXCLUDED.reorder_point, target_level = EXCLUDED.target_level, updated_at = now()
           RETURNING on_hand, reserved, reorder_point"#,
        variant_id,
        location_id,
        reorder_point,
        target_level
    )
    .fetch_one(&mut *conn)
    .await?;
    check_alert(conn, variant_id, location_id, level).await?;
    Ok(level)
}

/// An open low-stock alert.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlertRow {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub location_id: Uuid,
    /// When it opened.
    pub available_at_open: i32,
    pub available: i32,
    pub reorder_point: i32,
    pub opened_at: OffsetDateTime,
}

/// Open alerts, oldest first, optionally of some locations.
pub async fn open_alerts(conn: &mut PgConnection, locations: Option<&[Uuid]>) -> Result<Vec<AlertRow>> {
    let rows = sqlx::query_as!(
        AlertRow,
        r#"SELECT a.id, a.variant_id, v.sku, a.location_id, a.available AS available_at_open,
                  l.on_hand - l.reserved AS "available!", l.reorder_point, a.opened_at
             FROM stock_alerts a
             JOIN stock_levels l USING (variant_id, location_id)
             JOIN variants v ON v.id = a.variant_id
            WHERE a.closed_at IS NULL AND ($1::uuid[] IS NULL OR a.location_id = ANY($1))
            ORDER BY a.opened_at, a.id"#,
        locations
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Receives stock in bulk at one location (seeding, opening a store): one
/// receipt movement per line, levels created or raised, thresholds set on
/// new levels; levels left under their reorder point get their alert (no
/// notice is sent: nobody sold anything). Quantities must be positive.
pub async fn receive_in_bulk(
    conn: &mut PgConnection,
    location_id: Uuid,
    lines: &[(Uuid, i32)],
    thresholds: (i32, i32),
    note: &str,
) -> Result<()> {
    let (variants, quantities): (Vec<Uuid>, Vec<i32>) = lines.iter().copied().unzip();
    sqlx::query!(
        r#"INSERT INTO stock_levels (variant_id, location_id, on_hand, reorder_point, target_level)
           SELECT v, $1, q, $4, $5 FROM unnest($2::uuid[], $3::int[]) AS t(v, q)
           ORDER BY v
           ON CONFLICT (variant_id, location_id) DO UPDATE
              SET on_hand = stock_levels.on_hand + EXCLUDED.on_hand, updated_at = now()"#,
        location_id,
        &variants,
        &quantities,
        thresholds.0,
        thresholds.1
    )
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = lines.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query!(
        r#"INSERT INTO stock_movements (id, variant_id, location_id, kind, on_hand_delta, reserved_delta, note)
           SELECT id, v, $1, 'receipt', q, 0, $5 FROM unnest($2::uuid[], $3::uuid[], $4::int[]) AS t(id, v, q)"#,
        location_id,
        &ids,
        &variants,
        &quantities,
        note
    )
    .execute(&mut *conn)
    .await?;
    let low = sqlx::query_scalar!(
        r#"SELECT variant_id FROM stock_levels
            WHERE location_id = $1 AND on_hand - reserved < reorder_point
              AND NOT EXISTS (SELECT 1 FROM stock_alerts a WHERE a.variant_id = stock_levels.variant_id
                                 AND a.location_id = $1 AND a.closed_at IS NULL)"#,
        location_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let alert_ids: Vec<Uuid> = low.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query!(
        r#"INSERT INTO stock_alerts (id, variant_id, location_id, available, reorder_point)
           SELECT t.id, l.variant_id, l.location_id, l.on_hand - l.reserved, l.reorder_point
             FROM unnest($2::uuid[], $3::uuid[]) AS t(id, v)
             JOIN stock_levels l ON l.variant_id = t.v AND l.location_id = $1
           ON CONFLICT (variant_id, location_id) WHERE closed_at IS NULL DO NOTHING"#,
        location_id,
        &alert_ids,
        &low
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A variant that can hold stock, with the top category of its product.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StockableVariant {
    pub id: Uuid,
    pub sku: String,
    /// The slug of the product's top-level category; empty without one.
    pub top_category: String,
}

/// The variants of active products (generated benchmark products aside),
/// by SKU: what the demo data stocks.
pub async fn stockable_variants(conn: &mut PgConnection) -> Result<Vec<StockableVariant>> {
    let rows = sqlx::query_as!(
        StockableVariant,
        r#"SELECT v.id, v.sku, coalesce(top.slug, c.slug, '') AS "top_category!"
             FROM variants v JOIN products p ON p.id = v.product_id
             LEFT JOIN categories c ON c.id = p.category_id
             LEFT JOIN categories top ON top.id = c.parent_id
            WHERE p.status = 'active' AND v.sku NOT LIKE 'GEN-%'
            ORDER BY v.sku"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Whether any stock ever moved at a location.
pub async fn has_movements(conn: &mut PgConnection, location_id: Uuid) -> Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM stock_movements WHERE location_id = $1) AS "exists!""#,
        location_id
    )
    .fetch_one(conn)
    .await?;
    Ok(exists)
}

/// How many low-stock alerts are open, all locations together.
pub async fn open_alert_count(conn: &mut PgConnection) -> Result<i64> {
    let n = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM stock_alerts WHERE closed_at IS NULL"#)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
