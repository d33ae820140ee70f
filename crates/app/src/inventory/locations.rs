//! The warehouse and the stores, with what each does for online orders.

use comptoir_db::Optional;
use comptoir_db::inventory::{self as db, Location};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::access::{Reach, location_not_found};
use crate::Context;
use crate::error::{AppError, FieldError};
use crate::platform::staff::{Acting, Expected};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Warehouse,
    Store,
}

impl LocationKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Warehouse => "warehouse",
            Self::Store => "store",
        }
    }
}

/// A location as the back office sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LocationView {
    pub id: Uuid,
    #[schema(example = "BREST")]
    pub code: String,
    #[schema(example = "Magasin de Brest")]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: LocationKind,
    /// `{line1, line2, postal_code, city, country}`.
    #[schema(value_type = Object)]
    pub address: Value,
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
    /// By day (`monday`...): `[["09:30", "19:00"]]`, empty when closed.
    #[schema(value_type = Object)]
    pub opening_hours: Value,
    /// Its stock serves online orders.
    pub ships_online: bool,
    /// Shoppers may collect online orders there.
    pub click_and_collect: bool,
    pub active: bool,
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Location> for LocationView {
    fn from(l: Location) -> Self {
        Self {
            id: l.id,
            code: l.code,
            name: l.name,
            kind: if l.kind == "warehouse" {
                LocationKind::Warehouse
            } else {
                LocationKind::Store
            },
            address: l.address,
            timezone: l.timezone,
            opening_hours: l.opening_hours,
            ships_online: l.ships_online,
            click_and_collect: l.click_and_collect,
            active: l.active,
            version: l.version,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocationList {
    pub items: Vec<LocationView>,
}

/// A new location (`code`, `name` and `type` required), or the fields to change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    /// 2 to 32 capitals, digits and dashes; unique.
    pub code: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<LocationKind>,
    #[schema(value_type = Option<Object>)]
    pub address: Option<Value>,
    pub timezone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub opening_hours: Option<Value>,
    pub ships_online: Option<bool>,
    pub click_and_collect: Option<bool>,
    pub active: Option<bool>,
}

const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn is_clock(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 5
        && bytes[2] == b':'
        && text[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && text[3..].parse::<u8>().is_ok_and(|m| m < 60)
}

fn check_opening_hours(hours: &Value) -> bool {
    let Some(days) = hours.as_object() else {
        return false;
    };
    days.iter().all(|(day, ranges)| {
        DAYS.contains(&day.as_str())
            && ranges.as_array().is_some_and(|ranges| {
                ranges.iter().all(|range| match range.as_array().map(Vec::as_slice) {
                    Some([Value::String(open), Value::String(close)]) => {
                        is_clock(open) && is_clock(close) && open < close
                    }
                    _ => false,
                })
            })
    })
}

fn check_address(address: &Value) -> bool {
    address.as_object().is_some_and(|fields| {
        fields.iter().all(|(name, value)| {
            ["line1", "line2", "postal_code", "city", "country"].contains(&name.as_str())
                && value.as_str().is_some_and(|v| v.chars().count() <= 200)
        })
    })
}

/// Applies the request's fields to `location`, naming every invalid one.
fn apply_request(request: LocationRequest, location: &mut Location, errors: &mut Vec<FieldError>) {
    if let Some(code) = request.code {
        let code = code.trim().to_uppercase();
        let valid = (2..=32).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            && !code.starts_with('-');
        if valid {
            location.code = code;
        } else {
            errors.push(FieldError::new(
                "code",
                "invalid",
                "2 to 32 capitals, digits and dashes",
            ));
        }
    }
    if let Some(name) = request.name {
        let name = name.trim().to_owned();
        if (1..=200).contains(&name.chars().count()) {
            location.name = name;
        } else {
            errors.push(FieldError::new("name", "invalid", "1 to 200 characters"));
        }
    }
    if let Some(kind) = request.kind {
        location.kind = kind.as_str().to_owned();
    }
    if let Some(address) = request.address {
        if check_address(&address) {
            location.address = address;
        } else {
            errors.push(FieldError::new(
                "address",
                "invalid",
                "an object of line1, line2, postal_code, city and country, each text of at most 200 characters",
            ));
        }
    }
    if let Some(timezone) = request.timezone {
        let plausible = !timezone.is_empty()
            && timezone.len() <= 64
            && timezone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if plausible {
            location.timezone = timezone;
        } else {
            errors.push(FieldError::new(
                "timezone",
                "invalid",
                "an IANA time zone such as Europe/Paris",
            ));
        }
    }
    if let Some(hours) = request.opening_hours {
        if check_opening_hours(&hours) {
            location.opening_hours = hours;
        } else {
            errors.push(FieldError::new(
                "opening_hours",
                "invalid",
                "by day (monday...sunday): a list of [\"HH:MM\", \"HH:MM\"] ranges, opening before closing",
            ));
        }
    }
    if let Some(ships) = request.ships_online {
        location.ships_online = ships;
    }
    if let Some(collect) = request.click_and_collect {
        location.click_and_collect = collect;
    }
    if let Some(active) = request.active {
        location.active = active;
    }
}

fn code_taken(err: comptoir_db::Error) -> AppError {
    match err {
        comptoir_db::Error::Conflict { constraint } if constraint.starts_with("stores_code") => {
            AppError::conflict("inventory.location_code_taken", "Another location has this code.")
        }
        other => other.into(),
    }
}

/// The locations the caller may see: every one for administrators, their
/// own stores for managers and cashiers.
pub async fn list_locations(ctx: &Context, reach: &Reach) -> Result<LocationList, AppError> {
    let only = reach.filter(None)?;
    let mut conn = ctx.db.acquire().await?;
    let items = db::list_locations(&mut conn, only.as_deref())
        .await?
        .into_iter()
        .map(LocationView::from)
        .collect();
    Ok(LocationList { items })
}

/// Opens a location: the warehouse or a store.
/// (Administrators and `inventory:write` integrations: the caller checks.)
pub async fn create_location(
    ctx: &Context,
    acting: Acting<'_>,
    request: LocationRequest,
) -> Result<LocationView, AppError> {
    let mut errors = Vec::new();
    for (field, given) in [
        ("code", request.code.is_some()),
        ("name", request.name.is_some()),
        ("type", request.kind.is_some()),
    ] {
        if !given {
            errors.push(FieldError::new(field, "required", "is required"));
        }
    }
    let now = OffsetDateTime::now_utc();
    let mut location = Location {
        id: Uuid::now_v7(),
        code: String::new(),
        name: String::new(),
        kind: String::new(),
        address: json!({}),
        timezone: "Europe/Paris".to_owned(),
        opening_hours: json!({}),
        ships_online: true,
        click_and_collect: true,
        active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    apply_request(request, &mut location, &mut errors);
    AppError::unless_valid(errors)?;
    if location.kind == "warehouse" {
        location.click_and_collect = false;
    }
    let mut tx = ctx.db.begin().await?;
    let location = db::save_location(&mut tx, &location).await.map_err(code_taken)?;
    acting
        .record(
            &mut tx,
            "inventory.location.created",
            ("location", location.id),
            json!({"code": location.code}),
        )
        .await?;
    tx.commit().await?;
    Ok(LocationView::from(location))
}

/// Changes a location; `If-Match` with the version read avoids overwriting
/// someone else's change.
pub async fn update_location(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    expected: Expected,
    id: Uuid,
    request: LocationRequest,
) -> Result<LocationView, AppError> {
    reach.check(id)?;
    // A store's manager keeps its details current; what it is and does
    // (code, type, online roles, opening) is the administrators' call.
    let structural = request.code.is_some()
        || request.kind.is_some()
        || request.ships_online.is_some()
        || request.click_and_collect.is_some()
        || request.active.is_some();
    if structural && *reach != Reach::All {
        return Err(AppError::forbidden(
            "Only administrators change a location's code, type, online roles or activity.",
        ));
    }
    let mut tx = ctx.db.begin().await?;
    let mut location = db::lock_location(&mut tx, id)
        .await
        .optional()?
        .ok_or_else(location_not_found)?;
    expected.check(location.version)?;
    let mut errors = Vec::new();
    apply_request(request, &mut location, &mut errors);
    AppError::unless_valid(errors)?;
    if location.kind == "warehouse" {
        location.click_and_collect = false;
    }
    let location = db::save_location(&mut tx, &location).await.map_err(code_taken)?;
    acting
        .record(
            &mut tx,
            "inventory.location.updated",
            ("location", location.id),
            json!({"version": location.version}),
        )
        .await?;
    tx.commit().await?;
    Ok(LocationView::from(location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_hours_are_days_of_ordered_clock_ranges() {
        assert!(check_opening_hours(
            &json!({"monday": [["09:30", "12:30"], ["14:00", "19:00"]], "sunday": []})
        ));
        for bad in [
            json!({"lundi": []}),
            json!({"monday": [["19:00", "09:00"]]}),
            json!({"monday": [["9:30", "12:00"]]}),
            json!({"monday": [["09:30"]]}),
            json!({"monday": [["24:00", "25:00"]]}),
            json!([]),
        ] {
            assert!(!check_opening_hours(&bad), "{bad}");
        }
    }
}
