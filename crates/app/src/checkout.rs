//! Checkout: a cart becomes an order, paid by card or by transfer.

use comptoir_db::cart as cart_db;
use comptoir_db::inventory::{self as stock, NewReservation};
use comptoir_db::orders::{self as db, NewOrder, Order, OrderLine};
use comptoir_db::payments::{self as payments_db, Payment};
use comptoir_db::platform::audit::Actor;
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::identity::Email;
use comptoir_domain::identity::address::{PostalAddress, RawAddress};
use comptoir_domain::inventory::allocate;
use comptoir_domain::orders::{Line, OrderStatus, PriceBasis, totals, vat_of};
use comptoir_domain::platform::IdempotencyKey;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Connection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Context;
use crate::cart::{Shopper, VatLineView, cart_not_found, check_access, priced_line};
use crate::error::{AppError, FieldError};
use crate::orders::views::{OrderView, PaymentView, load_view};
use crate::orders::{CARD_PAYMENT_WINDOW, OrderEmail, RESERVATION_GRACE, TRANSFER_PAYMENT_WINDOW, queue_email};
use crate::platform::idempotency::{
    CallerScope, IdempotencySession, KeyedRequest, StoredAnswer, key_reused, request_hash,
};
use crate::shipping::{ShippingKind, options_for};

// The bounds are those of the domain's PostalAddress::parse (NAME_MAX,
// COMPANY_MAX, LINE_MAX, CITY_MAX, parse_postal_code, parse_country,
// parse_phone); text parts refuse control characters. Orders answer the
// address as it was stored, within the same bounds.
/// A postal address as given at checkout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[schema(
        example = "Maëlys",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub first_name: String,
    #[schema(
        example = "Le Gall",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub company: Option<String>,
    #[schema(
        example = "12 rue de Siam",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub line2: Option<String>,
    /// Five digits for France (and its overseas departments and
    /// collectivities, and Monaco).
    #[schema(example = "29200", pattern = r"^[A-Za-z0-9 -]{2,10}$")]
    pub postal_code: String,
    #[schema(
        example = "Brest",
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub city: String,
    /// An assigned ISO 3166-1 alpha-2 code.
    #[schema(example = "FR", pattern = r"^[A-Za-z]{2}$")]
    pub country: String,
    /// 6 to 15 digits, with spaces, dots, dashes or brackets between them
    /// and an optional leading `+`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^$|^\+?[ .()-]*([0-9][ .()-]*){6,15}$")]
    pub phone: Option<String>,
}

/// How the customer pays.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentMethodInput {
    /// A card token from the gateway (never a card number). With the test
    /// gateway: `tok_visa`, `tok_chargeDeclined`, `tok_threeDSecure`.
    Card {
        // token_error: 1 to 255 bytes, no spaces or control characters.
        #[schema(min_length = 1, max_length = 255, pattern = r"^[^\s\x00-\x1F\x7F-\x9F]+$")]
        token: String,
    },
    /// Paid by transfer: the order waits in `awaiting_payment` until an
    /// administrator records the transfer.
    BankTransfer,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub cart_id: Uuid,
    #[schema(max_length = 254)] // Email::MAX_LEN
    pub email: String,
    pub shipping_address: AddressInput,
    /// The shipping address when absent.
    pub billing_address: Option<AddressInput>,
    /// An `id` from `GET /api/v1/carts/{id}/shipping-options`.
    #[schema(example = "colissimo", min_length = 1, max_length = 100)] // as `check` reads it
    pub shipping_option_id: String,
    pub payment_method: PaymentMethodInput,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutResponse {
    pub order: OrderView,
    pub payment: PaymentView,
}

/// The address as the one postal-address rule of the domain takes it;
/// invalid parts are named under `prefix` (`shipping_address.postal_code`).
fn parse_address(input: &AddressInput, prefix: &str, errors: &mut Vec<FieldError>) -> AddressInput {
    let raw = RawAddress {
        first_name: Some(&input.first_name),
        last_name: Some(&input.last_name),
        company: input.company.as_deref(),
        line1: Some(&input.line1),
        line2: input.line2.as_deref(),
        postal_code: Some(&input.postal_code),
        city: Some(&input.city),
        country: Some(&input.country),
        phone: input.phone.as_deref(),
    };
    match PostalAddress::parse(raw) {
        Ok(address) => AddressInput::from(address),
        Err(wrong) => {
            errors.extend(
                wrong
                    .into_iter()
                    .map(|e| FieldError::new(format!("{prefix}.{}", e.field), e.code, e.message)),
            );
            input.clone()
        }
    }
}

impl From<PostalAddress> for AddressInput {
    fn from(address: PostalAddress) -> Self {
        Self {
            first_name: address.first_name,
            last_name: address.last_name,
            company: address.company,
            line1: address.line1,
            line2: address.line2,
            postal_code: address.postal_code,
            city: address.city,
            country: address.country,
            phone: address.phone,
        }
    }
}

/// A checkout request whose every field was checked.
struct Checked {
    cart_id: Uuid,
    email: String,
    shipping_address: AddressInput,
    billing_address: Option<AddressInput>,
    shipping_option_id: String,
    payment_method: PaymentMethodInput,
}

/// What is wrong with a card token, if anything.
pub fn token_error(token: &str) -> Option<FieldError> {
    (token.trim().is_empty() || token.len() > 255 || token.chars().any(|c| c.is_whitespace() || c.is_control())).then(
        || {
            FieldError::new(
                "payment_method.token",
                "invalid",
                "a card token from the payment gateway",
            )
        },
    )
}

fn check(request: &CheckoutRequest) -> Result<Checked, AppError> {
    let mut errors = Vec::new();
    let email = match Email::parse(&request.email) {
        Ok(email) => email.as_str().to_owned(),
        Err(message) => {
            errors.push(FieldError::new("email", "invalid", message));
            String::new()
        }
    };
    let shipping_address = parse_address(&request.shipping_address, "shipping_address", &mut errors);
    let billing_address = request
        .billing_address
        .as_ref()
        .map(|a| parse_address(a, "billing_address", &mut errors));
    let option = request.shipping_option_id.trim();
    if option.is_empty() || option.len() > 100 {
        errors.push(FieldError::new(
            "shipping_option_id",
            "invalid",
            "an id from the cart's shipping options",
        ));
    }
    if let PaymentMethodInput::Card { token } = &request.payment_method
        && let Some(error) = token_error(token)
    {
        errors.push(error);
    }
    AppError::unless_valid(errors)?;
    Ok(Checked {
        cart_id: request.cart_id,
        email,
        shipping_address,
        billing_address,
        shipping_option_id: option.to_owned(),
        payment_method: request.payment_method.clone(),
    })
}

/// The operation a checkout's idempotency key belongs to. The API's route
/// names it, and the shop's checkout page uses the same name, so one key is
/// one order whichever of them sent it.
pub const OPERATION: &str = "POST /api/v1/checkout";

/// What a checkout's key stands for when it is not read from an HTTP
/// request (the shop's form): the request as the API would receive it.
pub fn checkout_request(
    scope: CallerScope,
    key: IdempotencyKey,
    request: &CheckoutRequest,
) -> Result<KeyedRequest, AppError> {
    let body = serde_json::to_vec(request).map_err(AppError::internal)?;
    Ok(KeyedRequest {
        scope,
        operation: OPERATION.to_owned(),
        request_hash: request_hash("/api/v1/checkout", &body),
        key,
    })
}

/// Places an order from a cart and runs its payment, once per key.
///
/// A card that is declined still places the order: it stays
/// `pending_payment` with the payment `failed`, and the customer may pay
/// again until its stock is released (15 minutes). A card that needs 3-D
/// Secure answers the payment's `next_action`. A bank transfer leaves the
/// order `awaiting_payment` with the transfer's details.
///
/// The order, its lines, its stock reservations and its payment attempt are
/// written in one transaction; the gateway is called after it commits (no
/// stock row waits for a bank), and its answer is applied in a second one.
/// The answer is stored with the key, unless the gateway's outcome is
/// unknown: then a retry with the key finds the order its key placed and
/// asks the gateway again with the payment's own key, so nobody pays twice.
pub async fn place_order(
    ctx: &Context,
    shopper: &Shopper,
    key: IdempotencySession,
    request: CheckoutRequest,
) -> Result<CheckoutResponse, AppError> {
    let checked = check(&request)?;
    // Run to the end even if the caller goes away: a charge that was made
    // must be recorded.
    let (ctx, shopper) = (ctx.clone(), shopper.clone());
    tokio::spawn(async move { place_and_pay(ctx, shopper, key, checked).await })
        .await
        .map_err(AppError::internal)?
}

async fn place_and_pay(
    ctx: Context,
    shopper: Shopper,
    mut key: IdempotencySession,
    checked: Checked,
) -> Result<CheckoutResponse, AppError> {
    let keyed = key.request().clone();
    let (scope, key_text) = (keyed.scope.0.as_str(), keyed.key.as_str());
    let existing = db::find_by_checkout_key(key.conn(), scope, key_text).await?;
    let (order, payment) = match existing {
        Some(order) => {
            if order.checkout_hash.as_deref() != Some(keyed.request_hash.as_slice()) {
                return Err(key_reused());
            }
            let payment = payments_db::payments_of_order(key.conn(), order.id)
                .await?
                .pop()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("order {} has no payment", order.number)))?;
            (order, payment)
        }
        None => {
            let mut tx = key.conn().begin().await.map_err(comptoir_db::Error::from)?;
            let placed = place(&ctx, &mut tx, &shopper, &checked, &keyed).await?;
            tx.commit().await.map_err(comptoir_db::Error::from)?;
            placed
        }
    };
    let payment = match (&checked.payment_method, payment.status.as_str()) {
        (PaymentMethodInput::Card { token }, "processing") => {
            crate::payments::run_charge(&ctx, key.conn(), &payment, token).await?
        }
        _ => payment,
    };
    let order = db::get_order(key.conn(), order.id).await?;
    let body = CheckoutResponse {
        order: load_view(key.conn(), &order, &ctx.cipher).await?,
        payment: PaymentView::new(&payment),
    };
    if payment.status == "processing" {
        // Outcome unknown: nothing is stored, so a retry with the key asks
        // the gateway again (with the payment's key: no second charge).
        key.release().await;
        return Ok(body);
    }
    metrics::counter!("comptoir_checkouts_total", "payment" => payment.status.clone()).increment(1);
    key.complete(&StoredAnswer::created(&body)?).await?;
    Ok(body)
}

/// Writes the order, its lines, its reservations and its first payment
/// attempt, and empties the cart.
async fn place(
    state: &Context,
    conn: &mut PgConnection,
    shopper: &Shopper,
    checked: &Checked,
    keyed: &KeyedRequest,
) -> Result<(Order, Payment), AppError> {
    let cart = cart_db::lock_cart(conn, checked.cart_id)
        .await
        .optional()?
        .ok_or_else(cart_not_found)?;
    check_access(&cart, shopper)?;
    let lines = cart_db::cart_lines(conn, cart.id).await?;
    if let Some(gone) = lines.iter().find(|l| l.product_status != "active") {
        return Err(AppError::validation(vec![FieldError::new(
            format!("lines.{}", gone.item_id),
            "unavailable",
            format!("{} is no longer sold; remove it from the cart", gone.product_name),
        )])
        .with_code("cart.unavailable_items"));
    }
    if lines.is_empty() {
        return Err(
            AppError::validation(vec![FieldError::new("cart_id", "empty", "the cart has nothing in it")])
                .with_code("cart.empty"),
        );
    }
    let options = options_for(conn, &lines, &checked.shipping_address.country).await?;
    let option = options
        .into_iter()
        .find(|o| o.id == checked.shipping_option_id)
        .ok_or_else(|| {
            AppError::validation(vec![FieldError::new(
                "shipping_option_id",
                "unavailable",
                "not a shipping option of this cart for this address; ask GET /api/v1/carts/{id}/shipping-options",
            )])
        })?;

    // Where each line's units come from.
    let variant_ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
    let stock_rows = comptoir_db::catalog::stock_of_variants(conn, &variant_ids).await?;
    let now = OffsetDateTime::now_utc();
    let (status, window, method) = match &checked.payment_method {
        PaymentMethodInput::Card { .. } => (OrderStatus::PendingPayment, CARD_PAYMENT_WINDOW, "card"),
        PaymentMethodInput::BankTransfer => (OrderStatus::AwaitingPayment, TRANSFER_PAYMENT_WINDOW, "bank_transfer"),
    };
    let order_id = Uuid::now_v7();
    let mut reservations = Vec::new();
    let mut lacking = Vec::new();
    for line in &lines {
        let sources: Vec<(Uuid, i64)> = stock_rows
            .iter()
            .filter(|s| s.variant_id == line.variant_id)
            .filter(|s| match option.kind {
                ShippingKind::ClickAndCollect => Some(s.location_id) == option.location_id,
                _ => s.ships_online,
            })
            .map(|s| (s.location_id, s.available))
            .collect();
        match allocate(i64::from(line.quantity), &sources) {
            Some(taken) => {
                for (location_id, quantity) in taken {
                    // Never more than the line's own quantity, an i32: a
                    // share that does not fit is refused, never clamped.
                    let quantity = i32::try_from(quantity).map_err(|_| out_of_range(line.item_id))?;
                    reservations.push(NewReservation {
                        variant_id: line.variant_id,
                        location_id,
                        quantity,
                        purpose: "order",
                        reference_id: Some(order_id),
                        expires_at: now + window + RESERVATION_GRACE,
                    });
                }
            }
            None => lacking.push(FieldError::new(
                line.variant_id.to_string(),
                "stock.insufficient",
                format!(
                    "{} ({}): {} wanted, {} available",
                    line.product_name,
                    line.sku,
                    line.quantity,
                    sources.iter().map(|s| s.1.max(0)).sum::<i64>()
                ),
            )),
        }
    }
    if !lacking.is_empty() {
        return Err(stock_insufficient(lacking));
    }

    let priced: Vec<Line> = lines.iter().map(priced_line).collect::<Result<_, AppError>>()?;
    let sums = totals(&priced, option.price_minor, PriceBasis::VatIncluded);
    let vat: Vec<VatLineView> = sums.vat.iter().map(VatLineView::from).collect();
    let seal = |address: &AddressInput| -> Result<Vec<u8>, AppError> {
        let text = serde_json::to_string(address).map_err(AppError::internal)?;
        state
            .cipher
            .encrypt(&text)
            .map_err(|err| AppError::internal(anyhow::Error::from(err)))
    };
    let user_id = shopper.user_id;
    let order = db::insert_order(
        conn,
        &NewOrder {
            id: order_id,
            user_id,
            email: checked.email.clone(),
            status: status.as_str(),
            subtotal_minor: sums.subtotal_minor,
            shipping_minor: sums.shipping_minor,
            vat_total_minor: sums.vat_total_minor,
            grand_total_minor: sums.grand_total_minor,
            vat: serde_json::to_value(&vat).map_err(AppError::internal)?,
            shipping_method_id: Some(option.method_id),
            shipping_option: option.id.clone(),
            shipping_name: option.name.clone(),
            pickup_location_id: option.location_id,
            shipping_address_sealed: seal(&checked.shipping_address)?,
            billing_address_sealed: checked.billing_address.as_ref().map(seal).transpose()?,
            payment_method: method,
            checkout_scope: Some(keyed.scope.0.clone()),
            checkout_key: Some(keyed.key.as_str().to_owned()),
            checkout_hash: Some(keyed.request_hash.clone()),
            guest_token_hash: cart.user_id.is_none().then(|| cart.token_hash.clone()),
            payment_due_at: Some(now + window),
        },
    )
    .await?;
    for (position, line) in lines.iter().enumerate() {
        let rate = crate::catalog::tax_rate(&line.tax_class)?;
        let total = line.price_minor.saturating_mul(i64::from(line.quantity));
        db::insert_line(
            conn,
            &OrderLine {
                id: Uuid::now_v7(),
                order_id,
                position: i32::try_from(position).map_err(|_| out_of_range(line.item_id))?,
                variant_id: Some(line.variant_id),
                sku: line.sku.clone(),
                product_name: line.product_name.clone(),
                options: line.options.clone(),
                quantity: line.quantity,
                unit_price_minor: line.price_minor,
                vat_rate: i32::try_from(rate).unwrap_or(0),
                line_total_minor: total,
                vat_minor: vat_of(total, rate, PriceBasis::VatIncluded),
                refunded_quantity: 0,
            },
        )
        .await?;
    }
    let actor = user_id.map_or(Actor::Anonymous, Actor::User);
    if let Err(lacking) = stock::reserve_all(conn, &reservations, actor).await? {
        // Someone took the last units since they were counted.
        let errors = lacking
            .iter()
            .map(|l| {
                let name = lines
                    .iter()
                    .find(|line| line.variant_id == l.variant_id)
                    .map_or_else(String::new, |line| format!("{} ({})", line.product_name, line.sku));
                FieldError::new(
                    l.variant_id.to_string(),
                    "stock.insufficient",
                    format!("{name}: sold out meanwhile"),
                )
            })
            .collect();
        return Err(stock_insufficient(errors));
    }
    db::record_history(conn, order_id, None, status.as_str(), actor, None).await?;
    let payment = payment_for(state, conn, &order, &checked.payment_method, None).await?;
    if status == OrderStatus::AwaitingPayment {
        queue_email(
            conn,
            &order,
            OrderEmail::AwaitingTransfer {
                iban: &state.config.bank_iban,
                bic: &state.config.bank_bic,
            },
        )
        .await?;
    }
    cart_db::delete_cart(conn, cart.id).await?;
    Ok((order, payment))
}

/// A line whose quantity or place cannot be stored as it is.
fn out_of_range(item_id: Uuid) -> AppError {
    AppError::validation(vec![FieldError::new(
        format!("lines.{item_id}"),
        "out_of_range",
        "this line's quantity cannot be ordered",
    )])
}

fn stock_insufficient(errors: Vec<FieldError>) -> AppError {
    let detail = format!(
        "Not enough stock for: {}.",
        errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ")
    );
    AppError::conflict("stock.insufficient", detail).with_errors(errors)
}

/// A new payment attempt for `order`: a card payment `processing` (the
/// gateway is called next), or a bank transfer waiting with its details.
pub async fn payment_for(
    state: &Context,
    conn: &mut PgConnection,
    order: &Order,
    method: &PaymentMethodInput,
    attempt_key: Option<&str>,
) -> Result<Payment, AppError> {
    let description = format!("Commande {}", order.number);
    match method {
        PaymentMethodInput::Card { token } => Ok(payments_db::insert_payment(
            conn,
            &payments_db::NewPayment {
                order_id: order.id,
                gateway: state.gateways.for_cards().ok_or_else(|| {
                    AppError::validation(vec![FieldError::new(
                        "payment_method",
                        "unavailable",
                        "card payments are not configured on this shop",
                    )])
                    .with_code("payment.method_unavailable")
                })?,
                method: "card",
                status: "processing",
                amount_minor: order.grand_total_minor,
                token: Some(token),
                description: &description,
                attempt_key,
            },
        )
        .await?),
        PaymentMethodInput::BankTransfer => {
            let payment = payments_db::insert_payment(
                conn,
                &payments_db::NewPayment {
                    order_id: order.id,
                    gateway: "manual",
                    method: "bank_transfer",
                    status: "awaiting_transfer",
                    amount_minor: order.grand_total_minor,
                    token: None,
                    description: &description,
                    attempt_key,
                },
            )
            .await?;
            let instructions = json!({
                "type": "bank_transfer",
                "iban": state.config.bank_iban,
                "bic": state.config.bank_bic,
                "reference": order.number,
                "amount_minor": order.grand_total_minor,
                "currency": order.currency,
            });
            Ok(payments_db::update_payment(
                conn,
                payment.id,
                &payments_db::PaymentUpdate {
                    status: "awaiting_transfer",
                    next_action: Some(instructions),
                    ..Default::default()
                },
            )
            .await?)
        }
    }
}
