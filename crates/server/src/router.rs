//! Every route of the API, each registered with its OpenAPI documentation.

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::identity::{addresses, api_keys, auth, me, recovery, users};
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
        (name = "identity", description = "Accounts, sign-in, sessions, roles and API keys."),
    ),
    modifiers(&SecuritySchemes),
    components(schemas(Problem, FieldError)),
)]
struct ApiDoc;

/// `bearer`: an access token from `/auth/login`; `api_key`: `X-API-Key`.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The routes of the application with their documentation.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(metrics::render))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(recovery::request_password_reset))
        .routes(routes!(recovery::confirm_password_reset))
        .routes(routes!(recovery::request_email_verification))
        .routes(routes!(recovery::confirm_email_verification))
        .routes(routes!(me::get_me, me::update_me))
        .routes(routes!(me::change_password))
        .routes(routes!(me::list_sessions))
        .routes(routes!(me::delete_session))
        .routes(routes!(addresses::list_addresses, addresses::create_address))
        .routes(routes!(addresses::update_address, addresses::delete_address))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user))
        .routes(routes!(users::grant_role))
        .routes(routes!(users::revoke_role))
        .routes(routes!(users::disable_user))
        .routes(routes!(users::enable_user))
        .routes(routes!(api_keys::list_api_keys, api_keys::create_api_key))
        .routes(routes!(api_keys::revoke_api_key))
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}
