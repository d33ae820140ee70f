//! An order as its customer and the staff read it: lines, totals, shipping,
//! payments and history. These are the answers of the order use cases.

use comptoir_db::PgConnection;
use comptoir_db::orders::{self as db, Order, OrderLine};
use comptoir_db::payments::{self as payments_db, Payment};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::cart::VatLineView;
use crate::catalog::{OptionPair, options_of};
use crate::checkout::AddressInput;
use crate::crypto::FieldCipher;
use crate::error::AppError;

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
pub async fn load_view(conn: &mut PgConnection, order: &Order, cipher: &FieldCipher) -> Result<OrderView, AppError> {
    let lines = db::order_lines(conn, order.id).await?;
    Ok(order_view(order, &lines, cipher))
}

pub async fn load_detail(
    conn: &mut PgConnection,
    order: &Order,
    cipher: &FieldCipher,
) -> Result<OrderDetail, AppError> {
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
