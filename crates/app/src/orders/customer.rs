//! What an order's customer may do with it: read it (its owner, the guest
//! holding its cart's token, the staff) and pay again after a declined card.

use comptoir_db::orders::{self as db, Order};
use comptoir_db::payments as payments_db;
use comptoir_db::platform::audit::Actor;
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::identity::ApiScope;
use comptoir_domain::orders::OrderStatus;
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::status_of;
use super::views::{OrderDetail, OrderView, PaymentView, load_detail, load_view};
use crate::Context;
use crate::cart::Shopper;
use crate::checkout::{PaymentMethodInput, payment_for, token_error};
use crate::error::{AppError, FieldError};
use crate::identity::Principal;
use crate::identity::tokens::secret_hash;
use comptoir_domain::platform::IdempotencyKey;

use crate::platform::idempotency::{
    CallerScope, IdempotencySession, KeyedRequest, StoredAnswer, key_reused, request_hash,
};

pub fn order_not_found() -> AppError {
    AppError::not_found("order.not_found", "No such order.")
}

/// Who may see an order: its owner, the guest holding the token of the
/// cart it came from, and the staff (administrators, `orders:read` keys).
/// Anyone else gets 404, as for an order that does not exist.
pub fn check_reader(order: &Order, principal: Option<&Principal>, shopper: &Shopper) -> Result<(), AppError> {
    if let Some(principal) = principal {
        if principal.require_scope(ApiScope::OrdersRead).is_ok() {
            return Ok(());
        }
        if let (Principal::User(user), Some(owner)) = (principal, order.user_id)
            && user.id == owner
        {
            return Ok(());
        }
    }
    check_guest(order, shopper)
}

/// The order's own customer (not the staff): its owner, or the guest with
/// the cart's token.
pub fn check_customer(order: &Order, shopper: &Shopper) -> Result<(), AppError> {
    if shopper.user_id.is_some() && shopper.user_id == order.user_id {
        return Ok(());
    }
    check_guest(order, shopper)
}

fn check_guest(order: &Order, shopper: &Shopper) -> Result<(), AppError> {
    let sent = shopper.cart_token.as_deref().unwrap_or_default();
    match &order.guest_token_hash {
        Some(hash) if !sent.is_empty() && secret_hash(sent) == *hash => Ok(()),
        _ => Err(order_not_found()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub payment_method: PaymentMethodInput,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PayResponse {
    pub order: OrderView,
    pub payment: PaymentView,
}

/// The order, if this caller may read it ([`check_reader`]).
async fn readable(
    conn: &mut comptoir_db::PgConnection,
    principal: Option<&Principal>,
    shopper: &Shopper,
    id: Uuid,
) -> Result<Order, AppError> {
    let order = db::get_order(conn, id).await.optional()?.ok_or_else(order_not_found)?;
    check_reader(&order, principal, shopper)?;
    Ok(order)
}

/// One order with its lines, payments and history, for whoever may read
/// it ([`check_reader`]); anyone else is told there is no such order.
pub async fn read_order(
    ctx: &Context,
    principal: Option<&Principal>,
    shopper: &Shopper,
    id: Uuid,
) -> Result<OrderDetail, AppError> {
    let mut conn = ctx.db.acquire().await?;
    let order = readable(&mut conn, principal, shopper, id).await?;
    load_detail(&mut conn, &order, &ctx.cipher).await
}

/// The operation paying an order again belongs to (the API's route, which
/// the shop's order page shares), and what a key stands for when the
/// request is not read from HTTP.
pub fn pay_again_request(
    scope: CallerScope,
    key: IdempotencyKey,
    order_id: Uuid,
    request: &PayRequest,
) -> Result<KeyedRequest, AppError> {
    let body = serde_json::to_vec(request).map_err(AppError::internal)?;
    Ok(KeyedRequest {
        scope,
        operation: "POST /api/v1/orders/{id}/payments".to_owned(),
        request_hash: request_hash(&format!("/api/v1/orders/{order_id}/payments"), &body),
        key,
    })
}

/// Pays an order again by card after a declined card, before its stock is
/// released, once per key. As at checkout, the gateway is called after the
/// attempt is committed, and an unknown outcome stores nothing: a retry
/// with the key asks the gateway again with the attempt's own key.
pub async fn pay_again(
    ctx: &Context,
    shopper: &Shopper,
    order_id: Uuid,
    key: IdempotencySession,
    request: PayRequest,
) -> Result<PayResponse, AppError> {
    let PaymentMethodInput::Card { token } = request.payment_method.clone() else {
        return Err(AppError::validation(vec![FieldError::new(
            "payment_method",
            "invalid",
            "an order placed for card payment is paid again by card",
        )]));
    };
    if let Some(error) = token_error(&token) {
        return Err(AppError::validation(vec![error]));
    }
    // Run to the end even if the caller goes away: a charge that was made
    // must be recorded.
    let (ctx, shopper) = (ctx.clone(), shopper.clone());
    tokio::spawn(async move { pay(ctx, shopper, order_id, key, request.payment_method, token).await })
        .await
        .map_err(AppError::internal)?
}

async fn pay(
    state: Context,
    shopper: Shopper,
    id: Uuid,
    mut request: IdempotencySession,
    method: PaymentMethodInput,
    token: String,
) -> Result<PayResponse, AppError> {
    let attempt_key = request.request().key_text();
    // The attempt this request made before (its answer was lost), or a new one,
    // recorded and committed before the gateway is called so the order's
    // lock is not held while the bank answers.
    let payment = match payments_db::find_by_attempt_key(request.conn(), &attempt_key).await? {
        Some(payment) if payment.order_id == id => {
            // A retry of this attempt: still only for the order's customer.
            let order = db::get_order(request.conn(), id)
                .await
                .optional()?
                .ok_or_else(order_not_found)?;
            check_customer(&order, &shopper)?;
            payment
        }
        Some(_) => return Err(key_reused()),
        None => {
            let mut tx = request.conn().begin().await.map_err(comptoir_db::Error::from)?;
            let order = db::lock_order(&mut tx, id)
                .await
                .optional()?
                .ok_or_else(order_not_found)?;
            check_customer(&order, &shopper)?;
            let payments = payments_db::payments_of_order(&mut tx, order.id).await?;
            let busy = payments
                .iter()
                .any(|p| matches!(p.status.as_str(), "processing" | "requires_action" | "succeeded"));
            if status_of(&order)? != OrderStatus::PendingPayment || busy {
                return Err(AppError::conflict(
                    "order.not_payable",
                    "This order cannot take a payment now: it is paid, cancelled, or a payment is under way.",
                ));
            }
            let payment = payment_for(&state, &mut tx, &order, &method, Some(&attempt_key)).await?;
            tx.commit().await.map_err(comptoir_db::Error::from)?;
            payment
        }
    };
    let payment = if payment.status == "processing" {
        crate::payments::run_charge(&state, request.conn(), &payment, &token).await?
    } else {
        payment
    };
    let order = db::get_order(request.conn(), id).await?;
    let body = PayResponse {
        order: load_view(request.conn(), &order, &state.cipher).await?,
        payment: PaymentView::new(&payment),
    };
    if payment.status == "processing" {
        request.release().await;
        return Ok(body);
    }
    request.complete(&StoredAnswer::created(&body)?).await?;
    Ok(body)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

pub fn cursor_of(order: &Order) -> String {
    format!("{}_{}", order.placed_at.unix_timestamp_nanos(), order.id)
}

pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<(OffsetDateTime, Uuid)>, AppError> {
    let Some(cursor) = cursor else { return Ok(None) };
    let bad = || {
        AppError::validation(vec![FieldError::new(
            "cursor",
            "invalid",
            "use the next_cursor of a previous page",
        )])
    };
    let (nanos, id) = cursor.split_once('_').ok_or_else(bad)?;
    let at = nanos
        .parse::<i128>()
        .ok()
        .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
        .ok_or_else(bad)?;
    let id = id.parse().map_err(|_| bad())?;
    Ok(Some((at, id)))
}

/// The account's orders, newest first, `limit` a page, after `cursor`
/// (the `next_cursor` of the page before).
pub async fn list_mine(ctx: &Context, user_id: Uuid, limit: i64, cursor: Option<&str>) -> Result<OrderList, AppError> {
    let after = parse_cursor(cursor)?;
    let mut conn = ctx.db.acquire().await?;
    let rows = db::list_orders(
        &mut conn,
        &db::OrderQuery {
            user_id: Some(user_id),
            after,
            limit: limit + 1,
            ..Default::default()
        },
    )
    .await?;
    let (rows, next_cursor) = crate::platform::paged(rows, limit, cursor_of);
    let mut items = Vec::with_capacity(rows.len());
    for order in &rows {
        items.push(load_view(&mut conn, order, &ctx.cipher).await?);
    }
    Ok(OrderList { items, next_cursor })
}

/// The invoice of a paid order, for whoever may read the order; an order
/// not paid yet has none (`order.not_invoiced`).
pub async fn invoice(
    ctx: &Context,
    principal: Option<&Principal>,
    shopper: &Shopper,
    id: Uuid,
) -> Result<crate::documents::Statement, AppError> {
    let mut conn = ctx.db.acquire().await?;
    let order = readable(&mut conn, principal, shopper, id).await?;
    let lines = db::order_lines(&mut conn, order.id).await?;
    drop(conn);
    let billing = super::views::unseal(&ctx.cipher, order.billing_address_sealed.as_deref())
        .or_else(|| super::views::unseal(&ctx.cipher, Some(&order.shipping_address_sealed)));
    crate::documents::invoice_of(&ctx.config, &order, &lines, billing).ok_or_else(|| {
        AppError::not_found(
            "order.not_invoiced",
            "This order is not invoiced yet: it is invoiced when paid.",
        )
    })
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why, in the customer's words: at most 500 characters.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// The customer cancels their order before it ships, in the caller's
/// transaction (an idempotency key's): its stock comes back and what was
/// paid is refunded in full.
pub async fn cancel(
    ctx: &Context,
    conn: &mut PgConnection,
    shopper: &Shopper,
    id: Uuid,
    request: &CancelRequest,
) -> Result<OrderDetail, AppError> {
    // Checked before anything is locked or refunded.
    let note = match request.reason.as_deref().map(str::trim) {
        Some(reason) if reason.chars().count() > 500 || reason.chars().any(char::is_control) => {
            return Err(AppError::validation(vec![FieldError::new(
                "reason",
                "invalid",
                "at most 500 characters, no control characters",
            )]));
        }
        Some(reason) if !reason.is_empty() => reason.to_owned(),
        _ => "cancelled by the customer".to_owned(),
    };
    let order = db::lock_order(conn, id).await.optional()?.ok_or_else(order_not_found)?;
    check_customer(&order, shopper)?;
    let actor = match shopper.user_id {
        Some(user_id) => Actor::User(user_id),
        None => Actor::Anonymous,
    };
    let cancelled = super::admin::cancel_with_refund(ctx, conn, &order, actor, &note).await?;
    load_detail(conn, &cancelled, &ctx.cipher).await
}

/// A credit note of the order (one per refund), for the order's owner and
/// the staff.
pub async fn credit_note(
    ctx: &Context,
    principal: Option<&Principal>,
    shopper: &Shopper,
    id: Uuid,
    refund_id: Uuid,
) -> Result<crate::documents::Statement, AppError> {
    let not_found = || AppError::not_found("order.credit_note_not_found", "No such credit note for this order.");
    let mut conn = ctx.db.acquire().await?;
    let order = readable(&mut conn, principal, shopper, id).await?;
    let lines = db::order_lines(&mut conn, order.id).await?;
    let refund = payments_db::refunds_of_order(&mut conn, order.id)
        .await?
        .into_iter()
        .find(|r| r.id == refund_id)
        .ok_or_else(not_found)?;
    drop(conn);
    let billing = super::views::unseal(&ctx.cipher, order.billing_address_sealed.as_deref())
        .or_else(|| super::views::unseal(&ctx.cipher, Some(&order.shipping_address_sealed)));
    crate::documents::credit_note_of(&ctx.config, &order, &lines, &refund, billing).ok_or_else(not_found)
}
