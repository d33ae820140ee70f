//! Orders as their owners and the staff see them: the shopper's list, one
//! order with its lines, totals, payments and history, cancelling, and
//! paying again after a declined card.

pub mod admin;
pub mod documents;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::cart::shopper;
use crate::api::inventory::page_limit;
use crate::auth::{Caller, MaybeCaller};
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::platform::idempotency::{Idempotent, IdempotentSession};
pub use comptoir_app::orders::customer::{
    CancelRequest, OrderList, PayRequest, PayResponse, check_customer, check_reader, cursor_of, order_not_found,
    parse_cursor,
};
pub use comptoir_app::orders::views::{
    HistoryView, OrderDetail, OrderLineView, OrderTotals, OrderView, PaymentView, ShippingView, load_detail, load_view,
    order_view, unseal,
};

pub type State = axum::extract::State<crate::app::AppState>;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyOrdersQuery {
    /// 1 to 100; 20 by default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
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
    let list = comptoir_app::orders::customer::list_mine(&state, user.id, limit, query.cursor.as_deref()).await?;
    Ok(Json(list))
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
    let detail =
        comptoir_app::orders::customer::read_order(&state, caller.0.as_ref(), &shopper(&caller, &headers), id).await?;
    Ok(Json(detail))
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
    let detail =
        comptoir_app::orders::customer::cancel(&state, &mut request.tx, &shopper(&caller, &headers), id, &request.body)
            .await?;
    request.complete(StatusCode::OK, &detail).await
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
    let (body, key) = request.into_parts();
    let paid = comptoir_app::orders::customer::pay_again(&state, &shopper(&caller, &headers), id, key, body).await?;
    Ok((StatusCode::CREATED, Json(paid)).into_response())
}
