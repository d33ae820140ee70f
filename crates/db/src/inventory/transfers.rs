//! Transfers between locations and the figures replenishment works from.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Transfer {
    pub id: Uuid,
    pub number: String,
    pub source_location_id: Uuid,
    pub destination_location_id: Uuid,
    pub status: String,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub requested_at: Option<OffsetDateTime>,
    pub shipped_at: Option<OffsetDateTime>,
    pub received_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TransferLine {
    pub transfer_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub quantity: i32,
    pub received_quantity: Option<i32>,
    pub damaged_quantity: Option<i32>,
}

/// A new transfer (`draft` or `requested`) with its lines `(variant, units)`.
pub async fn insert_transfer(
    conn: &mut PgConnection,
    id: Uuid,
    (source, destination): (Uuid, Uuid),
    status: &str,
    note: Option<&str>,
    created_by: Option<Uuid>,
    lines: &[(Uuid, i32)],
) -> Result<Transfer> {
    let transfer = sqlx::query_as!(
        Transfer,
        r#"INSERT INTO stock_transfers (id, number, source_location_id, destination_location_id, status, note,
                                        created_by, requested_at)
           VALUES ($1, 'TR-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('stock_transfer_numbers')::text, 6, '0'),
                   $2, $3, $4, $5, $6, CASE WHEN $4 = 'requested' THEN now() END)
           RETURNING id, number, source_location_id, destination_location_id, status, note, created_by, created_at,
                     requested_at, shipped_at, received_at, cancelled_at, version"#,
        id,
        source,
        destination,
        status,
        note,
        created_by
    )
    .fetch_one(&mut *conn)
    .await?;
    let (variants, quantities): (Vec<Uuid>, Vec<i32>) = lines.iter().copied().unzip();
    sqlx::query!(
        r#"INSERT INTO stock_transfer_lines (transfer_id, variant_id, quantity)
           SELECT $1, v, q FROM unnest($2::uuid[], $3::int[]) AS t(v, q)"#,
        id,
        &variants,
        &quantities
    )
    .execute(conn)
    .await?;
    Ok(transfer)
}

pub async fn get_transfer(conn: &mut PgConnection, id: Uuid) -> Result<Transfer> {
    let row = sqlx::query_as!(
        Transfer,
        r#"SELECT id, number, source_location_id, destination_location_id, status, note, created_by, created_at,
                  requested_at, shipped_at, received_at, cancelled_at, version
             FROM stock_transfers WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Reads a transfer to move it on; it stays locked until the transaction ends,
/// so two clerks cannot ship it twice.
pub async fn lock_transfer(conn: &mut PgConnection, id: Uuid) -> Result<Transfer> {
    let row = sqlx::query_as!(
        Transfer,
        r#"SELECT id, number, source_location_id, destination_location_id, status, note, created_by, created_at,
                  requested_at, shipped_at, received_at, cancelled_at, version
             FROM stock_transfers WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// The lines of some transfers, by transfer then variant.
pub async fn transfer_lines(conn: &mut PgConnection, transfer_ids: &[Uuid]) -> Result<Vec<TransferLine>> {
    let rows = sqlx::query_as!(
        TransferLine,
        r#"SELECT l.transfer_id, l.variant_id, v.sku, l.quantity, l.received_quantity, l.damaged_quantity
             FROM stock_transfer_lines l JOIN variants v ON v.id = l.variant_id
            WHERE l.transfer_id = ANY($1)
            ORDER BY l.transfer_id, l.variant_id"#,
        transfer_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Moves a (locked) transfer to `status`, stamping when.
pub async fn set_transfer_status(conn: &mut PgConnection, id: Uuid, status: &str) -> Result<Transfer> {
    let row = sqlx::query_as!(
        Transfer,
        r#"UPDATE stock_transfers
              SET status = $2, version = version + 1,
                  requested_at = CASE WHEN $2 = 'requested' THEN now() ELSE requested_at END,
                  shipped_at = CASE WHEN $2 = 'shipped' THEN now() ELSE shipped_at END,
                  received_at = CASE WHEN $2 = 'received' THEN now() ELSE received_at END,
                  cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE cancelled_at END
            WHERE id = $1
        RETURNING id, number, source_location_id, destination_location_id, status, note, created_by, created_at,
                  requested_at, shipped_at, received_at, cancelled_at, version"#,
        id,
        status
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Records what arrived of a line.
pub async fn record_line_receipt(
    conn: &mut PgConnection,
    transfer_id: Uuid,
    variant_id: Uuid,
    received: i32,
    damaged: i32,
) -> Result<()> {
    sqlx::query!(
        r#"UPDATE stock_transfer_lines SET received_quantity = $3, damaged_quantity = $4
            WHERE transfer_id = $1 AND variant_id = $2"#,
        transfer_id,
        variant_id,
        received,
        damaged
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Transfers from or to some locations (all when `None`), newest first.
pub async fn list_transfers(
    conn: &mut PgConnection,
    locations: Option<&[Uuid]>,
    status: Option<&str>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Transfer>> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query_as!(
        Transfer,
        r#"SELECT id, number, source_location_id, destination_location_id, status, note, created_by, created_at,
                  requested_at, shipped_at, received_at, cancelled_at, version
             FROM stock_transfers
            WHERE ($1::uuid[] IS NULL OR source_location_id = ANY($1) OR destination_location_id = ANY($1))
              AND ($2::text IS NULL OR status = $2)
              AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
            ORDER BY created_at DESC, id DESC
            LIMIT $5"#,
        locations,
        status,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// What replenishment knows of one variant at one location.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplenishmentRow {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub available: i64,
    pub reorder_point: i32,
    pub target_level: i32,
    /// Units sold there since `since`.
    pub sold: i64,
    /// Units requested or shipped there and not received yet.
    pub in_transit: i64,
}

/// Every variant a location stocks, has thresholds for, or has units on
/// their way to, with its sales since `since`.
pub async fn replenishment_rows(
    conn: &mut PgConnection,
    location_id: Uuid,
    since: OffsetDateTime,
) -> Result<Vec<ReplenishmentRow>> {
    let rows = sqlx::query_as!(
        ReplenishmentRow,
        r#"WITH transit AS (
               SELECT l.variant_id, sum(l.quantity)::bigint AS units
                 FROM stock_transfer_lines l JOIN stock_transfers t ON t.id = l.transfer_id
                WHERE t.destination_location_id = $1 AND t.status IN ('requested', 'shipped')
                GROUP BY l.variant_id),
           sales AS (
               SELECT variant_id, (-sum(on_hand_delta))::bigint AS units
                 FROM stock_movements
                WHERE location_id = $1 AND kind = 'sale' AND created_at >= $2
                GROUP BY variant_id)
           SELECT v.id AS variant_id, v.sku, p.name AS product_name,
                  coalesce(s.on_hand - s.reserved, 0)::bigint AS "available!",
                  coalesce(s.reorder_point, 0) AS "reorder_point!", coalesce(s.target_level, 0) AS "target_level!",
                  coalesce(sales.units, 0) AS "sold!", coalesce(transit.units, 0) AS "in_transit!"
             FROM variants v
             JOIN products p ON p.id = v.product_id
             LEFT JOIN stock_levels s ON s.variant_id = v.id AND s.location_id = $1
             LEFT JOIN transit ON transit.variant_id = v.id
             LEFT JOIN sales ON sales.variant_id = v.id
            WHERE s.variant_id IS NOT NULL OR transit.variant_id IS NOT NULL
            ORDER BY v.sku"#,
        location_id,
        since
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Available units of some variants in the active warehouses other than
/// `except`, the fullest first for each variant.
pub async fn warehouse_stock(
    conn: &mut PgConnection,
    variant_ids: &[Uuid],
    except: Uuid,
) -> Result<Vec<(Uuid, Uuid, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT s.variant_id, s.location_id, (s.on_hand - s.reserved)::bigint AS "available!"
             FROM stock_levels s JOIN stores l ON l.id = s.location_id
            WHERE s.variant_id = ANY($1) AND l.kind = 'warehouse' AND l.active AND l.id <> $2
              AND s.on_hand > s.reserved
            ORDER BY s.variant_id, s.on_hand - s.reserved DESC, l.code"#,
        variant_ids,
        except
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.variant_id, r.location_id, r.available))
        .collect())
}
