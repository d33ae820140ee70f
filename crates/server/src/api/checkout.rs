//! `POST /api/v1/checkout`: the adapter of `comptoir_app::checkout::place_order`,
//! which the shop's checkout page calls too.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use comptoir_app::checkout::place_order;

use crate::api::cart::shopper;
use crate::app::AppState;
use crate::auth::MaybeCaller;
use crate::error::ApiError;
use crate::extract::Json;
use crate::platform::idempotency::IdempotentSession;

pub type State = axum::extract::State<AppState>;

pub use comptoir_app::checkout::{AddressInput, CheckoutRequest, CheckoutResponse, PaymentMethodInput, token_error};

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
    let (body, key) = request.into_parts();
    let placed = place_order(&state, &shopper(&caller, &headers), key, body).await?;
    Ok((StatusCode::CREATED, Json(placed)).into_response())
}
