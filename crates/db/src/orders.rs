//! Orders, their lines and history, order numbers, and gapless document
//! numbers (invoices, credit notes).

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::platform::audit::Actor;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Order {
    pub id: Uuid,
    pub number: String,
    pub user_id: Option<Uuid>,
    pub email: String,
    pub status: String,
    pub channel: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub vat_total_minor: i64,
    pub grand_total_minor: i64,
    pub vat: Value,
    pub paid_minor: i64,
    pub refunded_minor: i64,
    pub shipping_method_id: Option<Uuid>,
    pub shipping_option: String,
    pub shipping_name: String,
    pub pickup_location_id: Option<Uuid>,
    pub shipping_address_sealed: Vec<u8>,
    pub billing_address_sealed: Option<Vec<u8>>,
    pub payment_method: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub checkout_hash: Option<Vec<u8>>,
    pub guest_token_hash: Option<Vec<u8>>,
    pub payment_due_at: Option<OffsetDateTime>,
    pub invoice_number: Option<String>,
    pub invoiced_at: Option<OffsetDateTime>,
    pub placed_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i32,
}

/// An order to place; its number is drawn when it is inserted.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub email: String,
    pub status: &'static str,
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub vat_total_minor: i64,
    pub grand_total_minor: i64,
    pub vat: Value,
    pub shipping_method_id: Option<Uuid>,
    pub shipping_option: String,
    pub shipping_name: String,
    pub pickup_location_id: Option<Uuid>,
    pub shipping_address_sealed: Vec<u8>,
    pub billing_address_sealed: Option<Vec<u8>>,
    pub payment_method: &'static str,
    pub checkout_scope: Option<String>,
    pub checkout_key: Option<String>,
    pub checkout_hash: Option<Vec<u8>>,
    pub guest_token_hash: Option<Vec<u8>>,
    pub payment_due_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrderLine {
    pub id: Uuid,
    pub order_id: Uuid,
    pub position: i32,
    pub variant_id: Option<Uuid>,
    pub sku: String,
    pub product_name: String,
    pub options: Value,
    pub quantity: i32,
    pub unit_price_minor: i64,
    pub vat_rate: i32,
    pub line_total_minor: i64,
    pub vat_minor: i64,
    pub refunded_quantity: i32,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HistoryEntry {
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub note: Option<String>,
    pub created_at: OffsetDateTime,
}

pub const CHECKOUT_KEY_TAKEN: &str = "orders_checkout_key";

/// Inserts the order with the next number of the year it is placed in
/// (`CMD-2026-000123`). Numbers come from a sequence: they are unique and
/// increasing, and may skip (an order rolled back keeps its number).
pub async fn insert_order(conn: &mut PgConnection, new: &NewOrder) -> Result<Order> {
    let row = sqlx::query_as!(
        Order,
        r#"INSERT INTO orders (id, number, user_id, email, status, subtotal_minor, shipping_minor, vat_total_minor,
                               grand_total_minor, vat, shipping_method_id, shipping_option, shipping_name,
                               pickup_location_id, shipping_address_sealed, billing_address_sealed, payment_method,
                               checkout_scope, checkout_key, checkout_hash, guest_token_hash, payment_due_at)
           VALUES ($1, 'CMD-' || to_char(now() AT TIME ZONE 'Europe/Paris', 'YYYY') || '-'
                       || lpad(nextval('order_number_seq')::text, 6, '0'),
                   $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
           RETURNING id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                     vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                     shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                     billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                     guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version"#,
        new.id,
        new.user_id,
        new.email,
        new.status,
        new.subtotal_minor,
        new.shipping_minor,
        new.vat_total_minor,
        new.grand_total_minor,
        new.vat,
        new.shipping_method_id,
        new.shipping_option,
        new.shipping_name,
        new.pickup_location_id,
        new.shipping_address_sealed,
        new.billing_address_sealed,
        new.payment_method,
        new.checkout_scope,
        new.checkout_key,
        new.checkout_hash,
        new.guest_token_hash,
        new.payment_due_at,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn insert_line(conn: &mut PgConnection, line: &OrderLine) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO order_lines (id, order_id, position, variant_id, sku, product_name, options, quantity,
                                    unit_price_minor, vat_rate, line_total_minor, vat_minor)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"#,
        line.id,
        line.order_id,
        line.position,
        line.variant_id,
        line.sku,
        line.product_name,
        line.options,
        line.quantity,
        line.unit_price_minor,
        line.vat_rate,
        line.line_total_minor,
        line.vat_minor,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_order(conn: &mut PgConnection, id: Uuid) -> Result<Order> {
    let row = sqlx::query_as!(
        Order,
        r#"SELECT id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                  vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                  shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                  billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                  guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version
             FROM orders WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn lock_order(conn: &mut PgConnection, id: Uuid) -> Result<Order> {
    let row = sqlx::query_as!(
        Order,
        r#"SELECT id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                  vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                  shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                  billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                  guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version
             FROM orders WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// The order a checkout request placed, if it got that far.
pub async fn find_by_checkout_key(conn: &mut PgConnection, scope: &str, key: &str) -> Result<Option<Order>> {
    let row = sqlx::query_as!(
        Order,
        r#"SELECT id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                  vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                  shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                  billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                  guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version
             FROM orders WHERE checkout_scope = $1 AND checkout_key = $2"#,
        scope,
        key
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// An unpaid order whose time to pay is up, locked, skipping the ones
/// another worker holds and those in `skip` (left for a later sweep).
pub async fn lock_one_overdue(conn: &mut PgConnection, skip: &[Uuid]) -> Result<Option<Order>> {
    let row = sqlx::query_as!(
        Order,
        r#"SELECT id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                  vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                  shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                  billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                  guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version
             FROM orders WHERE status IN ('pending_payment', 'awaiting_payment') AND payment_due_at < now()
               AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.status = 'processing')
               AND id <> ALL($1)
             ORDER BY payment_due_at LIMIT 1 FOR UPDATE SKIP LOCKED"#,
        skip
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn order_lines(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<OrderLine>> {
    let rows = sqlx::query_as!(
        OrderLine,
        r#"SELECT id, order_id, position, variant_id, sku, product_name, options, quantity, unit_price_minor,
                  vat_rate, line_total_minor, vat_minor, refunded_quantity
             FROM order_lines WHERE order_id = $1 ORDER BY position"#,
        order_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

pub async fn history(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<HistoryEntry>> {
    let rows = sqlx::query_as!(
        HistoryEntry,
        r#"SELECT from_status, to_status, actor_kind, actor_id, note, created_at
             FROM order_history WHERE order_id = $1 ORDER BY created_at, id"#,
        order_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Records a status in the order's history (the first one has no `from`).
pub async fn record_history(
    conn: &mut PgConnection,
    order_id: Uuid,
    from: Option<&str>,
    to: &str,
    actor: Actor,
    note: Option<&str>,
) -> Result<()> {
    let (actor_kind, actor_id) = actor.parts();
    sqlx::query!(
        r#"INSERT INTO order_history (id, order_id, from_status, to_status, actor_kind, actor_id, note)
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        Uuid::now_v7(),
        order_id,
        from,
        to,
        actor_kind,
        actor_id,
        note,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a locked order to `to` and records it; the caller checked that the
/// move is allowed.
pub async fn set_status(
    conn: &mut PgConnection,
    order: &Order,
    to: &str,
    actor: Actor,
    note: Option<&str>,
) -> Result<Order> {
    let row = sqlx::query_as!(
        Order,
        r#"UPDATE orders SET status = $2, updated_at = now(), version = version + 1 WHERE id = $1
           RETURNING id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                     vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                     shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                     billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                     guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version"#,
        order.id,
        to,
    )
    .fetch_one(&mut *conn)
    .await?;
    record_history(conn, order.id, Some(&order.status), to, actor, note).await?;
    Ok(row)
}

/// Who carries the parcel, and its tracking number.
pub async fn set_tracking(
    conn: &mut PgConnection,
    order_id: Uuid,
    carrier: Option<&str>,
    tracking_number: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE orders SET carrier = coalesce($2, carrier), tracking_number = coalesce($3, tracking_number) WHERE id = $1",
        order_id,
        carrier,
        tracking_number
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds money received (`paid`) or given back (`refunded`) to the order's
/// running totals; the table's checks refuse more than was paid.
pub async fn add_money(conn: &mut PgConnection, order_id: Uuid, paid_minor: i64, refunded_minor: i64) -> Result<()> {
    sqlx::query!(
        r#"UPDATE orders SET paid_minor = paid_minor + $2, refunded_minor = refunded_minor + $3, updated_at = now()
            WHERE id = $1"#,
        order_id,
        paid_minor,
        refunded_minor
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_refunded_quantity(conn: &mut PgConnection, line_id: Uuid, quantity: i32) -> Result<()> {
    sqlx::query!(
        "UPDATE order_lines SET refunded_quantity = refunded_quantity + $2 WHERE id = $1",
        line_id,
        quantity
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A kind of numbered document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Invoice,
    CreditNote,
}

impl DocumentKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Invoice => "FA",
            Self::CreditNote => "AV",
        }
    }
}

/// The next number of its kind for the current year in Paris
/// (`FA-2026-000001`, `AV-2026-000001`). The counter row stays locked until
/// the caller's transaction ends, and a rollback gives the number back: the
/// numbers of a year have no gaps.
pub async fn issue_document_number(conn: &mut PgConnection, kind: DocumentKind) -> Result<String> {
    let row = sqlx::query!(
        r#"INSERT INTO document_counters (kind, year, last)
           VALUES ($1, extract(year FROM now() AT TIME ZONE 'Europe/Paris')::int, 1)
           ON CONFLICT (kind, year) DO UPDATE SET last = document_counters.last + 1
           RETURNING year, last"#,
        kind.as_str()
    )
    .fetch_one(conn)
    .await?;
    Ok(format!("{}-{}-{:06}", kind.prefix(), row.year, row.last))
}

pub async fn set_invoice_number(conn: &mut PgConnection, order_id: Uuid, number: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE orders SET invoice_number = $2, invoiced_at = now() WHERE id = $1 AND invoice_number IS NULL",
        order_id,
        number
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// From the browser (or client) that placed them: the guest orders placed
/// with this cart token under the account's email become the account's,
/// once the account has confirmed that email. All three must hold, so a
/// shared browser does not hand one shopper's orders to the next, nor to
/// someone who signs up with their address. The token stops opening them.
/// Answers the orders claimed.
pub async fn claim_guest_orders(conn: &mut PgConnection, user_id: Uuid, token_hash: &[u8]) -> Result<Vec<Uuid>> {
    let ids = sqlx::query_scalar!(
        r#"UPDATE orders SET user_id = $1, guest_token_hash = NULL, updated_at = now(), version = version + 1
            WHERE user_id IS NULL AND guest_token_hash = $2
              AND lower(email) = (SELECT lower(email) FROM users
                                   WHERE id = $1 AND email_verified_at IS NOT NULL)
        RETURNING id"#,
        user_id,
        token_hash
    )
    .fetch_all(conn)
    .await?;
    Ok(ids)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery<'a> {
    pub user_id: Option<Uuid>,
    pub status: Option<&'a str>,
    /// An order number, or (part of) an email.
    pub q: Option<&'a str>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Keyset: orders placed before this one.
    pub after: Option<(OffsetDateTime, Uuid)>,
    pub limit: i64,
}

/// Orders, newest first.
pub async fn list_orders(conn: &mut PgConnection, query: &OrderQuery<'_>) -> Result<Vec<Order>> {
    let (after_at, after_id) = query.after.unzip();
    let pattern = query.q.map(|q| {
        format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let rows = sqlx::query_as!(
        Order,
        r#"SELECT id, number, user_id, email, status, channel, currency, subtotal_minor, shipping_minor,
                  vat_total_minor, grand_total_minor, vat, paid_minor, refunded_minor, shipping_method_id,
                  shipping_option, shipping_name, pickup_location_id, shipping_address_sealed,
                  billing_address_sealed, payment_method, carrier, tracking_number, checkout_hash,
                  guest_token_hash, payment_due_at, invoice_number, invoiced_at, placed_at, updated_at, version
             FROM orders WHERE ($1::uuid IS NULL OR user_id = $1)
               AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR number = upper($4) OR lower(email) LIKE $3)
               AND ($5::timestamptz IS NULL OR placed_at >= $5)
               AND ($6::timestamptz IS NULL OR placed_at < $6)
               AND ($7::timestamptz IS NULL OR (placed_at, id) < ($7, $8))
             ORDER BY placed_at DESC, id DESC
             LIMIT $9"#,
        query.user_id,
        query.status,
        pattern,
        query.q,
        query.from,
        query.to,
        after_at,
        after_id,
        query.limit,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
