//! Orders as their owners and the staff see them: the shopper's list, one
//! order with its lines, totals, payments and history, cancelling, and
//! paying again after a declined card.

pub mod admin;
pub mod documents;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use comptoir_db::orders::{self as db, Order, OrderLine};
use comptoir_db::payments::{self as payments_db, Payment};
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::identity::ApiScope;
use comptoir_domain::orders::OrderStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Connection;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::cart::VatLineView;
use crate::api::catalog::variants::{OptionPair, options_of};
use crate::api::checkout::{AddressInput, PaymentMethodInput, payment_for};
use crate::api::inventory::{page_limit, paged};
use crate::auth::{Caller, MaybeCaller, Principal};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::platform::idempotency::{Idempotent, IdempotentSession};
use comptoir_app::crypto::FieldCipher;
use comptoir_app::identity::tokens::secret_hash;
use comptoir_app::orders::status_of;

pub type State = axum::extract::State<crate::app::AppState>;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderLineView {
    pub id: Uuid,
    pub variant_id: Option<Uuid>,
    pub sku: String,
    pub product_name: String,
    pub options: Vec<OptionPair>,
    pub quantity: i32,
    /// VAT included, in cents.
    pub unit_price_minor: i64,
    /// Excluding VAT, in cents (rounded; the invoice shows it).
    pub unit_price_excl_vat_minor: i64,
    /// Basis points: 2000 is 20 %.
    pub vat_rate: i32,
    pub line_total_minor: i64,
    pub vat_minor: i64,
    pub refunded_quantity: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderTotals {
    pub subtotal_minor: i64,
    pub shipping_minor: i64,
    pub vat: Vec<VatLineView>,
    pub vat_total_minor: i64,
    pub grand_total_minor: i64,
    #[schema(example = "EUR")]
    pub currency: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShippingView {
    /// What was chosen at checkout: `colissimo`, `retrait-magasin:BREST`.
    pub option_id: String,
    pub name: String,
    pub pickup_location_id: Option<Uuid>,
    pub address: Option<AddressInput>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryView {
    pub from: Option<String>,
    pub to: String,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    /// `CMD-2026-000123`
    pub number: String,
    /// `pending_payment`, `awaiting_payment`, `paid`, `processing`,
    /// `shipped`, `delivered`, `cancelled`, `partially_refunded` or `refunded`.
    pub status: String,
    pub email: String,
    pub user_id: Option<Uuid>,
    pub channel: String,
    pub lines: Vec<OrderLineView>,
    pub totals: OrderTotals,
    pub shipping: ShippingView,
    pub billing_address: Option<AddressInput>,
    /// `card` or `bank_transfer`.
    pub payment_method: String,
    pub paid_minor: i64,
    pub refunded_minor: i64,
    /// Issued when the order is paid.
    pub invoice_number: Option<String>,
    /// Until when the stock waits for the payment.
    #[serde(with = "time::serde::rfc3339::option")]
    pub payment_due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    /// `processing`, `requires_action`, `succeeded`, `failed`, `cancelled`
    /// or `awaiting_transfer`.
    pub status: String,
    /// `card` or `bank_transfer`.
    pub method: String,
    /// `test`, `stripe` or `manual`.
    pub gateway: String,
    pub amount_minor: i64,
    pub currency: String,
    pub refunded_minor: i64,
    /// What the customer must do next: `redirect_to_url` (the test
    /// gateway's 3-D Secure page), `use_stripe_sdk` (Stripe's 3-D Secure,
    /// which the shop's order page runs with Stripe.js) or `bank_transfer`
    /// (the transfer's details).
    pub next_action: Option<Value>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl PaymentView {
    pub fn new(payment: &Payment) -> Self {
        Self {
            id: payment.id,
            status: payment.status.clone(),
            method: payment.method.clone(),
            gateway: payment.gateway.clone(),
            amount_minor: payment.amount_minor,
            currency: payment.currency.clone(),
            refunded_minor: payment.refunded_minor,
            next_action: payment.next_action.clone(),
            failure_code: payment.failure_code.clone(),
            failure_message: payment.failure_message.clone(),
            created_at: payment.created_at,
        }
    }
}

/// One order with everything about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: OrderView,
    pub payments: Vec<PaymentView>,
    pub history: Vec<HistoryView>,
}

pub fn unseal(cipher: &FieldCipher, sealed: Option<&[u8]>) -> Option<AddressInput> {
    let text = cipher.decrypt(sealed?).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn order_view(order: &Order, lines: &[OrderLine], cipher: &FieldCipher) -> OrderView {
    let vat: Vec<VatLineView> = serde_json::from_value(order.vat.clone()).unwrap_or_default();
    OrderView {
        id: order.id,
        number: order.number.clone(),
        status: order.status.clone(),
        email: order.email.clone(),
        user_id: order.user_id,
        channel: order.channel.clone(),
        lines: lines
            .iter()
            .map(|line| OrderLineView {
                id: line.id,
                variant_id: line.variant_id,
                sku: line.sku.clone(),
                product_name: line.product_name.clone(),
                options: options_of(&line.options),
                quantity: line.quantity,
                unit_price_minor: line.unit_price_minor,
                unit_price_excl_vat_minor: line.unit_price_minor
                    - comptoir_domain::orders::vat_of(
                        line.unit_price_minor,
                        u32::try_from(line.vat_rate).unwrap_or(0),
                        comptoir_domain::orders::PriceBasis::VatIncluded,
                    ),
                vat_rate: line.vat_rate,
                line_total_minor: line.line_total_minor,
                vat_minor: line.vat_minor,
                refunded_quantity: line.refunded_quantity,
            })
            .collect(),
        totals: OrderTotals {
            subtotal_minor: order.subtotal_minor,
            shipping_minor: order.shipping_minor,
            vat,
            vat_total_minor: order.vat_total_minor,
            grand_total_minor: order.grand_total_minor,
            currency: order.currency.clone(),
        },
        shipping: ShippingView {
            option_id: order.shipping_option.clone(),
            name: order.shipping_name.clone(),
            pickup_location_id: order.pickup_location_id,
            address: unseal(cipher, Some(&order.shipping_address_sealed)),
            carrier: order.carrier.clone(),
            tracking_number: order.tracking_number.clone(),
        },
        billing_address: unseal(cipher, order.billing_address_sealed.as_deref()),
        payment_method: order.payment_method.clone(),
        paid_minor: order.paid_minor,
        refunded_minor: order.refunded_minor,
        invoice_number: order.invoice_number.clone(),
        payment_due_at: order.payment_due_at,
        placed_at: order.placed_at,
        updated_at: order.updated_at,
    }
}

/// The order as it is now, with its lines.
pub async fn load_view(conn: &mut PgConnection, order: &Order, cipher: &FieldCipher) -> Result<OrderView, ApiError> {
    let lines = db::order_lines(conn, order.id).await?;
    Ok(order_view(order, &lines, cipher))
}

pub async fn load_detail(
    conn: &mut PgConnection,
    order: &Order,
    cipher: &FieldCipher,
) -> Result<OrderDetail, ApiError> {
    let view = load_view(conn, order, cipher).await?;
    let payments = payments_db::payments_of_order(conn, order.id).await?;
    let history = db::history(conn, order.id).await?;
    Ok(OrderDetail {
        order: view,
        payments: payments.iter().map(PaymentView::new).collect(),
        history: history
            .into_iter()
            .map(|h| HistoryView {
                from: h.from_status,
                to: h.to_status,
                actor_kind: h.actor_kind,
                actor_id: h.actor_id,
                note: h.note,
                at: h.created_at,
            })
            .collect(),
    })
}

pub fn order_not_found() -> ApiError {
    ApiError::not_found("order.not_found", "No such order.")
}

/// Who may see an order: its owner, the guest holding the token of the
/// cart it came from, and the staff (administrators, `orders:read` keys).
/// Anyone else gets 404, as for an order that does not exist.
pub fn check_reader(order: &Order, caller: &MaybeCaller, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(principal) = &caller.0 {
        if principal.require_scope(ApiScope::OrdersRead).is_ok() {
            return Ok(());
        }
        if let (Principal::User(user), Some(owner)) = (principal, order.user_id)
            && user.id == owner
        {
            return Ok(());
        }
    }
    check_guest(order, headers)
}

/// The order's own customer (not the staff): its owner, or the guest with
/// the cart's token.
pub fn check_customer(order: &Order, caller: &MaybeCaller, headers: &HeaderMap) -> Result<(), ApiError> {
    if let (Some(Principal::User(user)), Some(owner)) = (&caller.0, order.user_id)
        && user.id == owner
    {
        return Ok(());
    }
    check_guest(order, headers)
}

fn check_guest(order: &Order, headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers
        .get("x-cart-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    match &order.guest_token_hash {
        Some(hash) if !sent.is_empty() && secret_hash(sent) == *hash => Ok(()),
        _ => Err(order_not_found()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    pub items: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyOrdersQuery {
    /// 1 to 100; 20 by default.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub fn cursor_of(order: &Order) -> String {
    format!("{}_{}", order.placed_at.unix_timestamp_nanos(), order.id)
}

pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<(OffsetDateTime, Uuid)>, ApiError> {
    let Some(cursor) = cursor else { return Ok(None) };
    let bad = || {
        ApiError::validation(vec![crate::error::FieldError::new(
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

/// The signed-in customer's orders, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/orders",
    tag = "orders",
    security(("bearer" = [])),
    params(MyOrdersQuery),
    responses(
        (status = 200, body = OrderList),
        (status = 401, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_my_orders(
    state: State,
    caller: Caller,
    Query(query): Query<MyOrdersQuery>,
) -> Result<Json<OrderList>, ApiError> {
    let user = caller.user()?;
    let limit = page_limit(query.limit, 20)?;
    let after = parse_cursor(query.cursor.as_deref())?;
    let mut conn = state.db.acquire().await?;
    let rows = db::list_orders(
        &mut conn,
        &db::OrderQuery {
            user_id: Some(user.id),
            after,
            limit: limit + 1,
            ..Default::default()
        },
    )
    .await?;
    let (rows, next_cursor) = paged(rows, limit, cursor_of);
    let mut items = Vec::with_capacity(rows.len());
    for order in &rows {
        items.push(load_view(&mut conn, order, &state.cipher).await?);
    }
    Ok(Json(OrderList { items, next_cursor }))
}

/// One order with its lines, totals, payments and history: for its owner
/// (a guest sends the cart's `X-Cart-Token`) and the staff.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    security((), ("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = OrderDetail),
        (status = 404, description = "No such order, or not yours", body = crate::error::Problem),
    )
)]
pub async fn get_order(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderDetail>, ApiError> {
    let mut conn = state.db.acquire().await?;
    let order = db::get_order(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(order_not_found)?;
    check_reader(&order, &caller, &headers)?;
    Ok(Json(load_detail(&mut conn, &order, &state.cipher).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: Option<String>,
}

/// Cancels the order before it ships: its stock comes back and what was
/// paid is refunded in full.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    tag = "orders",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token"),
           ("Idempotency-Key" = String, Header, description = "A fresh UUID per operation")),
    request_body = CancelRequest,
    responses(
        (status = 200, body = OrderDetail),
        (status = 404, description = "No such order, or not yours", body = crate::error::Problem),
        (status = 409, description = "`order.invalid_transition`: it has shipped, or is already cancelled", body = crate::error::Problem),
    )
)]
pub async fn cancel_order(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    mut request: Idempotent<CancelRequest>,
) -> Result<Response, ApiError> {
    // Checked before anything is locked or refunded.
    let note = match request.body.reason.as_deref().map(str::trim) {
        Some(reason) if reason.chars().count() > 500 || reason.chars().any(char::is_control) => {
            return Err(ApiError::validation(vec![crate::error::FieldError::new(
                "reason",
                "invalid",
                "at most 500 characters, no control characters",
            )]));
        }
        Some(reason) if !reason.is_empty() => reason.to_owned(),
        _ => "cancelled by the customer".to_owned(),
    };
    let order = db::lock_order(&mut request.tx, id)
        .await
        .optional()?
        .ok_or_else(order_not_found)?;
    check_customer(&order, &caller, &headers)?;
    let actor = match &caller.0 {
        Some(Principal::User(user)) => comptoir_db::platform::audit::Actor::User(user.id),
        _ => comptoir_db::platform::audit::Actor::Anonymous,
    };
    let cancelled = admin::cancel_with_refund(&state, &mut request.tx, &order, actor, &note).await?;
    let detail = load_detail(&mut request.tx, &cancelled, &state.cipher).await?;
    request.complete(StatusCode::OK, &detail).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    pub payment_method: PaymentMethodInput,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PayResponse {
    pub order: OrderView,
    pub payment: PaymentView,
}

/// Pays an order again after a declined card, before its stock is released.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/payments",
    tag = "orders",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token"),
           ("Idempotency-Key" = String, Header, description = "A fresh UUID per operation")),
    request_body = PayRequest,
    responses(
        (status = 201, body = PayResponse),
        (status = 404, description = "No such order, or not yours", body = crate::error::Problem),
        (status = 409, description = "`order.not_payable`: paid, cancelled, or a payment is under way", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn pay_order(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    request: IdempotentSession<PayRequest>,
) -> Result<Response, ApiError> {
    let method = request.body.payment_method.clone();
    let PaymentMethodInput::Card { token } = method.clone() else {
        return Err(ApiError::validation(vec![crate::error::FieldError::new(
            "payment_method",
            "invalid",
            "an order placed for card payment is paid again by card",
        )]));
    };
    if let Some(error) = crate::api::checkout::token_error(&token) {
        return Err(ApiError::validation(vec![error]));
    }
    // Run to the end even if the client goes away: a charge that was made
    // must be recorded.
    let state = state.0.clone();
    tokio::spawn(async move { pay_again(state, caller, headers, id, request, method, token).await })
        .await
        .map_err(ApiError::internal)?
}

async fn pay_again(
    state: crate::app::AppState,
    caller: MaybeCaller,
    headers: HeaderMap,
    id: Uuid,
    mut request: IdempotentSession<PayRequest>,
    method: PaymentMethodInput,
    token: String,
) -> Result<Response, ApiError> {
    let attempt_key = request.keyed().key_text();
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
            check_customer(&order, &caller, &headers)?;
            payment
        }
        Some(_) => return Err(comptoir_app::platform::idempotency::key_reused().into()),
        None => {
            let mut tx = request.conn().begin().await.map_err(comptoir_db::Error::from)?;
            let order = db::lock_order(&mut tx, id)
                .await
                .optional()?
                .ok_or_else(order_not_found)?;
            check_customer(&order, &caller, &headers)?;
            let payments = payments_db::payments_of_order(&mut tx, order.id).await?;
            let busy = payments
                .iter()
                .any(|p| matches!(p.status.as_str(), "processing" | "requires_action" | "succeeded"));
            if status_of(&order) != OrderStatus::PendingPayment || busy {
                return Err(ApiError::conflict(
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
        comptoir_app::payments::run_charge(&state, request.conn(), &payment, &token).await?
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
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    request.complete(StatusCode::CREATED, &body).await
}
