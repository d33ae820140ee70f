//! What a shopper may buy now: online (the stock of every location that
//! ships) and in each store that offers click and collect.

use super::State;
use crate::error::ApiError;
use crate::extract::{Json, Path};
pub use comptoir_app::inventory::availability::{ProductAvailability, VariantAvailability};

/// A product's stock as shoppers see it, read fresh (never cached): online
/// and per click-and-collect store, for each variant.
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}/availability",
    tag = "inventory",
    params(("id" = String, Path, description = "The product's id or slug")),
    responses(
        (status = 200, body = ProductAvailability),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn get_availability(state: State, Path(id): Path<String>) -> Result<Json<ProductAvailability>, ApiError> {
    Ok(Json(
        comptoir_app::inventory::availability::of_product(&state, &id).await?,
    ))
}
