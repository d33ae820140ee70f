//! Products as the back office and integrations write them: the rules a
//! product's fields and attributes must follow.

use comptoir_db::PgConnection;
use comptoir_db::catalog::{self as db, Product, SlugTable};
use comptoir_domain::catalog::{ProductStatus, TaxClass, parse_image_url, parse_title};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use uuid::Uuid;

use super::rules::{RuleCache, check_product_attributes};
use super::variants::VariantRequest;
use super::{changed_slug, new_slug};
use crate::error::{AppError, FieldError};

/// A new product, or the fields to change. On `PATCH`, absent fields stay
/// and `null` clears `brand` or `category_id`; `attributes` replaces the
/// whole set. `variants` only on `POST` (then use the variant routes).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductRequest {
    // parse_title: 1 to 200 characters, no control characters.
    #[schema(
        example = "Barrique bordelaise 225 L chêne français",
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: Option<String>,
    // Slug::parse, Slug::MAX_LEN.
    #[schema(max_length = 120, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub slug: Option<String>,
    /// Markdown.
    #[schema(max_length = 20000)] // MAX_DESCRIPTION_CHARS
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::error::double_option")]
    #[schema(value_type = Option<String>, max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub brand: Option<Option<String>>,
    #[schema(schema_with = status_schema)]
    pub status: Option<String>,
    #[schema(schema_with = tax_class_schema)]
    pub tax_class: Option<String>,
    #[serde(default, deserialize_with = "crate::error::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    /// Absolute `http(s)` URLs or paths on this site, at most 2000 bytes each.
    // parse_image_url; the length and pattern are the items'.
    #[schema(
        max_items = 20,
        max_length = 2000,
        pattern = r"^(https?://|/(?!/))[^\s\x00-\x1F\x7F-\x9F]*$"
    )]
    pub image_urls: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    #[schema(max_items = 250)]
    pub variants: Option<Vec<VariantRequest>>,
}

/// `status` as the document states it: a [`ProductStatus`], or `null`
/// (unchanged).
fn status_schema() -> Object {
    one_of_or_null(ProductStatus::ALL.map(ProductStatus::as_str))
}

/// `tax_class` as the document states it: a [`TaxClass`], or `null`
/// (unchanged).
fn tax_class_schema() -> Object {
    one_of_or_null(TaxClass::ALL.map(TaxClass::as_str))
}

fn one_of_or_null<const N: usize>(values: [&'static str; N]) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values.into_iter().map(Some).chain([None])))
        .build()
}

pub const MAX_DESCRIPTION_CHARS: usize = 20_000;

/// Applies `request` onto `product` and checks the result, attributes
/// included, reporting every problem with `prefix` before field names.
pub async fn apply_product(
    conn: &mut PgConnection,
    rules: &RuleCache,
    request: &ProductRequest,
    product: &mut Product,
    is_new: bool,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Result<(), AppError> {
    let field = |name: &str| format!("{prefix}{name}");
    match (&request.name, is_new) {
        (Some(name), _) => match parse_title(name) {
            Ok(name) => product.name = name,
            Err(message) => errors.push(FieldError::new(field("name"), "invalid", message)),
        },
        (None, true) => errors.push(FieldError::new(field("name"), "required", "is required")),
        (None, false) => {}
    }
    if is_new {
        product.slug = new_slug(
            conn,
            SlugTable::Products,
            request.slug.as_deref(),
            &product.name,
            errors,
        )
        .await?;
    } else if let Some(slug) = &request.slug {
        product.slug = changed_slug(conn, SlugTable::Products, slug, &product.slug, errors).await?;
    }
    if let Some(description) = &request.description {
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new(
                field("description"),
                "too_long",
                format!("at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        description.trim().clone_into(&mut product.description);
    }
    if let Some(brand) = &request.brand {
        product.brand = match brand.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) if b.chars().count() > 100 || b.chars().any(char::is_control) => {
                errors.push(FieldError::new(
                    field("brand"),
                    "invalid",
                    "a brand has at most 100 characters",
                ));
                None
            }
            other => other.map(str::to_owned),
        };
    }
    if let Some(status) = &request.status {
        match ProductStatus::parse(status) {
            Ok(status) => status.as_str().clone_into(&mut product.status),
            Err(message) => errors.push(FieldError::new(field("status"), "invalid", message)),
        }
    }
    if let Some(tax_class) = &request.tax_class {
        match TaxClass::parse(tax_class) {
            Ok(class) => class.as_str().clone_into(&mut product.tax_class),
            Err(message) => errors.push(FieldError::new(field("tax_class"), "invalid", message)),
        }
    }
    if let Some(urls) = &request.image_urls {
        if urls.len() > 20 {
            errors.push(FieldError::new(field("image_urls"), "too_long", "at most 20 images"));
        }
        let mut checked = Vec::with_capacity(urls.len());
        for (i, url) in urls.iter().enumerate() {
            match parse_image_url(url) {
                Ok(url) => checked.push(url),
                Err(message) => errors.push(FieldError::new(format!("{prefix}image_urls[{i}]"), "invalid", message)),
            }
        }
        product.image_urls = checked;
    }
    if let Some(category) = request.category_id {
        product.category_id = category;
    }
    let lineage = match product.category_id {
        Some(category) => {
            let lineage = db::category_lineage(conn, category).await?;
            if lineage.is_empty() {
                errors.push(FieldError::new(field("category_id"), "not_found", "no such category"));
            }
            lineage
        }
        None => Vec::new(),
    };
    let applied = db::attributes_for_categories(conn, &lineage).await?;
    let attributes_prefix = field("attributes.");
    product.attributes = Value::Object(match &request.attributes {
        Some(given) => check_product_attributes(rules, &applied, given, &attributes_prefix, errors),
        None => {
            // Stored values that no longer apply (a definition removed, a
            // category changed) are dropped, not reported.
            let mut stored = product.attributes.as_object().cloned().unwrap_or_default();
            stored.retain(|code, _| applied.iter().any(|a| &a.attribute_type.name == code));
            check_product_attributes(rules, &applied, &stored, &attributes_prefix, errors)
        }
    });
    Ok(())
}

pub fn empty_product(now: OffsetDateTime) -> Product {
    Product {
        id: Uuid::now_v7(),
        slug: String::new(),
        name: String::new(),
        description: String::new(),
        brand: None,
        status: ProductStatus::Draft.as_str().to_owned(),
        tax_class: TaxClass::Standard.as_str().to_owned(),
        category_id: None,
        image_urls: Vec::new(),
        attributes: Value::Object(Map::new()),
        price_min_minor: None,
        price_max_minor: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Maps the unique constraints a product write can hit to field errors.
pub fn product_conflict(err: comptoir_db::Error) -> AppError {
    match &err {
        comptoir_db::Error::Conflict { constraint } => {
            let (field, what) = match constraint.as_str() {
                c if c == db::PRODUCT_SLUG_TAKEN => ("slug", "another product already has this slug"),
                c if c == db::SKU_TAKEN => ("sku", "another variant already has this SKU"),
                c if c == db::EAN13_TAKEN => ("ean13", "another variant already has this barcode"),
                _ => return err.into(),
            };
            AppError::validation(vec![FieldError::new(field, "taken", what)])
        }
        comptoir_db::Error::ForeignKey { .. } => AppError::conflict(
            "catalog.variant_has_stock",
            "A variant of this product has held stock: archive the product instead of deleting it.",
        ),
        _ => err.into(),
    }
}
