//! Payments, the money ledger, refunds, handled webhook events, and the
//! books of the built-in test gateway.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Payment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub gateway: String,
    pub method: String,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub idempotency_key: String,
    pub token: Option<String>,
    pub gateway_reference: Option<String>,
    pub next_action: Option<Value>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub refunded_minor: i64,
    /// Sent to the gateway with the charge (repeated as it was on a retry).
    pub description: String,
    /// `scope:Idempotency-Key` of the request that made this attempt.
    pub attempt_key: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A payment attempt to record.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub order_id: Uuid,
    pub gateway: &'a str,
    pub method: &'a str,
    pub status: &'a str,
    pub amount_minor: i64,
    pub token: Option<&'a str>,
    pub description: &'a str,
    pub attempt_key: Option<&'a str>,
}

pub async fn insert_payment(conn: &mut PgConnection, new: &NewPayment<'_>) -> Result<Payment> {
    let id = Uuid::now_v7();
    let row = sqlx::query_as!(
        Payment,
        r#"INSERT INTO payments (id, order_id, gateway, method, status, amount_minor, idempotency_key, token,
                                 description, attempt_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           RETURNING id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                     gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                     description, attempt_key, created_at, updated_at"#,
        id,
        new.order_id,
        new.gateway,
        new.method,
        new.status,
        new.amount_minor,
        format!("comptoir-pay-{id}"),
        new.token,
        new.description,
        new.attempt_key,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// The attempt a request made, if it got that far.
pub async fn find_by_attempt_key(conn: &mut PgConnection, attempt_key: &str) -> Result<Option<Payment>> {
    let row = sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                  gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                  description, attempt_key, created_at, updated_at
             FROM payments WHERE attempt_key = $1"#,
        attempt_key
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn get_payment(conn: &mut PgConnection, id: Uuid) -> Result<Payment> {
    let row = sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                  gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                  description, attempt_key, created_at, updated_at
             FROM payments WHERE id = $1"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn lock_payment(conn: &mut PgConnection, id: Uuid) -> Result<Payment> {
    let row = sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                  gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                  description, attempt_key, created_at, updated_at
             FROM payments WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// The payment a gateway knows by this reference.
pub async fn find_by_reference(conn: &mut PgConnection, gateway: &str, reference: &str) -> Result<Option<Payment>> {
    let row = sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                  gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                  description, attempt_key, created_at, updated_at
             FROM payments WHERE gateway = $1 AND gateway_reference = $2
            ORDER BY created_at DESC LIMIT 1"#,
        gateway,
        reference
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// An order's payment attempts, oldest first.
pub async fn payments_of_order(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<Payment>> {
    let rows = sqlx::query_as!(
        Payment,
        r#"SELECT id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                  gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                  description, attempt_key, created_at, updated_at
             FROM payments WHERE order_id = $1 ORDER BY created_at, id"#,
        order_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// What a gateway said about a payment.
#[derive(Debug, Clone, Default)]
pub struct PaymentUpdate<'a> {
    pub status: &'a str,
    pub gateway_reference: Option<&'a str>,
    pub next_action: Option<Value>,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
}

pub async fn update_payment(conn: &mut PgConnection, id: Uuid, update: &PaymentUpdate<'_>) -> Result<Payment> {
    let row = sqlx::query_as!(
        Payment,
        r#"UPDATE payments
              SET status = $2, gateway_reference = coalesce($3, gateway_reference), next_action = $4,
                  failure_code = $5, failure_message = $6, updated_at = now()
            WHERE id = $1
           RETURNING id, order_id, gateway, method, status, amount_minor, currency, idempotency_key, token,
                     gateway_reference, next_action, failure_code, failure_message, refunded_minor,
                     description, attempt_key, created_at, updated_at"#,
        id,
        update.status,
        update.gateway_reference,
        update.next_action,
        update.failure_code,
        update.failure_message,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn add_payment_refunded(conn: &mut PgConnection, id: Uuid, amount_minor: i64) -> Result<()> {
    sqlx::query!(
        "UPDATE payments SET refunded_minor = refunded_minor + $2, updated_at = now() WHERE id = $1",
        id,
        amount_minor
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Payments whose outcome is unknown (`processing`) or waiting for the
/// customer (`requires_action`) since before `before`, oldest first.
pub async fn unsettled_before(conn: &mut PgConnection, before: OffsetDateTime, limit: i64) -> Result<Vec<Uuid>> {
    let rows = sqlx::query_scalar!(
        r#"SELECT id FROM payments
            WHERE status IN ('processing', 'requires_action') AND updated_at < $1
            ORDER BY updated_at LIMIT $2"#,
        before,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// One ledger entry.
#[derive(Debug, Clone)]
pub struct LedgerEntry<'a> {
    pub payment_id: Uuid,
    pub order_id: Uuid,
    /// `authorization`, `capture`, `failure`, `action_required`,
    /// `cancellation`, `refund` or `transfer_received`.
    pub kind: &'a str,
    pub amount_minor: i64,
    pub gateway_reference: Option<&'a str>,
    pub detail: Value,
}

pub async fn append_ledger(conn: &mut PgConnection, entry: &LedgerEntry<'_>) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO payment_ledger (id, payment_id, order_id, kind, amount_minor, gateway_reference, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        Uuid::now_v7(),
        entry.payment_id,
        entry.order_id,
        entry.kind,
        entry.amount_minor,
        entry.gateway_reference,
        entry.detail,
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub kind: String,
    pub amount_minor: i64,
    pub gateway_reference: Option<String>,
    pub detail: Value,
    pub created_at: OffsetDateTime,
}

pub async fn ledger_of_order(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<LedgerRow>> {
    let rows = sqlx::query_as!(
        LedgerRow,
        r#"SELECT id, payment_id, kind, amount_minor, gateway_reference, detail, created_at
             FROM payment_ledger WHERE order_id = $1 ORDER BY created_at, id"#,
        order_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Notes a webhook event as handled; `false` when it already was (the
/// caller then does nothing). Call it in the transaction of the effect.
pub async fn record_webhook_event(
    conn: &mut PgConnection,
    gateway: &str,
    event_id: &str,
    event_type: &str,
) -> Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO webhook_events (gateway, event_id, event_type) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING"#,
        gateway,
        event_id,
        event_type
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Refund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub reason: String,
    pub restock: bool,
    pub lines: Value,
    pub status: String,
    pub gateway_reference: Option<String>,
    pub credit_note_number: Option<String>,
    pub actor_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

pub async fn insert_refund(conn: &mut PgConnection, refund: &Refund) -> Result<Refund> {
    let row = sqlx::query_as!(
        Refund,
        r#"INSERT INTO refunds (id, order_id, payment_id, amount_minor, reason, restock, lines, status,
                                gateway_reference, credit_note_number, actor_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           RETURNING id, order_id, payment_id, amount_minor, reason, restock, lines, status, gateway_reference,
                     credit_note_number, actor_id, created_at"#,
        refund.id,
        refund.order_id,
        refund.payment_id,
        refund.amount_minor,
        refund.reason,
        refund.restock,
        refund.lines,
        refund.status,
        refund.gateway_reference,
        refund.credit_note_number,
        refund.actor_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn refunds_of_order(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<Refund>> {
    let rows = sqlx::query_as!(
        Refund,
        r#"SELECT id, order_id, payment_id, amount_minor, reason, restock, lines, status, gateway_reference,
                  credit_note_number, actor_id, created_at
             FROM refunds WHERE order_id = $1 ORDER BY created_at, id"#,
        order_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

// ------------------------------------------------------------ the test gateway's books

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TestCharge {
    pub id: String,
    pub idempotency_key: String,
    pub token: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: String,
    pub refunded_minor: i64,
    pub created_at: OffsetDateTime,
}

/// Records a charge unless one exists under this key; answers the charge
/// the key stands for (the new one, or the one made before).
pub async fn test_charge(
    conn: &mut PgConnection,
    idempotency_key: &str,
    token: &str,
    amount_minor: i64,
    currency: &str,
    status: &str,
) -> Result<TestCharge> {
    sqlx::query!(
        r#"INSERT INTO test_gateway_charges (id, idempotency_key, token, amount_minor, currency, status)
           VALUES ('ch_test_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, $3, $4, $5)
           ON CONFLICT (idempotency_key) DO NOTHING"#,
        idempotency_key,
        token,
        amount_minor,
        currency,
        status
    )
    .execute(&mut *conn)
    .await?;
    let row = test_charge_by_key(conn, idempotency_key).await?;
    row.ok_or(crate::Error::NotFound)
}

pub async fn test_charge_by_key(conn: &mut PgConnection, idempotency_key: &str) -> Result<Option<TestCharge>> {
    let row = sqlx::query_as!(
        TestCharge,
        r#"SELECT id, idempotency_key, token, amount_minor, currency, status, refunded_minor, created_at
             FROM test_gateway_charges WHERE idempotency_key = $1"#,
        idempotency_key
    )
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

pub async fn lock_test_charge(conn: &mut PgConnection, id: &str) -> Result<TestCharge> {
    let row = sqlx::query_as!(
        TestCharge,
        r#"SELECT id, idempotency_key, token, amount_minor, currency, status, refunded_minor, created_at
             FROM test_gateway_charges WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

pub async fn set_test_charge_status(conn: &mut PgConnection, id: &str, status: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE test_gateway_charges SET status = $2, updated_at = now() WHERE id = $1",
        id,
        status
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Refunds part of a charge once per key; answers the refund's id, or
/// `None` when the charge has less left than asked.
pub async fn test_refund(
    conn: &mut PgConnection,
    idempotency_key: &str,
    charge_id: &str,
    amount_minor: i64,
) -> Result<Option<String>> {
    if let Some(id) = sqlx::query_scalar!(
        "SELECT id FROM test_gateway_refunds WHERE idempotency_key = $1",
        idempotency_key
    )
    .fetch_optional(&mut *conn)
    .await?
    {
        return Ok(Some(id));
    }
    let charged = sqlx::query!(
        r#"UPDATE test_gateway_charges SET refunded_minor = refunded_minor + $2, updated_at = now()
            WHERE id = $1 AND status = 'succeeded' AND refunded_minor + $2 <= amount_minor
           RETURNING id"#,
        charge_id,
        amount_minor
    )
    .fetch_optional(&mut *conn)
    .await?;
    if charged.is_none() {
        return Ok(None);
    }
    let id = sqlx::query_scalar!(
        r#"INSERT INTO test_gateway_refunds (id, idempotency_key, charge_id, amount_minor)
           VALUES ('re_test_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, $3)
           RETURNING id"#,
        idempotency_key,
        charge_id,
        amount_minor
    )
    .fetch_one(conn)
    .await?;
    Ok(Some(id))
}

pub async fn set_refund_details(conn: &mut PgConnection, id: Uuid, restock: bool, lines: &Value) -> Result<()> {
    sqlx::query!(
        "UPDATE refunds SET restock = $2, lines = $3 WHERE id = $1",
        id,
        restock,
        lines
    )
    .execute(conn)
    .await?;
    Ok(())
}
