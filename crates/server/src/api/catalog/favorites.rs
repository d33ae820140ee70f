//! A signed-in shopper's favourites (wishlist).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::State;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path};
pub use comptoir_app::catalog::favorites::{self, Favorite, FavoriteList};

/// Your favourites, most recently added first.
#[utoipa::path(
    get,
    path = "/api/v1/me/favorites",
    tag = "catalog",
    security(("bearer" = [])),
    responses(
        (status = 200, body = FavoriteList),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "API keys have no favourites", body = crate::error::Problem),
    )
)]
pub async fn list_favorites(state: State, caller: Caller) -> Result<Json<FavoriteList>, ApiError> {
    let user = caller.user()?;
    Ok(Json(favorites::list(&state, user.id).await?))
}

/// Adds a product to your favourites; adding it again changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/me/favorites/{product_id}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path)),
    responses(
        (status = 204, description = "The product is among your favourites"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, description = "No such product on sale", body = crate::error::Problem),
    )
)]
pub async fn add_favorite(state: State, caller: Caller, Path(product_id): Path<Uuid>) -> Result<Response, ApiError> {
    let user = caller.user()?;
    favorites::add(&state, user.id, product_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes a product from your favourites; removing it again changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/me/favorites/{product_id}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path)),
    responses(
        (status = 204, description = "The product is not among your favourites"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn remove_favorite(state: State, caller: Caller, Path(product_id): Path<Uuid>) -> Result<Response, ApiError> {
    let user = caller.user()?;
    favorites::remove(&state, user.id, product_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
