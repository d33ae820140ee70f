//! Every route of the API, each registered with its OpenAPI documentation.

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::catalog::{attribute_types, categories, definitions, favorites, import, listing, products, variants};
use crate::api::identity::{addresses, api_keys, auth, me, recovery, users};
use crate::api::inventory::{availability, locations, stock, transfers};
use crate::api::orders::{admin as orders_admin, documents as orders_documents};
use crate::api::platform::{health, metrics};
use crate::api::{cart, checkout, orders, payments, shipping};
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
        (name = "catalog", description = "Categories, products and variants, attribute types, search with facets, \
favourites, and the product CSV. Public reads carry `ETag` and answer `If-None-Match` with 304; \
administrative writes take `If-Match` and answer 412 on a stale version."),
        (name = "cart", description = "Carts: a guest's (reached with `X-Cart-Token`) or a signed-in customer's, \
with fresh prices, totals with VAT per rate, and warnings for lines whose price or availability changed."),
        (name = "inventory", description = "Locations, stock per variant and location with its append-only ledger, \
adjustments (with `Idempotency-Key`), thresholds, low-stock alerts, reservations and product availability. \
Store managers and cashiers reach their own stores only; another store answers 404."),
        (name = "orders", description = "Checkout (with `Idempotency-Key`), orders and their lifecycle, payments through \
the built-in test gateway or Stripe, payment webhooks, refunds with credit notes. An order is seen by its owner \
(a guest sends the cart's `X-Cart-Token`) and the staff; anyone else gets 404."),
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
        .routes(routes!(listing::list_products))
        .routes(routes!(listing::get_product))
        .routes(routes!(categories::list_categories))
        .routes(routes!(attribute_types::validate_value))
        .routes(routes!(favorites::list_favorites))
        .routes(routes!(favorites::add_favorite, favorites::remove_favorite))
        .routes(routes!(categories::admin_list_categories, categories::create_category))
        .routes(routes!(
            categories::get_category,
            categories::update_category,
            categories::delete_category
        ))
        .routes(routes!(
            attribute_types::list_attribute_types,
            attribute_types::create_attribute_type
        ))
        .routes(routes!(
            attribute_types::get_attribute_type,
            attribute_types::update_attribute_type,
            attribute_types::delete_attribute_type
        ))
        .routes(routes!(definitions::list_definitions, definitions::create_definition))
        .routes(routes!(definitions::update_definition, definitions::delete_definition))
        .routes(routes!(products::admin_list_products, products::create_product))
        .routes(routes!(import::import_products))
        .routes(routes!(import::export_products))
        .routes(routes!(
            products::get_product,
            products::update_product,
            products::delete_product
        ))
        .routes(routes!(variants::create_variant))
        .routes(routes!(variants::update_variant, variants::delete_variant))
        .routes(routes!(availability::get_availability))
        .routes(routes!(locations::list_locations, locations::create_location))
        .routes(routes!(locations::update_location))
        .routes(routes!(stock::list_stock))
        .routes(routes!(stock::adjust_stock))
        .routes(routes!(stock::list_movements))
        .routes(routes!(stock::set_thresholds))
        .routes(routes!(stock::list_alerts))
        .routes(routes!(stock::list_reservations))
        .routes(routes!(transfers::list_transfers, transfers::create_transfer))
        .routes(routes!(transfers::get_transfer))
        .routes(routes!(transfers::request_transfer))
        .routes(routes!(transfers::ship_transfer))
        .routes(routes!(transfers::receive_transfer))
        .routes(routes!(transfers::cancel_transfer))
        .routes(routes!(transfers::list_suggestions))
        .routes(routes!(transfers::replenish))
        .routes(routes!(cart::create_cart))
        .routes(routes!(cart::get_cart))
        .routes(routes!(cart::add_item))
        .routes(routes!(cart::update_item, cart::delete_item))
        .routes(routes!(shipping::shipping_options))
        .routes(routes!(shipping::list_methods, shipping::create_method))
        .routes(routes!(shipping::update_method, shipping::delete_method))
        .routes(routes!(checkout::checkout))
        .routes(routes!(orders::list_my_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::cancel_order))
        .routes(routes!(orders::pay_order))
        .routes(routes!(orders_documents::get_invoice))
        .routes(routes!(orders_documents::get_credit_note))
        .routes(routes!(orders_documents::get_packing_slip))
        .routes(routes!(orders_admin::list_orders))
        .routes(routes!(orders_admin::transition_order))
        .routes(routes!(orders_admin::refund_order))
        .routes(routes!(payments::stripe_webhook))
        .routes(routes!(payments::authenticate_page, payments::authenticate_charge))
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn openapi() -> serde_json::Value {
    crate::api::platform::contract::complete(&routes().into_openapi())
}

/// The API's documents and their browsers: the OpenAPI document, Swagger UI
/// and ReDoc.
pub fn docs(openapi: utoipa::openapi::OpenApi) -> axum::Router<AppState> {
    crate::api::platform::docs::router(crate::api::platform::contract::complete(&openapi))
}
