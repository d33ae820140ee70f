//! Variants as the back office and integrations write them: SKUs, options,
//! EANs and prices, each checked and unique.

use comptoir_db::PgConnection;
use comptoir_db::catalog::{self as db, Variant};
use comptoir_domain::catalog::{Ean13, Sku, parse_option, parse_price_minor};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::OptionPair;
use crate::error::{AppError, FieldError};

/// A new variant (`sku` and `price_minor` required), or the fields to
/// change; `null` clears `ean13` or `compare_at_price_minor`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantRequest {
    /// Kept upper case: `run-42` and `RUN-42` are the same SKU.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._-]+$")] // Sku::parse, Sku::MAX_LEN
    pub sku: Option<String>,
    #[schema(max_items = 5)]
    pub options: Option<Vec<OptionPair>>,
    /// 13 digits, the last the GS1 check digit.
    #[serde(default, deserialize_with = "crate::error::double_option")]
    #[schema(value_type = Option<String>, pattern = r"^[0-9]{13}$")] // Ean13::parse
    pub ean13: Option<Option<String>>,
    /// Euro cents, VAT included.
    #[schema(minimum = 0, maximum = 1_000_000_000)] // parse_price_minor, MAX_PRICE_MINOR
    pub price_minor: Option<i64>,
    /// The former price, shown struck through: above `price_minor`.
    #[serde(default, deserialize_with = "crate::error::double_option")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000)] // MAX_PRICE_MINOR
    pub compare_at_price_minor: Option<Option<i64>>,
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub weight_grams: Option<i32>,
    pub position: Option<i32>,
}

pub fn empty_variant(product_id: Uuid, position: i32, now: OffsetDateTime) -> Variant {
    Variant {
        id: Uuid::now_v7(),
        product_id,
        sku: String::new(),
        options: Value::Array(Vec::new()),
        ean13: None,
        price_minor: 0,
        compare_at_price_minor: None,
        weight_grams: 0,
        position,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Applies `request` onto `variant` and checks it (not the uniqueness of
/// its SKU and barcode: see [`check_unique`]).
pub fn apply_variant(
    request: &VariantRequest,
    variant: &mut Variant,
    is_new: bool,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    let field = |name: &str| format!("{prefix}{name}");
    match (&request.sku, is_new) {
        (Some(sku), _) => match Sku::parse(sku) {
            Ok(sku) => variant.sku = sku.into_string(),
            Err(message) => errors.push(FieldError::new(field("sku"), "invalid", message)),
        },
        (None, true) => errors.push(FieldError::new(field("sku"), "required", "is required")),
        (None, false) => {}
    }
    if let Some(options) = &request.options {
        let mut checked = Vec::with_capacity(options.len());
        if options.len() > 5 {
            errors.push(FieldError::new(field("options"), "too_long", "at most 5 options"));
        }
        for (i, option) in options.iter().enumerate() {
            match parse_option(&option.name, &option.value) {
                Ok((name, _)) if checked.iter().any(|o: &OptionPair| o.name == name) => errors.push(FieldError::new(
                    format!("{prefix}options[{i}].name"),
                    "duplicate",
                    format!("{name} is given twice"),
                )),
                Ok((name, value)) => checked.push(OptionPair { name, value }),
                Err(message) => errors.push(FieldError::new(format!("{prefix}options[{i}]"), "invalid", message)),
            }
        }
        variant.options = serde_json::to_value(checked).unwrap_or_default();
    }
    if let Some(ean13) = &request.ean13 {
        variant.ean13 = match ean13
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(Ean13::parse)
        {
            Some(Ok(code)) => Some(code.into_string()),
            Some(Err(message)) => {
                errors.push(FieldError::new(field("ean13"), "invalid", message));
                None
            }
            None => None,
        };
    }
    match (request.price_minor, is_new) {
        (Some(price), _) => match parse_price_minor(price) {
            Ok(price) => variant.price_minor = price,
            Err(message) => errors.push(FieldError::new(field("price_minor"), "out_of_range", message)),
        },
        (None, true) => errors.push(FieldError::new(field("price_minor"), "required", "is required")),
        (None, false) => {}
    }
    if let Some(compare_at) = request.compare_at_price_minor {
        variant.compare_at_price_minor = compare_at;
    }
    if let Some(compare_at) = variant.compare_at_price_minor
        && (compare_at <= variant.price_minor || parse_price_minor(compare_at).is_err())
    {
        errors.push(FieldError::new(
            field("compare_at_price_minor"),
            "out_of_range",
            "the former price is above the price",
        ));
    }
    if let Some(weight) = request.weight_grams {
        if (0..=10_000_000).contains(&weight) {
            variant.weight_grams = weight;
        } else {
            errors.push(FieldError::new(
                field("weight_grams"),
                "out_of_range",
                "from 0 to 10000000 grams",
            ));
        }
    }
    if let Some(position) = request.position {
        variant.position = position;
    }
}

/// Reports SKUs and barcodes that other variants (in the database or
/// earlier in `variants`) already use; each variant comes with the prefix
/// of its fields in the answer.
pub async fn check_unique(
    conn: &mut PgConnection,
    variants: &[(String, &Variant)],
    errors: &mut Vec<FieldError>,
) -> Result<(), AppError> {
    let ids: Vec<Uuid> = variants.iter().map(|(_, v)| v.id).collect();
    let skus: Vec<String> = variants.iter().map(|(_, v)| v.sku.clone()).collect();
    let taken_skus: Vec<Variant> = db::variants_by_skus_for_update(conn, &skus)
        .await?
        .into_iter()
        .filter(|v| !ids.contains(&v.id))
        .collect();
    let codes: Vec<String> = variants.iter().filter_map(|(_, v)| v.ean13.clone()).collect();
    let taken_codes = if codes.is_empty() {
        Vec::new()
    } else {
        db::ean13s_taken(conn, &codes, &ids).await?
    };
    for (i, (prefix, variant)) in variants.iter().enumerate() {
        let earlier = &variants[..i];
        if taken_skus.iter().any(|t| t.sku == variant.sku) || earlier.iter().any(|(_, v)| v.sku == variant.sku) {
            errors.push(FieldError::new(
                format!("{prefix}sku"),
                "taken",
                "another variant already has this SKU",
            ));
        }
        if let Some(code) = &variant.ean13
            && (taken_codes.contains(code) || earlier.iter().any(|(_, v)| v.ean13.as_ref() == Some(code)))
        {
            errors.push(FieldError::new(
                format!("{prefix}ean13"),
                "taken",
                "another variant already has this barcode",
            ));
        }
    }
    Ok(())
}

/// New variants of a new product, checked, in order.
pub async fn check_variants(
    conn: &mut PgConnection,
    product_id: Uuid,
    requests: &[VariantRequest],
    errors: &mut Vec<FieldError>,
) -> Result<Vec<Variant>, AppError> {
    if requests.len() > 250 {
        errors.push(FieldError::new(
            "variants",
            "too_long",
            "at most 250 variants per product",
        ));
        return Ok(Vec::new());
    }
    let now = OffsetDateTime::now_utc();
    let mut variants = Vec::with_capacity(requests.len());
    for (i, request) in requests.iter().enumerate() {
        let mut variant = empty_variant(product_id, i32::try_from(i).unwrap_or(i32::MAX), now);
        apply_variant(request, &mut variant, true, &format!("variants[{i}]."), errors);
        variants.push(variant);
    }
    let named: Vec<(String, &Variant)> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("variants[{i}]."), v))
        .collect();
    check_unique(conn, &named, errors).await?;
    Ok(variants)
}
