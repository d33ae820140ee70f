//! An account's address book, with default shipping and billing addresses.
//! Every address is checked by the domain's one postal-address rule, the
//! checkout's too.

use comptoir_db::identity::{self as db, Address};
use comptoir_domain::identity::address::{PostalAddress, RawAddress};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::field_error;
use crate::Context;
use crate::crypto::FieldCipher;
use crate::error::{AppError, FieldError};

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
    pub fn new(address: Address, cipher: &FieldCipher) -> Self {
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

// The bounds are those of `apply` (the label) and of the domain's
// PostalAddress::parse (NAME_MAX, COMPANY_MAX, LINE_MAX, CITY_MAX,
// parse_postal_code, parse_country, parse_phone); text parts refuse
// control characters.
/// A new address, or the fields to change (on `PATCH`, absent fields stay;
/// an empty string clears an optional one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    #[schema(max_length = 50, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub label: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub last_name: Option<String>,
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub company: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub line1: Option<String>,
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub line2: Option<String>,
    /// Five digits for France (and its overseas departments and
    /// collectivities, and Monaco).
    #[schema(pattern = r"^[A-Za-z0-9 -]{2,10}$")]
    pub postal_code: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub city: Option<String>,
    /// An assigned ISO 3166-1 alpha-2 code, such as FR.
    #[schema(pattern = r"^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// 6 to 15 digits, with spaces, dots, dashes or brackets between them
    /// and an optional leading `+`. Stored encrypted.
    #[schema(pattern = r"^$|^\+?[ .()-]*([0-9][ .()-]*){6,15}$")]
    pub phone: Option<String>,
    pub is_default_shipping: Option<bool>,
    pub is_default_billing: Option<bool>,
}

/// Applies `request` onto `address`, checking the address that results by
/// the domain's one postal-address rule (the checkout's too); every invalid
/// field is reported.
fn apply(request: AddressRequest, address: &mut Address, cipher: &FieldCipher) -> Result<(), AppError> {
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
    AppError::unless_valid(errors)
}

/// The account's addresses, oldest first.
pub async fn list(ctx: &Context, user_id: Uuid) -> Result<AddressList, AppError> {
    let mut conn = ctx.db.acquire().await.map_err(AppError::unavailable)?;
    let items = db::list_addresses(&mut conn, user_id)
        .await?
        .into_iter()
        .map(|a| AddressView::new(a, &ctx.cipher))
        .collect();
    Ok(AddressList { items })
}

/// Adds an address. Marking it a default takes the flag from the others.
pub async fn add(ctx: &Context, user_id: Uuid, request: AddressRequest) -> Result<AddressView, AppError> {
    let now = OffsetDateTime::now_utc();
    let mut address = Address {
        id: Uuid::now_v7(),
        user_id,
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
    apply(request, &mut address, &ctx.cipher)?;
    let mut tx = ctx.db.begin().await.map_err(AppError::unavailable)?;
    let saved = db::save_address(&mut tx, &address).await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(AddressView::new(saved, &ctx.cipher))
}

fn no_such_address() -> AppError {
    AppError::not_found("address.not_found", "You have no address with this id.")
}

/// Changes one of the account's addresses; anyone else's is not found.
pub async fn change(ctx: &Context, user_id: Uuid, id: Uuid, request: AddressRequest) -> Result<AddressView, AppError> {
    let mut tx = ctx.db.begin().await.map_err(AppError::unavailable)?;
    let mut address = db::address_for_update(&mut tx, user_id, id)
        .await?
        .ok_or_else(no_such_address)?;
    apply(request, &mut address, &ctx.cipher)?;
    let saved = db::save_address(&mut tx, &address).await?;
    tx.commit().await.map_err(AppError::unavailable)?;
    Ok(AddressView::new(saved, &ctx.cipher))
}

/// Removes one of the account's addresses.
pub async fn remove(ctx: &Context, user_id: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut conn = ctx.db.acquire().await.map_err(AppError::unavailable)?;
    if db::delete_address(&mut conn, user_id, id).await? {
        Ok(())
    } else {
        Err(no_such_address())
    }
}
