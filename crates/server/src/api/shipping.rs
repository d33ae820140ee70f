//! Shipping: the methods administrators configure, and the options a cart
//! can use (delivery at a flat rate or by weight, free above an amount, or
//! collection in a store that holds the whole cart).

use axum::Extension;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use comptoir_db::Optional;
use comptoir_db::shipping::{self as db, CODE_TAKEN, ShippingMethod};
use comptoir_domain::identity::{parse_country, parse_postal_code};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::api::cart::{State, cart_not_found, check_access, shopper};
use crate::api::catalog::{IfMatch, audit, versioned};
use crate::auth::{Caller, MaybeCaller};
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path, Query};
use crate::http::RequestContext;
pub use comptoir_app::shipping::{ShippingKind, ShippingOption, WeightTier, options_for, tiers_of};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShippingMethodView {
    pub id: Uuid,
    #[schema(example = "colissimo")]
    pub code: String,
    pub name: String,
    pub kind: ShippingKind,
    /// For `flat` and `click_and_collect`.
    pub price_minor: i64,
    /// For `weight_tiers`, ascending.
    pub tiers: Vec<WeightTier>,
    pub free_above_minor: Option<i64>,
    pub countries: Vec<String>,
    pub active: bool,
    pub position: i32,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<ShippingMethod> for ShippingMethodView {
    fn from(m: ShippingMethod) -> Self {
        Self {
            id: m.id,
            tiers: tiers_of(&m.tiers),
            kind: ShippingKind::parse(&m.kind),
            code: m.code,
            name: m.name,
            price_minor: m.price_minor,
            free_above_minor: m.free_above_minor,
            countries: m.countries,
            active: m.active,
            position: m.position,
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShippingMethodList {
    pub items: Vec<ShippingMethodView>,
}

// The bounds are those of `apply_request`.
/// A new method (`code`, `name` and `kind` required), or the fields to change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingMethodRequest {
    #[schema(min_length = 2, max_length = 32, pattern = r"^[a-z0-9][a-z0-9_-]*$")]
    pub code: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub kind: Option<ShippingKind>,
    /// For `flat` and `click_and_collect`, VAT included, in cents.
    #[schema(minimum = 0, maximum = 100_000_000)] // MAX_PRICE
    pub price_minor: Option<i64>,
    /// For `weight_tiers`, ascending by `max_grams`.
    #[schema(max_items = 20)]
    pub tiers: Option<Vec<WeightTier>>,
    /// `null` removes the threshold.
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 100_000_000)] // MAX_PRICE
    pub free_above_minor: Option<Option<i64>>,
    /// Assigned ISO 3166-1 alpha-2 codes, such as FR.
    #[schema(min_items = 1, max_items = 250, pattern = r"^[A-Za-z]{2}$")]
    pub countries: Option<Vec<String>>,
    pub active: Option<bool>,
    pub position: Option<i32>,
}

const MAX_PRICE: i64 = 100_000_000;

fn apply_request(request: ShippingMethodRequest, m: &mut ShippingMethod, errors: &mut Vec<FieldError>) {
    if let Some(code) = request.code {
        let valid = (2..=32).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && !code.starts_with(['-', '_']);
        if valid {
            m.code = code;
        } else {
            errors.push(FieldError::new(
                "code",
                "invalid",
                "2 to 32 lowercase letters, digits, - and _",
            ));
        }
    }
    if let Some(name) = request.name {
        let name = name.trim().to_owned();
        if (1..=100).contains(&name.chars().count()) {
            m.name = name;
        } else {
            errors.push(FieldError::new("name", "invalid", "1 to 100 characters"));
        }
    }
    if let Some(kind) = request.kind {
        m.kind = kind.as_str().to_owned();
    }
    if let Some(price) = request.price_minor {
        if (0..=MAX_PRICE).contains(&price) {
            m.price_minor = price;
        } else {
            errors.push(FieldError::new("price_minor", "out_of_range", "0 or more cents"));
        }
    }
    if let Some(tiers) = request.tiers {
        let ascending = tiers.windows(2).all(|w| w[0].max_grams < w[1].max_grams);
        let sane = tiers
            .iter()
            .all(|t| t.max_grams > 0 && t.max_grams <= 10_000_000 && (0..=MAX_PRICE).contains(&t.price_minor));
        if tiers.len() <= 20 && ascending && sane {
            m.tiers = json!(tiers);
        } else {
            errors.push(FieldError::new(
                "tiers",
                "invalid",
                "at most 20 tiers, ascending by max_grams, with positive weights and prices of 0 or more",
            ));
        }
    }
    if let Some(threshold) = request.free_above_minor {
        match threshold {
            Some(t) if !(0..=MAX_PRICE).contains(&t) => {
                errors.push(FieldError::new("free_above_minor", "out_of_range", "0 or more cents"));
            }
            other => m.free_above_minor = other,
        }
    }
    if let Some(countries) = request.countries {
        let parsed: Result<Vec<String>, _> = countries.iter().map(|c| parse_country(c)).collect();
        match parsed {
            Ok(parsed) if !parsed.is_empty() && parsed.len() <= 250 => m.countries = parsed,
            _ => errors.push(FieldError::new(
                "countries",
                "invalid",
                "one or more ISO 3166-1 alpha-2 codes",
            )),
        }
    }
    if let Some(active) = request.active {
        m.active = active;
    }
    if let Some(position) = request.position {
        m.position = position;
    }
    if m.kind == "weight_tiers" && tiers_of(&m.tiers).is_empty() {
        errors.push(FieldError::new(
            "tiers",
            "required",
            "a weight-priced method needs its tiers",
        ));
    }
}

fn code_taken(err: comptoir_db::Error) -> ApiError {
    match err {
        comptoir_db::Error::Conflict { constraint } if constraint == CODE_TAKEN => {
            ApiError::conflict("shipping.code_taken", "Another shipping method has this code.")
        }
        other => other.into(),
    }
}

fn method_not_found() -> ApiError {
    ApiError::not_found("shipping.method_not_found", "No such shipping method.")
}

fn actor(caller: &Caller) -> Result<comptoir_db::platform::audit::Actor, ApiError> {
    let user = caller.require_admin()?;
    Ok(comptoir_db::platform::audit::Actor::User(user.id))
}

/// Every shipping method, active or not.
#[utoipa::path(
    get,
    path = "/api/v1/admin/shipping-methods",
    tag = "cart",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ShippingMethodList),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
    )
)]
pub async fn list_methods(state: State, caller: Caller) -> Result<Json<ShippingMethodList>, ApiError> {
    caller.require_admin()?;
    let mut conn = state.db.acquire().await?;
    let items = db::list_methods(&mut conn, false)
        .await?
        .into_iter()
        .map(ShippingMethodView::from)
        .collect();
    Ok(Json(ShippingMethodList { items }))
}

/// Adds a shipping method.
#[utoipa::path(
    post,
    path = "/api/v1/admin/shipping-methods",
    tag = "cart",
    security(("bearer" = [])),
    request_body = ShippingMethodRequest,
    responses(
        (status = 201, body = ShippingMethodView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 409, description = "The code is taken", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn create_method(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Json(request): Json<ShippingMethodRequest>,
) -> Result<Response, ApiError> {
    let actor = actor(&caller)?;
    let mut errors = Vec::new();
    for (field, given) in [
        ("code", request.code.is_some()),
        ("name", request.name.is_some()),
        ("kind", request.kind.is_some()),
    ] {
        if !given {
            errors.push(FieldError::new(field, "required", "is required"));
        }
    }
    let now = OffsetDateTime::now_utc();
    let mut method = ShippingMethod {
        id: Uuid::now_v7(),
        code: String::new(),
        name: String::new(),
        kind: "flat".into(),
        price_minor: 0,
        tiers: json!([]),
        free_above_minor: None,
        countries: vec!["FR".into()],
        active: true,
        position: 0,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    apply_request(request, &mut method, &mut errors);
    ApiError::unless_valid(errors)?;
    let mut tx = state.db.begin().await?;
    let method = db::save_method(&mut tx, &method).await.map_err(code_taken)?;
    audit(
        &mut tx,
        context.as_deref(),
        actor,
        "shipping.method.created",
        ("shipping_method", method.id),
        json!({"code": method.code}),
    )
    .await?;
    tx.commit().await?;
    Ok(versioned(
        StatusCode::CREATED,
        method.version,
        ShippingMethodView::from(method),
    ))
}

/// Changes a shipping method (`If-Match` with the version read).
#[utoipa::path(
    patch,
    path = "/api/v1/admin/shipping-methods/{id}",
    tag = "cart",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The version you edited")),
    request_body = ShippingMethodRequest,
    responses(
        (status = 200, body = ShippingMethodView),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The code is taken", body = crate::error::Problem),
        (status = 412, description = "Changed since that version", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn update_method(
    state: State,
    caller: Caller,
    if_match: IfMatch,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
    Json(request): Json<ShippingMethodRequest>,
) -> Result<Response, ApiError> {
    let actor = actor(&caller)?;
    let mut tx = state.db.begin().await?;
    let mut method = db::lock_method(&mut tx, id)
        .await
        .optional()?
        .ok_or_else(method_not_found)?;
    if_match.check(method.version)?;
    let mut errors = Vec::new();
    apply_request(request, &mut method, &mut errors);
    ApiError::unless_valid(errors)?;
    let method = db::save_method(&mut tx, &method).await.map_err(code_taken)?;
    audit(
        &mut tx,
        context.as_deref(),
        actor,
        "shipping.method.updated",
        ("shipping_method", id),
        json!({"version": method.version}),
    )
    .await?;
    tx.commit().await?;
    Ok(versioned(
        StatusCode::OK,
        method.version,
        ShippingMethodView::from(method),
    ))
}

/// Removes a shipping method.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/shipping-methods/{id}",
    tag = "cart",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
    )
)]
pub async fn delete_method(
    state: State,
    caller: Caller,
    context: Option<Extension<std::sync::Arc<RequestContext>>>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = actor(&caller)?;
    let mut tx = state.db.begin().await?;
    db::lock_method(&mut tx, id)
        .await
        .optional()?
        .ok_or_else(method_not_found)?;
    db::delete_method(&mut tx, id).await?;
    audit(
        &mut tx,
        context.as_deref(),
        actor,
        "shipping.method.deleted",
        ("shipping_method", id),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShippingOptionList {
    pub items: Vec<ShippingOption>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OptionsQuery {
    /// An assigned ISO 3166-1 alpha-2 code, such as FR.
    #[param(pattern = r"^[A-Za-z]{2}$")] // parse_country
    pub country: String,
    /// Five digits for France (and its overseas departments and
    /// collectivities, and Monaco).
    #[param(pattern = r"^[A-Za-z0-9 -]{2,10}$")] // parse_postal_code
    pub postal_code: Option<String>,
}

/// The ways this cart can travel to the given address, cheapest first:
/// delivery methods that serve the country (and can carry the cart's
/// weight), and collection in each store that holds the whole cart now.
#[utoipa::path(
    get,
    path = "/api/v1/carts/{id}/shipping-options",
    tag = "cart",
    security((), ("bearer" = [])),
    params(("id" = Uuid, Path), OptionsQuery, ("X-Cart-Token" = Option<String>, Header, description = "A guest's cart token")),
    responses(
        (status = 200, body = ShippingOptionList),
        (status = 404, description = "No such cart, or not yours", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
pub async fn shipping_options(
    state: State,
    caller: MaybeCaller,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Query(query): Query<OptionsQuery>,
) -> Result<Json<ShippingOptionList>, ApiError> {
    let country = parse_country(&query.country)
        .map_err(|message| ApiError::validation(vec![FieldError::new("country", "invalid", message)]))?;
    if let Some(postal_code) = &query.postal_code {
        parse_postal_code(&country, postal_code)
            .map_err(|message| ApiError::validation(vec![FieldError::new("postal_code", "invalid", message)]))?;
    }
    let mut conn = state.db.acquire().await?;
    let cart = comptoir_db::cart::get_cart(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(cart_not_found)?;
    check_access(&cart, &shopper(&caller, &headers))?;
    let lines = comptoir_db::cart::cart_lines(&mut conn, cart.id).await?;
    let items = options_for(&mut conn, &lines, &country).await?;
    Ok(Json(ShippingOptionList { items }))
}
