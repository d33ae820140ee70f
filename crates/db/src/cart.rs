//! Carts and their lines, with what a cart needs to price itself: current
//! prices, tax classes and the stock that can ship.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Cart {
    pub id: Uuid,
    pub token_hash: Vec<u8>,
    pub user_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub async fn insert_cart(conn: &mut PgConnection, id: Uuid, token_hash: &[u8], user_id: Option<Uuid>) -> Result<Cart> {
    let row = sqlx::query_as!(
        Cart,
        r#"INSERT INTO carts (id, token_hash, user_id) VALUES ($1, $2, $3)
           RETURNING id, token_hash, user_id, created_at, updated_at"#,
        id,
        token_hash,
        user_id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// A cart, locked until the caller's transaction ends (changes to one cart
/// are applied one at a time).
pub async fn lock_cart(conn: &mut PgConnection, id: Uuid) -> Result<Cart> {
    let row = sqlx::query_as!(
        Cart,
        "SELECT id, token_hash, user_id, created_at, updated_at FROM carts WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn get_cart(conn: &mut PgConnection, id: Uuid) -> Result<Cart> {
    let row = sqlx::query_as!(
        Cart,
        "SELECT id, token_hash, user_id, created_at, updated_at FROM carts WHERE id = $1",
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn touch_cart(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("UPDATE carts SET updated_at = now() WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A line as the cart prices it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CartLine {
    pub item_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub options: Value,
    pub product_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    /// `active` unless the product left the catalog.
    pub product_status: String,
    pub tax_class: String,
    pub quantity: i32,
    pub weight_grams: i32,
    /// The price now, VAT included.
    pub price_minor: i64,
    pub price_at_add_minor: i64,
    /// Units that can ship now from the locations that serve online orders.
    pub available_online: i64,
}

/// The lines of a cart, in the order they were added.
pub async fn cart_lines(conn: &mut PgConnection, cart_id: Uuid) -> Result<Vec<CartLine>> {
    let rows = sqlx::query_as!(
        CartLine,
        r#"SELECT i.id AS item_id, i.variant_id, v.sku, v.options, p.id AS product_id, p.name AS product_name,
                  p.slug AS product_slug, p.status AS product_status, p.tax_class, i.quantity,
                  v.weight_grams, v.price_minor, i.price_at_add_minor,
                  coalesce((SELECT sum(greatest(s.on_hand - s.reserved, 0))
                              FROM stock_levels s JOIN stores l ON l.id = s.location_id
                             WHERE s.variant_id = v.id AND l.ships_online AND l.active), 0)::bigint
                      AS "available_online!"
             FROM cart_items i
             JOIN variants v ON v.id = i.variant_id
             JOIN products p ON p.id = v.product_id
            WHERE i.cart_id = $1
            ORDER BY i.created_at, i.id"#,
        cart_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Adds `quantity` of a variant: a new line, or more of the line it has.
/// Answers the line's new quantity.
pub async fn add_item(
    conn: &mut PgConnection,
    cart_id: Uuid,
    variant_id: Uuid,
    quantity: i32,
    price_minor: i64,
) -> Result<i32> {
    let total = sqlx::query_scalar!(
        r#"INSERT INTO cart_items (id, cart_id, variant_id, quantity, price_at_add_minor)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity
           RETURNING quantity"#,
        Uuid::now_v7(),
        cart_id,
        variant_id,
        quantity,
        price_minor
    )
    .fetch_one(conn)
    .await?;
    Ok(total)
}

/// The quantity of a line of the cart, if it has that line.
pub async fn item_quantity(conn: &mut PgConnection, cart_id: Uuid, item_id: Uuid) -> Result<Option<i32>> {
    let quantity = sqlx::query_scalar!(
        "SELECT quantity FROM cart_items WHERE cart_id = $1 AND id = $2",
        cart_id,
        item_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(quantity)
}

/// The quantity of a variant already in the cart (0 when none).
pub async fn variant_quantity(conn: &mut PgConnection, cart_id: Uuid, variant_id: Uuid) -> Result<i32> {
    let quantity = sqlx::query_scalar!(
        "SELECT quantity FROM cart_items WHERE cart_id = $1 AND variant_id = $2",
        cart_id,
        variant_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(quantity.unwrap_or(0))
}

pub async fn set_item_quantity(conn: &mut PgConnection, cart_id: Uuid, item_id: Uuid, quantity: i32) -> Result<()> {
    sqlx::query!(
        "UPDATE cart_items SET quantity = $3 WHERE cart_id = $1 AND id = $2",
        cart_id,
        item_id,
        quantity
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_item(conn: &mut PgConnection, cart_id: Uuid, item_id: Uuid) -> Result<()> {
    sqlx::query!(
        "DELETE FROM cart_items WHERE cart_id = $1 AND id = $2",
        cart_id,
        item_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The guest cart (no owner) whose token hashes to `token_hash`, locked.
pub async fn lock_guest_cart_by_token(conn: &mut PgConnection, token_hash: &[u8]) -> Result<Option<Cart>> {
    let row = sqlx::query_as!(
        Cart,
        r#"SELECT id, token_hash, user_id, created_at, updated_at FROM carts
            WHERE token_hash = $1 AND user_id IS NULL FOR UPDATE"#,
        token_hash
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// The account's most recently changed cart.
pub async fn latest_user_cart(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<Cart>> {
    let row = sqlx::query_as!(
        Cart,
        r#"SELECT id, token_hash, user_id, created_at, updated_at FROM carts
            WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// The account's most recently changed cart, locked, with the right to
/// open one: until the transaction ends, another caller waits here, so two
/// first adds at once (two tabs, a double click) fill one new cart rather
/// than open two, of which the shopper would only ever see the latest.
/// Call it in a transaction: outside one, the lock ends with the query.
pub async fn lock_latest_user_cart(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<Cart>> {
    sqlx::query!(
        r#"SELECT true AS "locked!"
             FROM pg_advisory_xact_lock(hashtextextended('carts' || chr(31) || $1::uuid::text, 0))"#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let row = sqlx::query_as!(
        Cart,
        r#"SELECT id, token_hash, user_id, created_at, updated_at FROM carts
            WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1 FOR UPDATE"#,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// Gives a guest cart to an account.
pub async fn adopt_cart(conn: &mut PgConnection, cart_id: Uuid, user_id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE carts SET user_id = $2, updated_at = now() WHERE id = $1",
        cart_id,
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets how many units of a variant the cart holds (a new line, or the
/// line it has).
pub async fn set_variant_quantity(
    conn: &mut PgConnection,
    cart_id: Uuid,
    variant_id: Uuid,
    quantity: i32,
    price_minor: i64,
) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO cart_items (id, cart_id, variant_id, quantity, price_at_add_minor)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = EXCLUDED.quantity"#,
        Uuid::now_v7(),
        cart_id,
        variant_id,
        quantity,
        price_minor
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_cart(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!("DELETE FROM carts WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
