//! Orders in the back office: the list with filters, moving an order along
//! its lifecycle (recording a bank transfer, shipping with tracking), and
//! refunds in part or in full, with credit notes and restocking. The rules
//! are `comptoir_app::orders::admin`'s; these handlers authorize and answer.

use axum::http::StatusCode;
use axum::response::Response;
use comptoir_domain::identity::ApiScope;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{OrderDetail, OrderList, State};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::platform::idempotency::Idempotent;
use comptoir_app::orders::admin::{self as staff, OrderFilter};
pub use comptoir_app::orders::admin::{
    RefundLine, RefundRequestBody, RefundResponse, RefundView, TransitionRequest, cancel_with_refund,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdminOrdersQuery {
    pub status: Option<String>,
    /// An order number (`CMD-2026-000123`) or part of an email; up to 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Placed at or after (RFC 3339).
    pub from: Option<String>,
    /// Placed before (RFC 3339).
    pub to: Option<String>,
    /// 1 to 100; 50 by default.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Every order, newest first, by status, number or email, and time.
#[utoipa::path(
    get,
    path = "/api/v1/admin/orders",
    tag = "orders",
    security(("bearer" = []), ("api_key" = [])),
    params(AdminOrdersQuery),
    responses(
        (status = 200, body = OrderList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_orders(
    state: State,
    caller: Caller,
    Query(query): Query<AdminOrdersQuery>,
) -> Result<Json<OrderList>, ApiError> {
    caller.require_scope(ApiScope::OrdersRead)?;
    let filter = OrderFilter {
        status: query.status.as_deref(),
        q: query.q.as_deref(),
        from: query.from.as_deref(),
        to: query.to.as_deref(),
        limit: query.limit,
        cursor: query.cursor.as_deref(),
    };
    Ok(Json(staff::list(&state, &filter).await?))
}

/// Moves an order along its lifecycle. An administrator records a bank
/// transfer with `to: paid`; shipping takes the carrier and tracking number
/// (emailed to the customer); cancelling refunds what was paid and restocks.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orders/{id}/transitions",
    tag = "orders",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, description = "A fresh UUID per operation")),
    request_body = TransitionRequest,
    responses(
        (status = 200, body = OrderDetail),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "`order.invalid_transition`", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn transition_order(
    state: State,
    caller: Caller,
    Path(id): Path<Uuid>,
    mut request: Idempotent<TransitionRequest>,
) -> Result<Response, ApiError> {
    caller.require_scope(ApiScope::OrdersWrite)?;
    let detail = staff::transition(&state, &mut request.tx, caller.0.actor(), id, &request.body).await?;
    request.complete(StatusCode::OK, &detail).await
}

/// Refunds an order in part (lines, or an amount) or in full, never more
/// than was paid; returned units go back into stock with `restock`. The
/// order becomes `partially_refunded`, then `refunded` once all is given
/// back. A credit note is issued and the customer is told.
#[utoipa::path(
    post,
    path = "/api/v1/admin/orders/{id}/refunds",
    tag = "orders",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, description = "A fresh UUID per refund")),
    request_body = RefundRequestBody,
    responses(
        (status = 201, body = RefundResponse),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "`order.invalid_transition`: the order was not paid", body = crate::error::Problem),
        (status = 422, description = "`refund.exceeds_paid`, or invalid lines", body = crate::error::Problem),
        (status = 502, description = "The gateway refused the refund", body = crate::error::Problem),
    )
)]
pub async fn refund_order(
    state: State,
    caller: Caller,
    Path(id): Path<Uuid>,
    mut request: Idempotent<RefundRequestBody>,
) -> Result<Response, ApiError> {
    caller.require_scope(ApiScope::OrdersWrite)?;
    let key = request.key_text();
    let refund = staff::refund(&state, &mut request.tx, caller.0.actor(), id, &key, &request.body).await?;
    request.complete(StatusCode::CREATED, &refund).await
}
