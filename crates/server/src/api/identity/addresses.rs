//! The signed-in user's address book, with default shipping and billing
//! addresses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::identity::{self as db, Address};
use comptoir_domain::identity::{parse_country, parse_phone, parse_postal_code};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{State, parse_name};
use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::extract::{Json, Path};
use comptoir_app::crypto::FieldCipher;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AddressView {
    pub id: Uuid,
    #[schema(example = "Maison")]
    pub label: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    #[schema(example = "12 rue de Siam")]
    pub line1: String,
    pub line2: Option<String>,
    #[schema(example = "29200")]
    pub postal_code: String,
    #[schema(example = "Brest")]
    pub city: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR")]
    pub country: String,
    /// Stored encrypted.
    pub phone: Option<String>,
    pub is_default_shipping: bool,
    pub is_default_billing: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl AddressView {
    fn new(address: Address, cipher: &FieldCipher) -> Self {
        Self {
            id: address.id,
            label: address.label,
            first_name: address.first_name,
            last_name: address.last_name,
            company: address.company,
            line1: address.line1,
            line2: address.line2,
            postal_code: address.postal_code,
            city: address.city,
            country: address.country,
            phone: address.phone_encrypted.and_then(|sealed| cipher.decrypt(&sealed).ok()),
            is_default_shipping: address.is_default_shipping,
            is_default_billing: address.is_default_billing,
            created_at: address.created_at,
            updated_at: address.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AddressList {
    pub items: Vec<AddressView>,
}

/// A new address, or the fields to change (on `PATCH`, absent fields stay;
/// an empty string clears an optional one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    pub label: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub is_default_shipping: Option<bool>,
    pub is_default_billing: Option<bool>,
}

/// Applies `request` onto `address`, checking every field; every invalid
/// field is reported.
fn apply(request: AddressRequest, address: &mut Address, cipher: &FieldCipher) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let optional = |value: Option<String>, field: &'static str, max: usize, errors: &mut Vec<FieldError>| {
        value.map(|v| {
            let v = v.trim().to_owned();
            if v.chars().count() > max {
                errors.push(FieldError::new(field, "too_long", format!("at most {max} characters")));
            }
            (!v.is_empty()).then_some(v)
        })
    };
    let required = |value: Option<String>, field: &'static str, max: usize, errors: &mut Vec<FieldError>| {
        value.and_then(|v| {
            let v = v.trim().to_owned();
            let n = v.chars().count();
            if n == 0 || n > max {
                errors.push(FieldError::new(
                    field,
                    "invalid",
                    format!("expected 1 to {max} characters"),
                ));
                None
            } else {
                Some(v)
            }
        })
    };
    if let Some(label) = optional(request.label, "label", 50, &mut errors) {
        address.label = label;
    }
    if let Some(name) = request
        .first_name
        .and_then(|n| parse_name(&n, "first_name", &mut errors))
    {
        address.first_name = name;
    }
    if let Some(name) = request.last_name.and_then(|n| parse_name(&n, "last_name", &mut errors)) {
        address.last_name = name;
    }
    if let Some(company) = optional(request.company, "company", 100, &mut errors) {
        address.company = company;
    }
    if let Some(line1) = required(request.line1, "line1", 200, &mut errors) {
        address.line1 = line1;
    }
    if let Some(line2) = optional(request.line2, "line2", 200, &mut errors) {
        address.line2 = line2;
    }
    if let Some(city) = required(request.city, "city", 100, &mut errors) {
        address.city = city;
    }
    if let Some(country) = request.country {
        match parse_country(&country) {
            Ok(country) => address.country = country,
            Err(message) => errors.push(FieldError::new("country", "invalid", message)),
        }
    }
    if let Some(postal_code) = request.postal_code {
        address.postal_code = postal_code;
    }
    // Checked against the country as it now is, whichever of the two changed.
    if !address.country.is_empty() {
        match parse_postal_code(&address.country, &address.postal_code) {
            Ok(code) => address.postal_code = code,
            Err(message) => errors.push(FieldError::new("postal_code", "invalid", message)),
        }
    }
    match request.phone.as_deref().map(str::trim) {
        None => {}
        Some("") => address.phone_encrypted = None,
        Some(raw) => match parse_phone(raw) {
            Ok(phone) => address.phone_encrypted = Some(cipher.encrypt(&phone).map_err(anyhow::Error::from)?),
            Err(message) => errors.push(FieldError::new("phone", "invalid", message)),
        },
    }
    if let Some(flag) = request.is_default_shipping {
        address.is_default_shipping = flag;
    }
    if let Some(flag) = request.is_default_billing {
        address.is_default_billing = flag;
    }
    for (field, missing) in [
        ("first_name", address.first_name.is_empty()),
        ("last_name", address.last_name.is_empty()),
        ("line1", address.line1.is_empty()),
        ("postal_code", address.postal_code.is_empty()),
        ("city", address.city.is_empty()),
        ("country", address.country.is_empty()),
    ] {
        if missing && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(field, "required", "this field is required"));
        }
    }
    ApiError::unless_valid(errors)
}

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
    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
    let items = db::list_addresses(&mut conn, user.id)
        .await?
        .into_iter()
        .map(|a| AddressView::new(a, &state.cipher))
        .collect();
    Ok(Json(AddressList { items }))
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
    let now = OffsetDateTime::now_utc();
    let mut address = Address {
        id: Uuid::now_v7(),
        user_id: user.id,
        label: None,
        first_name: String::new(),
        last_name: String::new(),
        company: None,
        line1: String::new(),
        line2: None,
        postal_code: String::new(),
        city: String::new(),
        country: String::new(),
        phone_encrypted: None,
        is_default_shipping: false,
        is_default_billing: false,
        created_at: now,
        updated_at: now,
    };
    apply(request, &mut address, &state.cipher)?;
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let saved = db::save_address(&mut tx, &address).await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok((StatusCode::CREATED, Json(AddressView::new(saved, &state.cipher))).into_response())
}

fn no_such_address() -> ApiError {
    ApiError::not_found("address.not_found", "You have no address with this id.")
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
    let mut tx = state.db.begin().await.map_err(ApiError::unavailable)?;
    let mut address = db::address_for_update(&mut tx, user.id, id)
        .await?
        .ok_or_else(no_such_address)?;
    apply(request, &mut address, &state.cipher)?;
    let saved = db::save_address(&mut tx, &address).await?;
    tx.commit().await.map_err(ApiError::unavailable)?;
    Ok(Json(AddressView::new(saved, &state.cipher)))
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
    let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
    if db::delete_address(&mut conn, user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_such_address())
    }
}
