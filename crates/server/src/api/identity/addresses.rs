//! The signed-in user's address book, with default shipping and billing
//! addresses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::State;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path};
pub use comptoir_app::identity::addresses::{self, AddressList, AddressRequest, AddressView};

/// The signed-in user's addresses, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/addresses",
    tag = "identity",
    security(("bearer" = [])),
    responses((status = 200, body = AddressList), (status = 401, body = crate::error::Problem)),
)]
pub async fn list_addresses(
    axum::extract::State(state): State,
    Caller(caller): Caller,
) -> Result<Json<AddressList>, ApiError> {
    let user = caller.user()?;
    Ok(Json(addresses::list(&state, user.id).await?))
}

/// Adds an address. Marking it a default takes the flag from the others.
#[utoipa::path(
    post,
    path = "/api/v1/me/addresses",
    tag = "identity",
    security(("bearer" = [])),
    request_body = AddressRequest,
    responses(
        (status = 201, body = AddressView),
        (status = 401, body = crate::error::Problem),
        (status = 422, description = "Every invalid field: a French postal code has five digits, a country is ISO 3166-1.", body = crate::error::Problem),
    ),
)]
pub async fn create_address(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    Json(request): Json<AddressRequest>,
) -> Result<Response, ApiError> {
    let user = caller.user()?;
    let added = addresses::add(&state, user.id, request).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// Changes an address.
#[utoipa::path(
    patch,
    path = "/api/v1/me/addresses/{id}",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = AddressRequest,
    responses(
        (status = 200, body = AddressView),
        (status = 401, body = crate::error::Problem),
        (status = 404, description = "Not one of yours.", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
)]
pub async fn update_address(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    Path(id): Path<Uuid>,
    Json(request): Json<AddressRequest>,
) -> Result<Json<AddressView>, ApiError> {
    let user = caller.user()?;
    Ok(Json(addresses::change(&state, user.id, id, request).await?))
}

/// Removes an address.
#[utoipa::path(
    delete,
    path = "/api/v1/me/addresses/{id}",
    tag = "identity",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, body = crate::error::Problem),
        (status = 404, description = "Not one of yours.", body = crate::error::Problem),
    ),
)]
pub async fn delete_address(
    axum::extract::State(state): State,
    Caller(caller): Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let user = caller.user()?;
    addresses::remove(&state, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
