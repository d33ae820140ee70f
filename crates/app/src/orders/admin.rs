//! Orders as the staff run them: the list with filters, moving an order
//! along its lifecycle (recording a bank transfer, shipping with tracking,
//! cancelling with its refund), and refunds in part or in full, with credit
//! notes and restocking. The caller has authorized the staff member; these
//! functions take who acts for the audit trail.

use comptoir_db::Optional;
use comptoir_db::PgConnection;
use comptoir_db::inventory as stock;
use comptoir_db::orders::{self as db, DocumentKind, Order};
use comptoir_db::payments::{self as payments_db, LedgerEntry, PaymentUpdate, Refund};
use comptoir_db::platform::audit::Actor;
use comptoir_domain::orders::OrderStatus;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Context;
use crate::error::{AppError, ErrorKind, FieldError};
use crate::orders::customer::{OrderList, cursor_of, order_not_found, parse_cursor};
use crate::orders::views::{OrderDetail, load_detail, load_view};
use crate::orders::{OrderEmail, cancel, payment_received, queue_email, return_to_stock, status_of};
use crate::payments::{AnyGateway, Gateway, GatewayError, RefundRequest, settle};
use crate::platform::{page_limit, paged};

/// The back office's order filters, as typed (each is checked here).
#[derive(Debug, Default)]
pub struct OrderFilter<'a> {
    pub status: Option<&'a str>,
    /// An order number (`CMD-2026-000123`) or part of an email.
    pub q: Option<&'a str>,
    /// Placed at or after (RFC 3339).
    pub from: Option<&'a str>,
    /// Placed before (RFC 3339).
    pub to: Option<&'a str>,
    /// 1 to 100; 50 by default.
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

fn parse_time(field: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<OffsetDateTime> {
    let raw = raw?;
    match OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        Ok(at) => Some(at),
        Err(_) => {
            errors.push(FieldError::new(
                field,
                "invalid",
                "an RFC 3339 time, such as 2026-12-01T00:00:00Z",
            ));
            None
        }
    }
}

/// Every order, newest first, by status, number or email, and time.
pub async fn list(ctx: &Context, query: &OrderFilter<'_>) -> Result<OrderList, AppError> {
    let mut errors = Vec::new();
    if let Some(status) = query.status
        && OrderStatus::parse(status).is_none()
    {
        errors.push(FieldError::new("status", "invalid", "an order status, such as paid"));
    }
    let from = parse_time("from", query.from, &mut errors);
    let to = parse_time("to", query.to, &mut errors);
    let q = query.q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        errors.push(FieldError::new("q", "too_long", "at most 100 characters"));
    }
    let limit = match page_limit(query.limit, 50) {
        Ok(limit) => limit,
        Err(err) => {
            errors.extend(err.field_errors().iter().cloned());
            50
        }
    };
    let after = match parse_cursor(query.cursor) {
        Ok(after) => after,
        Err(err) => {
            errors.extend(err.field_errors().iter().cloned());
            None
        }
    };
    AppError::unless_valid(errors)?;
    let mut conn = ctx.db.acquire().await?;
    let rows = db::list_orders(
        &mut conn,
        &db::OrderQuery {
            user_id: None,
            status: query.status,
            q,
            from,
            to,
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let (rows, next_cursor) = paged(rows, limit, cursor_of);
    let mut items = Vec::with_capacity(rows.len());
    for order in &rows {
        items.push(load_view(&mut conn, order, &ctx.cipher).await?);
    }
    Ok(OrderList { items, next_cursor })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// `paid` (a bank transfer received), `processing`, `shipped`,
    /// `delivered` or `cancelled`. Refunds go through `/refunds`.
    #[schema(pattern = "^(paid|processing|shipped|delivered|cancelled)$")]
    pub to: String,
    /// Up to 200 characters, as are the tracking number and the note.
    #[schema(max_length = 200)]
    pub carrier: Option<String>,
    #[schema(max_length = 200)]
    pub tracking_number: Option<String>,
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

fn invalid_transition(from: &str, to: &str) -> AppError {
    AppError::conflict(
        "order.invalid_transition",
        format!("An order that is {from} cannot become {to}."),
    )
}

/// Moves an order along its lifecycle, in the caller's transaction (an
/// idempotency key's). Recording a bank transfer is `to: paid`; shipping
/// takes the carrier and tracking number (emailed to the customer);
/// cancelling refunds what was paid and restocks. Refunds go through
/// [`refund`].
pub async fn transition(
    ctx: &Context,
    conn: &mut PgConnection,
    actor: Actor,
    id: Uuid,
    body: &TransitionRequest,
) -> Result<OrderDetail, AppError> {
    let Some(to) = OrderStatus::parse(&body.to) else {
        return Err(AppError::validation(vec![FieldError::new(
            "to",
            "invalid",
            "an order status",
        )]));
    };
    let mut errors = Vec::new();
    for (field, value) in [
        ("carrier", &body.carrier),
        ("tracking_number", &body.tracking_number),
        ("note", &body.note),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > 200 || v.chars().any(char::is_control))
        {
            errors.push(FieldError::new(field, "invalid", "at most 200 characters"));
        }
    }
    AppError::unless_valid(errors)?;
    let order = db::lock_order(conn, id).await.optional()?.ok_or_else(order_not_found)?;
    let from = status_of(&order)?;
    if !from.can_become(to) || matches!(to, OrderStatus::Refunded | OrderStatus::PartiallyRefunded) {
        return Err(invalid_transition(from.as_str(), to.as_str()));
    }
    let note = body.note.clone();
    let order = match to {
        OrderStatus::Paid => {
            // Only a bank transfer is recorded by hand; cards pay themselves.
            let payments = payments_db::payments_of_order(conn, order.id).await?;
            let Some(transfer) = payments.into_iter().find(|p| p.status == "awaiting_transfer") else {
                return Err(invalid_transition(from.as_str(), to.as_str()));
            };
            let updated = payments_db::update_payment(
                conn,
                transfer.id,
                &PaymentUpdate {
                    status: "succeeded",
                    gateway_reference: Some(&format!("transfer:{}", order.number)),
                    ..Default::default()
                },
            )
            .await?;
            payments_db::append_ledger(
                conn,
                &LedgerEntry {
                    payment_id: transfer.id,
                    order_id: order.id,
                    kind: "transfer_received",
                    amount_minor: transfer.amount_minor,
                    gateway_reference: None,
                    detail: json!({"note": note}),
                },
            )
            .await?;
            payment_received(conn, &order, &updated, actor).await?;
            db::get_order(conn, order.id).await?
        }
        OrderStatus::Cancelled => {
            let note = note.as_deref().unwrap_or("cancelled by the shop");
            cancel_with_refund(ctx, conn, &order, actor, note).await?
        }
        OrderStatus::Shipped => {
            db::set_tracking(
                conn,
                order.id,
                body.carrier.as_deref().map(str::trim),
                body.tracking_number.as_deref().map(str::trim),
            )
            .await?;
            let shipped = db::set_status(conn, &order, to.as_str(), actor, note.as_deref()).await?;
            queue_email(conn, &shipped, OrderEmail::Shipped).await?;
            shipped
        }
        _ => db::set_status(conn, &order, to.as_str(), actor, note.as_deref()).await?,
    };
    load_detail(conn, &order, &ctx.cipher).await
}

/// Cancels an order before it ships, refunding in full what was paid.
/// A payment still waiting for 3-D Secure is called off at its gateway
/// first, and what the gateway answers is applied (it may have gone
/// through meanwhile: the money is then refunded with the rest); a gateway
/// that does not answer leaves everything as it was (503).
pub async fn cancel_with_refund(
    ctx: &Context,
    conn: &mut PgConnection,
    order: &Order,
    actor: Actor,
    note: &str,
) -> Result<Order, AppError> {
    let status = status_of(order)?;
    if !status.can_become(OrderStatus::Cancelled) {
        return Err(invalid_transition(status.as_str(), "cancelled"));
    }
    for payment in payments_db::payments_of_order(conn, order.id).await? {
        match payment.status.as_str() {
            "requires_action" => {
                let gateway = AnyGateway::named(&ctx.gateways, &payment.gateway)?;
                let outcome = gateway.cancel(&payment).await.map_err(AppError::unavailable)?;
                settle(conn, payment.id, &outcome, actor).await?;
            }
            "awaiting_transfer" => {
                payments_db::update_payment(
                    conn,
                    payment.id,
                    &PaymentUpdate {
                        status: "cancelled",
                        ..Default::default()
                    },
                )
                .await?;
            }
            _ => {}
        }
    }
    let order = db::lock_order(conn, order.id).await?;
    let status = status_of(&order)?;
    if !status.can_become(OrderStatus::Cancelled) {
        return Err(invalid_transition(status.as_str(), "cancelled"));
    }
    let left = order.paid_minor - order.refunded_minor;
    if left > 0 {
        refund_money(
            ctx,
            conn,
            &order,
            left,
            &format!("cancel-{}-{left}", order.id),
            actor,
            note,
        )
        .await?;
    }
    let order = db::lock_order(conn, order.id).await?;
    cancel(conn, &order, actor, note).await
}

/// Gives `amount` back through the gateway of the order's successful
/// payment and records it: the refund with its credit note, the ledger
/// entry and the order's running total. Answers the refund.
async fn refund_money(
    ctx: &Context,
    conn: &mut PgConnection,
    order: &Order,
    amount: i64,
    key: &str,
    actor: Actor,
    reason: &str,
) -> Result<Refund, AppError> {
    let payment = payments_db::payments_of_order(conn, order.id)
        .await?
        .into_iter()
        .find(|p| p.status == "succeeded")
        .ok_or_else(|| AppError::conflict("refund.nothing_paid", "This order has no payment to refund."))?;
    let reference = match payment.gateway.as_str() {
        // A transfer is given back by transfer, outside Comptoir.
        "manual" => format!("manual:{key}"),
        _ => {
            let charge = payment
                .gateway_reference
                .as_deref()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment {} has no reference", payment.id)))?;
            let gateway = AnyGateway::named(&ctx.gateways, &payment.gateway)?;
            let gateway_key = format!("comptoir-refund-{}", hex::encode(Sha256::digest(key.as_bytes())));
            gateway
                .refund(&RefundRequest {
                    idempotency_key: &gateway_key,
                    charge_reference: charge,
                    amount_minor: amount,
                })
                .await
                .map_err(|err| match err {
                    GatewayError::Refused(message) => AppError::new(
                        ErrorKind::Upstream,
                        "payment.refund_refused",
                        format!("The payment gateway refused the refund: {message}"),
                    ),
                    GatewayError::Unknown(cause) => AppError::unavailable(anyhow::anyhow!(cause)),
                })?
        }
    };
    let credit_note = db::issue_document_number(conn, DocumentKind::CreditNote).await?;
    let refund = payments_db::insert_refund(
        conn,
        &Refund {
            id: Uuid::now_v7(),
            order_id: order.id,
            payment_id: payment.id,
            amount_minor: amount,
            reason: reason.to_owned(),
            restock: false,
            lines: json!([]),
            status: "succeeded".into(),
            gateway_reference: Some(reference.clone()),
            credit_note_number: Some(credit_note.clone()),
            actor_id: match actor {
                Actor::User(id) | Actor::ApiKey(id) => Some(id),
                _ => None,
            },
            created_at: OffsetDateTime::now_utc(),
        },
    )
    .await?;
    payments_db::add_payment_refunded(conn, payment.id, amount).await?;
    payments_db::append_ledger(
        conn,
        &LedgerEntry {
            payment_id: payment.id,
            order_id: order.id,
            kind: "refund",
            amount_minor: amount,
            gateway_reference: Some(&reference),
            detail: json!({"reason": reason, "credit_note": credit_note}),
        },
    )
    .await?;
    db::add_money(conn, order.id, 0, amount).await?;
    let after = db::get_order(conn, order.id).await?;
    queue_email(
        conn,
        &after,
        OrderEmail::Refunded {
            amount_minor: amount,
            credit_note: &credit_note,
        },
    )
    .await?;
    Ok(refund)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundLine {
    pub line_id: Uuid,
    #[schema(minimum = 1)]
    pub quantity: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequestBody {
    /// Lines given back: each refunded at its unit price.
    pub lines: Option<Vec<RefundLine>>,
    /// Or an amount (a gesture, shipping): exclusive with `lines`.
    #[schema(minimum = 1)]
    pub amount_minor: Option<i64>,
    /// Whether the returned units go back into stock (with `lines`).
    #[serde(default)]
    pub restock: bool,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub amount_minor: i64,
    pub reason: String,
    pub restock: bool,
    pub lines: Vec<RefundLine>,
    /// `AV-2026-000001`
    pub credit_note_number: Option<String>,
    pub gateway_reference: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefundResponse {
    pub refund: RefundView,
    pub order: OrderDetail,
}

/// Refunds an order in part (lines, or an amount) or in full, never more
/// than was paid, in the caller's transaction; `key` names the request (its
/// idempotency key) so that a retry never refunds twice at the gateway.
/// Returned units go back into stock with `restock`. The order becomes
/// `partially_refunded`, then `refunded` once all is given back. A credit
/// note is issued and the customer is told.
pub async fn refund(
    ctx: &Context,
    conn: &mut PgConnection,
    actor: Actor,
    id: Uuid,
    key: &str,
    body: &RefundRequestBody,
) -> Result<RefundResponse, AppError> {
    let mut errors = Vec::new();
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "reason",
            "invalid",
            "1 to 500 characters, no control characters",
        ));
    }
    match (&body.lines, body.amount_minor) {
        (Some(_), Some(_)) => errors.push(FieldError::new(
            "amount_minor",
            "exclusive",
            "give lines or an amount, not both",
        )),
        (None, Some(amount)) if amount <= 0 => {
            errors.push(FieldError::new("amount_minor", "out_of_range", "a positive amount"))
        }
        (Some(lines), None) if lines.is_empty() => errors.push(FieldError::new("lines", "empty", "at least one line")),
        _ => {}
    }
    if body.lines.is_none() && body.restock {
        errors.push(FieldError::new(
            "restock",
            "invalid",
            "restocking needs the lines given back",
        ));
    }
    AppError::unless_valid(errors)?;
    let order = db::lock_order(conn, id).await.optional()?.ok_or_else(order_not_found)?;
    let status = status_of(&order)?;
    if !status.is_paid() {
        return Err(invalid_transition(status.as_str(), "refunded"));
    }
    let left = order.paid_minor - order.refunded_minor;
    let order_lines = db::order_lines(conn, order.id).await?;
    let (amount, lines) = match (&body.lines, body.amount_minor) {
        (Some(asked), None) => {
            let mut errors = Vec::new();
            let mut amount: i64 = 0;
            for (i, line) in asked.iter().enumerate() {
                let Some(found) = order_lines.iter().find(|l| l.id == line.line_id) else {
                    errors.push(FieldError::new(
                        format!("lines[{i}].line_id"),
                        "not_found",
                        "not a line of this order",
                    ));
                    continue;
                };
                let wanted_before: i64 = asked[..i]
                    .iter()
                    .filter(|l| l.line_id == line.line_id)
                    .map(|l| i64::from(l.quantity))
                    .sum();
                if line.quantity <= 0
                    || i64::from(found.refunded_quantity) + wanted_before + i64::from(line.quantity)
                        > i64::from(found.quantity)
                {
                    errors.push(FieldError::new(
                        format!("lines[{i}].quantity"),
                        "out_of_range",
                        format!(
                            "1 to {} (the units not yet refunded)",
                            found.quantity - found.refunded_quantity
                        ),
                    ));
                    continue;
                }
                amount = amount.saturating_add(found.unit_price_minor.saturating_mul(i64::from(line.quantity)));
            }
            AppError::unless_valid(errors)?;
            (amount, asked.clone())
        }
        (None, Some(amount)) => (amount, Vec::new()),
        // Neither: the rest of what was paid.
        _ => (left, Vec::new()),
    };
    if amount > left || amount <= 0 {
        return Err(AppError::validation(vec![FieldError::new(
            "amount_minor",
            "exceeds_paid",
            format!("at most {left} (what was paid and not yet refunded)"),
        )])
        .with_code("refund.exceeds_paid"));
    }
    // The gateway's key stands for this refund of this amount: a retry of
    // the request refunds once, and another amount is another refund.
    let key_text = format!("refund-{}-{amount}-{key}", order.id);
    let mut refund = refund_money(ctx, conn, &order, amount, &key_text, actor, &reason).await?;
    // Returned units, back where they were sold from.
    let restock = body.restock;
    if !lines.is_empty() {
        let sold = stock::reservations_for(conn, order.id).await?;
        let mut returns: Vec<(Uuid, Uuid, i32)> = Vec::new();
        for line in &lines {
            db::add_refunded_quantity(conn, line.line_id, line.quantity).await?;
            let variant = order_lines
                .iter()
                .find(|l| l.id == line.line_id)
                .and_then(|l| l.variant_id);
            let location = variant.and_then(|variant_id| {
                sold.iter()
                    .find(|r| r.variant_id == variant_id && r.status == "committed")
                    .map(|r| r.location_id)
            });
            if let (true, Some(variant_id), Some(location_id)) = (restock, variant, location) {
                returns.push((variant_id, location_id, line.quantity));
            }
        }
        // Levels are locked in (variant, location) order, as every stock
        // change does, so a refund never deadlocks with a checkout.
        returns.sort();
        let note = format!("refund of order {}", order.number);
        for units in returns {
            return_to_stock(conn, &order, units, actor, &note).await?;
        }
    }
    refund.restock = restock;
    refund.lines = serde_json::to_value(&lines).map_err(AppError::internal)?;
    let after = db::get_order(conn, order.id).await?;
    let now = status_of(&after)?;
    let to = now.after_refund(after.refunded_minor >= after.paid_minor);
    let history_note = format!("refund of {}: {reason}", crate::documents::euros(amount));
    let after = if now == to {
        // The status stays; the history still says what happened.
        db::record_history(
            conn,
            after.id,
            Some(now.as_str()),
            now.as_str(),
            actor,
            Some(&history_note),
        )
        .await?;
        after
    } else {
        db::set_status(conn, &after, to.as_str(), actor, Some(&history_note)).await?
    };
    payments_db::set_refund_details(conn, refund.id, restock, &refund.lines).await?;
    let answer = RefundResponse {
        refund: RefundView {
            id: refund.id,
            amount_minor: refund.amount_minor,
            reason: refund.reason.clone(),
            restock,
            lines,
            credit_note_number: refund.credit_note_number.clone(),
            gateway_reference: refund.gateway_reference.clone(),
            created_at: refund.created_at,
        },
        order: load_detail(conn, &after, &ctx.cipher).await?,
    };
    Ok(answer)
}

/// The packing slip the warehouse prepares an order with: the PDF and its
/// file name.
pub async fn packing_slip(ctx: &Context, id: Uuid) -> Result<(Vec<u8>, String), AppError> {
    let mut conn = ctx.db.acquire().await?;
    let order = db::get_order(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(order_not_found)?;
    let lines = db::order_lines(&mut conn, order.id).await?;
    drop(conn);
    let address = crate::orders::views::unseal(&ctx.cipher, Some(&order.shipping_address_sealed));
    Ok((
        crate::documents::packing_slip_pdf(&order, &lines, address),
        format!("preparation-{}", order.number),
    ))
}
