//! Stock levels, adjustments, the movement ledger, thresholds, low-stock
//! alerts and reservations, as the back office sees them. The rules are
//! `comptoir_app::inventory::stock`'s; these handlers authorize and answer.

use axum::Extension;
use axum::http::StatusCode;
use axum::response::Response;
use uuid::Uuid;

use super::{Access, Reach, State, StockWriter};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;
use crate::platform::idempotency::Idempotent;
use comptoir_app::inventory::stock as rules;
pub use comptoir_app::inventory::stock::{
    AdjustmentReason, AdjustmentRequest, AdjustmentView, LocationFilter, MovementPage, MovementQuery, MovementView,
    ReservationPage, ReservationQuery, ReservationView, StockAlertList, StockAlertView, StockLevelView, StockPage,
    StockQuery, ThresholdsRequest,
};

/// Stock levels by location and SKU.
#[utoipa::path(
    get,
    path = "/api/v1/admin/stock",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(StockQuery),
    responses(
        (status = 200, body = StockPage),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_stock(
    state: State,
    caller: Caller,
    Query(query): Query<StockQuery>,
) -> Result<Json<StockPage>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_stock(&state, &reach, &query).await?))
}

/// Receives, counts, writes off or corrects stock, with an `Idempotency-Key`
/// (a retried request adjusts once). Taking away more than is available
/// answers 409 `stock.insufficient` and changes nothing; a level that does
/// not exist yet is created by stock coming in.
#[utoipa::path(
    post,
    path = "/api/v1/admin/stock/adjustments",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("Idempotency-Key" = String, Header, description = "A unique key per adjustment, reused on retries")),
    request_body = AdjustmentRequest,
    responses(
        (status = 201, body = AdjustmentView),
        (status = 400, description = "No or a malformed Idempotency-Key", body = crate::error::Problem),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 409, description = "Not enough stock, or the same key still in flight", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn adjust_stock(
    StockWriter { caller, reach }: StockWriter,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    mut request: Idempotent<AdjustmentRequest>,
) -> Result<Response, ApiError> {
    let acting = super::acting(&caller, context.as_deref());
    let view = rules::adjust_stock(&mut request.tx, &reach, acting, &request.body).await?;
    request.complete(StatusCode::CREATED, &view).await
}

/// The stock ledger, newest first: every change of every level, with who
/// made it and why.
#[utoipa::path(
    get,
    path = "/api/v1/admin/stock/movements",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(MovementQuery),
    responses(
        (status = 200, body = MovementPage),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_movements(
    state: State,
    caller: Caller,
    Query(query): Query<MovementQuery>,
) -> Result<Json<MovementPage>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_movements(&state, &reach, &query).await?))
}

/// Sets a level's reorder point and target level. A level under its new
/// reorder point opens an alert at once; one above closes it.
#[utoipa::path(
    put,
    path = "/api/v1/admin/locations/{location_id}/stock/{variant_id}",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("location_id" = Uuid, Path), ("variant_id" = Uuid, Path)),
    request_body = ThresholdsRequest,
    responses(
        (status = 200, body = StockLevelView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn set_thresholds(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(request): Json<ThresholdsRequest>,
) -> Result<Json<StockLevelView>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Write)?;
    let acting = super::acting(&caller, context.as_deref());
    Ok(Json(
        rules::set_thresholds(&state, &reach, acting, ids, &request).await?,
    ))
}

/// Open low-stock alerts, oldest first: one per variant and location whose
/// available stock is under its reorder point.
#[utoipa::path(
    get,
    path = "/api/v1/admin/stock-alerts",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(LocationFilter),
    responses(
        (status = 200, body = StockAlertList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
    )
)]
pub async fn list_alerts(
    state: State,
    caller: Caller,
    Query(query): Query<LocationFilter>,
) -> Result<Json<StockAlertList>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_alerts(&state, &reach, &query).await?))
}

/// Reservations, newest first (read-only: checkout and the point of sale
/// make them).
#[utoipa::path(
    get,
    path = "/api/v1/admin/reservations",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(ReservationQuery),
    responses(
        (status = 200, body = ReservationPage),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_reservations(
    state: State,
    caller: Caller,
    Query(query): Query<ReservationQuery>,
) -> Result<Json<ReservationPage>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_reservations(&state, &reach, &query).await?))
}
