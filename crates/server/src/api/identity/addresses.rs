//! The signed-in user's address book, with default shipping and billing
//! addresses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use comptoir_db::identity::{self as db, Address};
use comptoir_domain::identity::address::{PostalAddress, RawAddress};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{State, field_error};
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

/// Applies `request` onto `address`, checking the address that results by
/// the domain's one postal-address rule (the checkout's too); every invalid
/// field is reported.
fn apply(request: AddressRequest, address: &mut Address, cipher: &FieldCipher) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(label) = request.label {
        let label = label.trim();
        if label.chars().count() > 50 {
            errors.push(FieldError::new("label", "too_long", "at most 50 characters"));
        } else if label.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "label",
                "invalid",
                "control characters are not allowed",
            ));
        } else {
            address.label = (!label.is_empty()).then(|| label.to_owned());
        }
    }
    // Absent fields keep their value; the phone, kept sealed, is checked
    // only when it is sent.
    let merged = RawAddress {
        first_name: Some(request.first_name.as_deref().unwrap_or(&address.first_name)),
        last_name: Some(request.last_name.as_deref().unwrap_or(&address.last_name)),
        company: request.company.as_deref().or(address.company.as_deref()),
        line1: Some(request.line1.as_deref().unwrap_or(&address.line1)),
        line2: request.line2.as_deref().or(address.line2.as_deref()),
        postal_code: Some(request.postal_code.as_deref().unwrap_or(&address.postal_code)),
        city: Some(request.city.as_deref().unwrap_or(&address.city)),
        country: Some(request.country.as_deref().unwrap_or(&address.country)),
        phone: request.phone.as_deref(),
    };
    match PostalAddress::parse(merged) {
        Ok(parsed) => {
            address.first_name = parsed.first_name;
            address.last_name = parsed.last_name;
            address.company = parsed.company;
            address.line1 = parsed.line1;
            address.line2 = parsed.line2;
            address.postal_code = parsed.postal_code;
            address.city = parsed.city;
            address.country = parsed.country;
            if request.phone.is_some() {
                address.phone_encrypted = match parsed.phone {
                    Some(phone) => Some(cipher.encrypt(&phone).map_err(anyhow::Error::from)?),
                    None => None,
                };
            }
        }
        Err(wrong) => errors.extend(wrong.into_iter().map(field_error)),
    }
    if let Some(flag) = request.is_default_shipping {
        address.is_default_shipping = flag;
    }
    if let Some(flag) = request.is_default_billing {
        address.is_default_billing = flag;
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
