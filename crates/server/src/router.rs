//! Every route of the API, each registered with its OpenAPI documentation.

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::platform::{health, metrics};
use crate::app::AppState;
use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Comptoir API",
        description = "The commerce platform of retail chains that sell online, in their stores, to consumers and to businesses.\n\n\
Errors are RFC 9457 problem documents (`application/problem+json`) with a stable dotted `code`; \
422 answers list every invalid field in `errors`. Every response carries `X-Request-Id` and `X-Instance-Id`. \
POSTs that move money or stock take an `Idempotency-Key` header.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    tags(
        (name = "platform", description = "Health, metrics and the API description itself."),
    ),
    components(schemas(Problem, FieldError)),
)]
struct ApiDoc;

/// The routes of the application with their documentation.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(metrics::render))
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}
