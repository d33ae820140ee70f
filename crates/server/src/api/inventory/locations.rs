//! The warehouse and the stores, with what each does for online orders.
//! The rules are `comptoir_app::inventory::locations`'s; these handlers
//! authorize and answer.

use axum::Extension;
use axum::http::StatusCode;
use axum::response::Response;
use comptoir_domain::identity::ApiScope;
use uuid::Uuid;

use super::{Access, Reach, State, acting};
use crate::api::catalog::{IfMatch, versioned};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::http::RequestContext;
use comptoir_app::inventory::locations as rules;
pub use comptoir_app::inventory::locations::{LocationKind, LocationList, LocationRequest, LocationView};

/// The locations the caller may see: every one for administrators, their
/// own stores for managers and cashiers.
#[utoipa::path(
    get,
    path = "/api/v1/admin/locations",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, body = LocationList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn list_locations(state: State, caller: Caller) -> Result<Json<LocationList>, ApiError> {
    let reach = Reach::of(&caller.0, Access::Read)?;
    Ok(Json(rules::list_locations(&state, &reach).await?))
}

/// Opens a location: the warehouse or a store.
#[utoipa::path(
    post,
    path = "/api/v1/admin/locations",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    request_body = LocationRequest,
    responses(
        (status = 201, body = LocationView, headers(("ETag" = String, description = "The version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 409, description = "The code is taken", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn create_location(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Json(request): Json<LocationRequest>,
) -> Result<Response, ApiError> {
    caller.require_scope(ApiScope::InventoryWrite)?;
    let view = rules::create_location(&state, acting(&caller, context.as_deref()), request).await?;
    Ok(versioned(StatusCode::CREATED, view.version, view))
}

/// Changes a location; `If-Match` with the version read avoids overwriting
/// someone else's change.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/locations/{id}",
    tag = "inventory",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you edited")),
    request_body = LocationRequest,
    responses(
        (status = 200, body = LocationView, headers(("ETag" = String, description = "The new version"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The code is taken", body = crate::error::Problem),
        (status = 412, description = "The location changed since that version", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_location(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
    Json(request): Json<LocationRequest>,
) -> Result<Response, ApiError> {
    let reach = Reach::of(&caller.0, Access::Write)?;
    let acting = acting(&caller, context.as_deref());
    let view = rules::update_location(&state, &reach, acting, if_match.expected(), id, request).await?;
    Ok(versioned(StatusCode::OK, view.version, view))
}
