//! Transfers between locations (`draft → requested → shipped → received`,
//! or cancelled before shipping) and replenishment: what each location
//! should receive, and turning that into a transfer request in one call.
//! The rules are `comptoir_app::inventory::transfers`'s; these handlers
//! authorize and answer.

use axum::Extension;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::{Access, Reach, State, StockWriter, acting};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;
use crate::platform::idempotency::Idempotent;
use comptoir_app::inventory::transfers as rules;
pub use comptoir_app::inventory::transfers::{
    ReceiveRequest, ReceivedLine, ReplenishRequest, ShipRequest, SuggestionList, SuggestionQuery, SuggestionView,
    TransferLineRequest, TransferLineView, TransferPage, TransferQuery, TransferRequest, TransferView,
};

type RequestInfo = Option<Extension<std::sync::Arc<RequestContext>>>;

/// Prepares a transfer from one location to another, as a draft or
/// already requested. Managers may do so for transfers from or to their
/// stores.
#[utoipa::path(
    post,
    path = "/api/v1/admin/transfers",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    request_body = TransferRequest,
    responses(
        (status = 201, body = TransferView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or neither is yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn create_transfer(
    state: State,
    StockWriter { caller, reach }: StockWriter,
    context: RequestInfo,
    Json(request): Json<TransferRequest>,
) -> Result<Response, ApiError> {
    let created = rules::create_transfer(&state, &reach, acting(&caller, context.as_deref()), &request).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Transfers from or to the locations the caller reaches, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/transfers",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(TransferQuery),
    responses(
        (status = 200, body = TransferPage),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_transfers(
    state: State,
    caller: Caller,
    Query(query): Query<TransferQuery>,
) -> Result<Json<TransferPage>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_transfers(&state, &reach, &query).await?))
}

/// A transfer with its lines.
#[utoipa::path(
    get,
    path = "/api/v1/admin/transfers/{id}",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TransferView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_transfer(state: State, caller: Caller, Path(id): Path<Uuid>) -> Result<Json<TransferView>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::get_transfer(&state, &reach, id).await?))
}

/// Asks the source to send a draft transfer.
#[utoipa::path(
    post,
    path = "/api/v1/admin/transfers/{id}/request",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TransferView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "Not a draft", body = crate::error::Problem),
    )
)]
pub async fn request_transfer(
    state: State,
    StockWriter { caller, reach }: StockWriter,
    context: RequestInfo,
    Path(id): Path<Uuid>,
) -> Result<Json<TransferView>, ApiError> {
    let acting = acting(&caller, context.as_deref());
    Ok(Json(rules::request_transfer(&state, &reach, acting, id).await?))
}

/// Cancels a draft or requested transfer (a shipped one is in transit:
/// only receiving it ends it).
#[utoipa::path(
    post,
    path = "/api/v1/admin/transfers/{id}/cancel",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TransferView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "Already shipped, received or cancelled", body = crate::error::Problem),
    )
)]
pub async fn cancel_transfer(
    state: State,
    StockWriter { caller, reach }: StockWriter,
    context: RequestInfo,
    Path(id): Path<Uuid>,
) -> Result<Json<TransferView>, ApiError> {
    let acting = acting(&caller, context.as_deref());
    Ok(Json(rules::cancel_transfer(&state, &reach, acting, id).await?))
}

/// Ships a requested transfer: its units leave the source's stock (one
/// `transfer_out` movement per line) and are in transit. Not enough stock
/// at the source answers 409 `stock.insufficient` naming the lines, and
/// nothing moves. Takes an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/transfers/{id}/ship",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ShipRequest,
    responses(
        (status = 200, body = TransferView),
        (status = 400, description = "No or a malformed Idempotency-Key", body = crate::error::Problem),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "Not requested, or not enough stock", body = crate::error::Problem),
    )
)]
pub async fn ship_transfer(
    StockWriter { caller, reach }: StockWriter,
    context: RequestInfo,
    Path(id): Path<Uuid>,
    mut request: Idempotent<ShipRequest>,
) -> Result<Response, ApiError> {
    let acting = acting(&caller, context.as_deref());
    let answer = rules::ship_transfer(&mut request.tx, &reach, acting, id).await?;
    request.complete(StatusCode::OK, &answer).await
}

/// Receives a shipped transfer at its destination: the units put on the
/// shelf enter its stock (one `transfer_in` movement per line); damaged
/// and missing units are recorded on the line. Takes an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/transfers/{id}/receive",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header)),
    request_body = ReceiveRequest,
    responses(
        (status = 200, body = TransferView),
        (status = 400, description = "No or a malformed Idempotency-Key", body = crate::error::Problem),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "Not shipped", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn receive_transfer(
    StockWriter { caller, reach }: StockWriter,
    context: RequestInfo,
    Path(id): Path<Uuid>,
    mut request: Idempotent<ReceiveRequest>,
) -> Result<Response, ApiError> {
    let acting = acting(&caller, context.as_deref());
    let answer = rules::receive_transfer(&mut request.tx, &reach, acting, id, &request.body).await?;
    request.complete(StatusCode::OK, &answer).await
}

/// What a location should receive, most urgent first: from its sales over
/// the period (velocity), the lead time, and the stock it has and has on
/// its way, up to its target level.
#[utoipa::path(
    get,
    path = "/api/v1/admin/replenishment/suggestions",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(SuggestionQuery),
    responses(
        (status = 200, body = SuggestionList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn list_suggestions(
    state: State,
    caller: Caller,
    Query(query): Query<SuggestionQuery>,
) -> Result<Json<SuggestionList>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_suggestions(&state, &reach, &query).await?))
}

/// Creates a `requested` transfer to the location from the source, one line
/// per suggestion, each capped at what the source has available. 422
/// `replenishment.nothing_to_send` when nothing is both needed and there.
#[utoipa::path(
    post,
    path = "/api/v1/admin/replenishment/transfers",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    request_body = ReplenishRequest,
    responses(
        (status = 201, body = TransferView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such location (or not yours)", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn replenish(
    state: State,
    StockWriter { caller, reach }: StockWriter,
    context: RequestInfo,
    Json(request): Json<ReplenishRequest>,
) -> Result<Response, ApiError> {
    let created = rules::replenish(&state, &reach, acting(&caller, context.as_deref()), &request).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}
