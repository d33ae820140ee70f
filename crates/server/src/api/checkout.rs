//! Checkout: a cart becomes an order, its stock is reserved and its payment
//! runs, once per `Idempotency-Key`.
//!
//! The order, its lines, its stock reservations and its payment attempt are
//! written in one transaction; the gateway is called after it commits (no
//! stock row waits for a bank), and its answer is applied in a second one.
//! The key is held for the whole request: a concurrent request with the same
//! key hears 409, a later one gets the stored answer. If the answer was
//! never stored (the gateway's outcome was unknown, the process died), a
//! retry finds the order its key placed and carries on from there, calling
//! the gateway again with the payment's own key, so nobody pays twice.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use comptoir_db::cart as cart_db;
use comptoir_db::inventory::{self as stock, NewReservation};
use comptoir_db::orders::{self as db, NewOrder, Order, OrderLine};
use comptoir_db::payments::{self as payments_db, Payment};
use comptoir_db::platform::audit::Actor;
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::catalog::TaxClass;
use comptoir_domain::identity::{Email, parse_country, parse_phone, parse_postal_code};
use comptoir_domain::inventory::allocate;
use comptoir_domain::orders::{Line, OrderStatus, PriceBasis, totals, vat_of};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Connection;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::cart::{VatLineView, cart_not_found, check_access};
use crate::api::orders::{OrderView, PaymentView, load_view};
use crate::api::shipping::{ShippingKind, options_for};
use crate::app::AppState;
use crate::auth::{MaybeCaller, Principal};
use crate::error::{ApiError, FieldError};
use crate::platform::idempotency::IdempotentSession;
use comptoir_app::orders::{CARD_PAYMENT_WINDOW, OrderEmail, RESERVATION_GRACE, TRANSFER_PAYMENT_WINDOW, queue_email};
use comptoir_app::platform::idempotency::key_reused;

pub type State = axum::extract::State<AppState>;

pub use comptoir_app::checkout::{AddressInput, PaymentMethodInput};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub cart_id: Uuid,
    pub email: String,
    pub shipping_address: AddressInput,
    /// The shipping address when absent.
    pub billing_address: Option<AddressInput>,
    /// An `id` from `GET /api/v1/carts/{id}/shipping-options`.
    #[schema(example = "colissimo")]
    pub shipping_option_id: String,
    pub payment_method: PaymentMethodInput,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutResponse {
    pub order: OrderView,
    pub payment: PaymentView,
}

fn parse_address(input: &AddressInput, prefix: &str, errors: &mut Vec<FieldError>) -> AddressInput {
    let mut text = |value: &str, field: &str, max: usize, required: bool| -> String {
        let value = value.trim();
        let n = value.chars().count();
        if (required && n == 0) || n > max || value.chars().any(char::is_control) {
            errors.push(FieldError::new(
                format!("{prefix}.{field}"),
                "invalid",
                format!("expected {} to {max} characters", u8::from(required)),
            ));
        }
        value.to_owned()
    };
    let first_name = text(&input.first_name, "first_name", 100, true);
    let last_name = text(&input.last_name, "last_name", 100, true);
    let company = input
        .company
        .as_deref()
        .map(|c| text(c, "company", 100, false))
        .filter(|c| !c.is_empty());
    let line1 = text(&input.line1, "line1", 200, true);
    let line2 = input
        .line2
        .as_deref()
        .map(|c| text(c, "line2", 200, false))
        .filter(|c| !c.is_empty());
    let city = text(&input.city, "city", 100, true);
    let country = match parse_country(&input.country) {
        Ok(country) => country,
        Err(message) => {
            errors.push(FieldError::new(format!("{prefix}.country"), "invalid", message));
            String::new()
        }
    };
    let postal_code = if country.is_empty() {
        input.postal_code.trim().to_owned()
    } else {
        match parse_postal_code(&country, &input.postal_code) {
            Ok(code) => code,
            Err(message) => {
                errors.push(FieldError::new(format!("{prefix}.postal_code"), "invalid", message));
                String::new()
            }
        }
    };
    let phone = match input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(raw) => match parse_phone(raw) {
            Ok(phone) => Some(phone),
            Err(message) => {
                errors.push(FieldError::new(format!("{prefix}.phone"), "invalid", message));
                None
            }
        },
    };
    AddressInput {
        first_name,
        last_name,
        company,
        line1,
        line2,
        postal_code,
        city,
        country,
        phone,
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

fn check(request: &CheckoutRequest) -> Result<Checked, ApiError> {
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
    ApiError::unless_valid(errors)?;
    Ok(Checked {
        cart_id: request.cart_id,
        email,
        shipping_address,
        billing_address,
        shipping_option_id: option.to_owned(),
        payment_method: request.payment_method.clone(),
    })
}

/// Places an order from a cart and runs its payment.
///
/// A card that is declined still answers 201: the order stays
/// `pending_payment` with the payment `failed`, and the customer may pay
/// again (`POST /api/v1/orders/{id}/payments`) until its stock is released
/// (15 minutes). A card that needs 3-D Secure answers the payment's
/// `next_action`. A bank transfer leaves the order `awaiting_payment` with
/// the transfer's details.
#[utoipa::path(
    post,
    path = "/api/v1/checkout",
    tag = "orders",
    security((), ("bearer" = [])),
    params(
        ("Idempotency-Key" = String, Header, description = "A fresh UUID per checkout; a retry sends the same"),
        ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token"),
    ),
    request_body = CheckoutRequest,
    responses(
        (status = 201, body = CheckoutResponse),
        (status = 400, description = "No Idempotency-Key", body = crate::error::Problem),
        (status = 404, description = "No such cart, or not yours", body = crate::error::Problem),
        (status = 409, description = "`stock.insufficient` naming the lines in `errors`, or `idempotency.in_flight`", body = crate::error::Problem),
        (status = 422, description = "Invalid fields, an empty cart, an unknown shipping option, or the key reused with another body", body = crate::error::Problem),
    )
)]
pub async fn checkout(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    request: IdempotentSession<CheckoutRequest>,
) -> Result<Response, ApiError> {
    let checked = check(&request.body)?;
    // Run to the end even if the client goes away: a charge that was made
    // must be recorded.
    let state = state.0.clone();
    tokio::spawn(async move { place_and_pay(state, caller, headers, request, checked).await })
        .await
        .map_err(ApiError::internal)?
}

async fn place_and_pay(
    state: AppState,
    caller: MaybeCaller,
    headers: HeaderMap,
    mut request: IdempotentSession<CheckoutRequest>,
    checked: Checked,
) -> Result<Response, ApiError> {
    let (scope, key) = (request.keyed().scope.0.clone(), request.keyed().key.as_str().to_owned());
    let existing = db::find_by_checkout_key(request.conn(), &scope, &key).await?;
    let (order, payment) = match existing {
        Some(order) => {
            if order.checkout_hash.as_deref() != Some(request.keyed().request_hash.as_slice()) {
                return Err(key_reused().into());
            }
            let payment = payments_db::payments_of_order(request.conn(), order.id)
                .await?
                .pop()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("order {} has no payment", order.number)))?;
            (order, payment)
        }
        None => {
            let hash = request.keyed().request_hash.clone();
            let mut tx = request.conn().begin().await.map_err(comptoir_db::Error::from)?;
            let placed = place(&state, &mut tx, &caller, &headers, &checked, &scope, &key, hash).await?;
            tx.commit().await.map_err(comptoir_db::Error::from)?;
            placed
        }
    };
    let payment = match (&checked.payment_method, payment.status.as_str()) {
        (PaymentMethodInput::Card { token }, "processing") => {
            comptoir_app::payments::run_charge(&state, request.conn(), &payment, token).await?
        }
        _ => payment,
    };
    let order = db::get_order(request.conn(), order.id).await?;
    let body = CheckoutResponse {
        order: load_view(request.conn(), &order, &state.cipher).await?,
        payment: PaymentView::new(&payment),
    };
    if payment.status == "processing" {
        // Outcome unknown: nothing is stored, so a retry with the key asks
        // the gateway again (with the payment's key: no second charge).
        request.release().await;
        return Ok((StatusCode::CREATED, crate::extract::Json(body)).into_response());
    }
    metrics::counter!("comptoir_checkouts_total", "payment" => payment.status.clone()).increment(1);
    request.complete(StatusCode::CREATED, &body).await
}

/// Writes the order, its lines, its reservations and its first payment
/// attempt, and empties the cart.
#[expect(clippy::too_many_arguments, reason = "one call site; the parts of one request")]
async fn place(
    state: &AppState,
    conn: &mut PgConnection,
    caller: &MaybeCaller,
    headers: &HeaderMap,
    checked: &Checked,
    scope: &str,
    key: &str,
    request_hash: Vec<u8>,
) -> Result<(Order, Payment), ApiError> {
    let cart = cart_db::lock_cart(conn, checked.cart_id)
        .await
        .optional()?
        .ok_or_else(cart_not_found)?;
    check_access(&cart, caller, headers)?;
    let lines = cart_db::cart_lines(conn, cart.id).await?;
    if let Some(gone) = lines.iter().find(|l| l.product_status != "active") {
        return Err(ApiError::validation(vec![FieldError::new(
            format!("lines.{}", gone.item_id),
            "unavailable",
            format!("{} is no longer sold; remove it from the cart", gone.product_name),
        )])
        .with_code("cart.unavailable_items"));
    }
    if lines.is_empty() {
        return Err(
            ApiError::validation(vec![FieldError::new("cart_id", "empty", "the cart has nothing in it")])
                .with_code("cart.empty"),
        );
    }
    let options = options_for(conn, &lines, &checked.shipping_address.country).await?;
    let option = options
        .into_iter()
        .find(|o| o.id == checked.shipping_option_id)
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
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
                    reservations.push(NewReservation {
                        variant_id: line.variant_id,
                        location_id,
                        quantity: i32::try_from(quantity).unwrap_or(i32::MAX),
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

    let priced: Vec<Line> = lines
        .iter()
        .map(|l| Line {
            unit_price_minor: l.price_minor,
            quantity: i64::from(l.quantity),
            rate_basis_points: rate_of(&l.tax_class),
        })
        .collect();
    let sums = totals(&priced, option.price_minor, PriceBasis::VatIncluded);
    let vat: Vec<VatLineView> = sums
        .vat
        .iter()
        .map(|v| VatLineView {
            rate: v.rate_basis_points,
            base_minor: v.base_minor,
            amount_minor: v.amount_minor,
        })
        .collect();
    let seal = |address: &AddressInput| -> Result<Vec<u8>, ApiError> {
        let text = serde_json::to_string(address).map_err(ApiError::internal)?;
        state
            .cipher
            .encrypt(&text)
            .map_err(|err| ApiError::internal(anyhow::Error::from(err)))
    };
    let user_id = match &caller.0 {
        Some(Principal::User(user)) => Some(user.id),
        _ => None,
    };
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
            vat: serde_json::to_value(&vat).map_err(ApiError::internal)?,
            shipping_method_id: Some(option.method_id),
            shipping_option: option.id.clone(),
            shipping_name: option.name.clone(),
            pickup_location_id: option.location_id,
            shipping_address_sealed: seal(&checked.shipping_address)?,
            billing_address_sealed: checked.billing_address.as_ref().map(seal).transpose()?,
            payment_method: method,
            checkout_scope: Some(scope.to_owned()),
            checkout_key: Some(key.to_owned()),
            checkout_hash: Some(request_hash),
            guest_token_hash: cart.user_id.is_none().then(|| cart.token_hash.clone()),
            payment_due_at: Some(now + window),
        },
    )
    .await?;
    for (position, line) in lines.iter().enumerate() {
        let rate = rate_of(&line.tax_class);
        let total = line.price_minor.saturating_mul(i64::from(line.quantity));
        db::insert_line(
            conn,
            &OrderLine {
                id: Uuid::now_v7(),
                order_id,
                position: i32::try_from(position).unwrap_or(i32::MAX),
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

fn stock_insufficient(errors: Vec<FieldError>) -> ApiError {
    let detail = format!(
        "Not enough stock for: {}.",
        errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; ")
    );
    ApiError::conflict("stock.insufficient", detail).with_errors(errors)
}

fn rate_of(tax_class: &str) -> u32 {
    TaxClass::parse(tax_class)
        .unwrap_or(TaxClass::Standard)
        .rate_basis_points()
}

/// A new payment attempt for `order`: a card payment `processing` (the
/// gateway is called next), or a bank transfer waiting with its details.
pub async fn payment_for(
    state: &AppState,
    conn: &mut PgConnection,
    order: &Order,
    method: &PaymentMethodInput,
    attempt_key: Option<&str>,
) -> Result<Payment, ApiError> {
    let description = format!("Commande {}", order.number);
    match method {
        PaymentMethodInput::Card { token } => Ok(payments_db::insert_payment(
            conn,
            &payments_db::NewPayment {
                order_id: order.id,
                gateway: state.gateways.for_cards().ok_or_else(|| {
                    ApiError::validation(vec![FieldError::new(
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
