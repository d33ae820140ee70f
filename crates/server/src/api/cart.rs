//! Carts: a guest reaches theirs with `X-Cart-Token`, a signed-in customer
//! owns theirs. Every answer carries fresh prices, totals with VAT per
//! rate, and warnings for lines whose price or availability changed.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use comptoir_db::cart::{self as db, Cart};
use comptoir_db::{Optional, PgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{MaybeCaller, Principal};
use crate::error::ApiError;
use crate::extract::{Json, Path};
pub use comptoir_app::cart::{
    CartLineView, CartTotals, CartView, CartWarning, MAX_QUANTITY, Shopper, VatLineView, add_units, cart_not_found,
    changed, check_access, check_line, guest_token_opens, merge_guest_cart, price, set_units, view_of,
};
use comptoir_app::identity::tokens::secret_hash;

pub type State = axum::extract::State<crate::app::AppState>;

/// The shopper an API request speaks for: its caller and its `X-Cart-Token`.
pub fn shopper(caller: &MaybeCaller, headers: &HeaderMap) -> Shopper {
    Shopper::new(
        caller.0.as_ref(),
        headers.get("x-cart-token").and_then(|v| v.to_str().ok()),
    )
}

/// Opens a cart. A guest gets its `cart_token` once, in this answer, and
/// sends it as `X-Cart-Token`; a signed-in customer's cart is the account's.
#[utoipa::path(
    post,
    path = "/api/v1/carts",
    tag = "cart",
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = CartView),
        (status = 401, description = "Credentials were sent and are not valid", body = crate::error::Problem),
    )
)]
pub async fn create_cart(state: State, caller: MaybeCaller) -> Result<Response, ApiError> {
    let token = comptoir_app::identity::tokens::new_secret("cart_");
    let owner = match &caller.0 {
        Some(Principal::User(user)) => Some(user.id),
        _ => None,
    };
    let mut conn = state.db.acquire().await?;
    let cart = db::insert_cart(&mut conn, Uuid::now_v7(), &secret_hash(&token), owner).await?;
    let mut view = view_of(&mut conn, &cart).await?;
    view.cart_token = Some(token);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A cart with fresh prices, totals and warnings.
#[utoipa::path(
    get,
    path = "/api/v1/carts/{id}",
    tag = "cart",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = CartView),
        (status = 404, description = "No such cart, or not yours", body = crate::error::Problem),
    )
)]
pub async fn get_cart(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Json<CartView>, ApiError> {
    let mut conn = state.db.acquire().await?;
    let cart = db::get_cart(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(cart_not_found)?;
    check_access(&cart, &shopper(&caller, &headers))?;
    Ok(Json(view_of(&mut conn, &cart).await?))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItemRequest {
    pub variant_id: Uuid,
    /// 1 to 99; added to what the cart already holds of it (at most 99 in all).
    #[schema(minimum = 1, maximum = 99)] // MAX_QUANTITY
    pub quantity: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItemRequest {
    /// 1 to 99.
    #[schema(minimum = 1, maximum = 99)] // MAX_QUANTITY
    pub quantity: i32,
}

/// Opens the cart for a change: locked, and checked against the caller.
async fn cart_for_change(
    conn: &mut PgConnection,
    caller: &MaybeCaller,
    headers: &HeaderMap,
    id: Uuid,
) -> Result<Cart, ApiError> {
    let cart = db::lock_cart(conn, id).await.optional()?.ok_or_else(cart_not_found)?;
    check_access(&cart, &shopper(caller, headers))?;
    Ok(cart)
}

/// Adds units of a variant of an active product.
#[utoipa::path(
    post,
    path = "/api/v1/carts/{id}/items",
    tag = "cart",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    request_body = AddItemRequest,
    responses(
        (status = 201, body = CartView),
        (status = 404, description = "No such cart, or not yours", body = crate::error::Problem),
        (status = 422, description = "An unknown or unsold variant, or a quantity out of range", body = crate::error::Problem),
    )
)]
pub async fn add_item(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(request): Json<AddItemRequest>,
) -> Result<Response, ApiError> {
    let mut tx = state.db.begin().await?;
    let cart = cart_for_change(&mut tx, &caller, &headers, id).await?;
    add_units(&mut tx, &cart, request.variant_id, request.quantity).await?;
    let view = changed(&mut tx, cart.id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Sets a line's quantity.
#[utoipa::path(
    patch,
    path = "/api/v1/carts/{id}/items/{item_id}",
    tag = "cart",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    request_body = UpdateItemRequest,
    responses(
        (status = 200, body = CartView),
        (status = 404, description = "No such cart or line, or not yours", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_item(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((id, item_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<UpdateItemRequest>,
) -> Result<Json<CartView>, ApiError> {
    let mut tx = state.db.begin().await?;
    let cart = cart_for_change(&mut tx, &caller, &headers, id).await?;
    set_units(&mut tx, &cart, item_id, request.quantity).await?;
    let view = changed(&mut tx, cart.id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// Removes a line.
#[utoipa::path(
    delete,
    path = "/api/v1/carts/{id}/items/{item_id}",
    tag = "cart",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path), ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = CartView),
        (status = 404, description = "No such cart or line, or not yours", body = crate::error::Problem),
    )
)]
pub async fn delete_item(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path((id, item_id)): Path<(Uuid, Uuid)>,
) -> Result<Json<CartView>, ApiError> {
    let mut tx = state.db.begin().await?;
    let cart = cart_for_change(&mut tx, &caller, &headers, id).await?;
    check_line(&mut tx, cart.id, item_id).await?;
    db::delete_item(&mut tx, cart.id, item_id).await?;
    let view = changed(&mut tx, cart.id).await?;
    tx.commit().await?;
    Ok(Json(view))
}
