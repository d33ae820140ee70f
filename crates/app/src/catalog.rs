//! The catalog's use cases.

pub mod cached;
pub mod categories;
pub mod change;
pub mod favorites;
pub mod import;
pub mod listing;
pub mod products;
pub mod rules;
pub mod variants;

use comptoir_db::PgConnection;
use comptoir_db::catalog::{self as db, SlugTable};
use comptoir_domain::catalog::{Slug, TaxClass};

use crate::error::{AppError, FieldError};

/// The VAT rate of a tax class as stored, in basis points. A class the
/// domain does not know is a fault of the data, refused, never taxed at
/// another rate.
pub fn tax_rate(tax_class: &str) -> Result<u32, AppError> {
    TaxClass::parse(tax_class)
        .map(TaxClass::rate_basis_points)
        .map_err(|_| AppError::internal(anyhow::anyhow!("the unknown tax class {tax_class:?} was read")))
}

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// One option of a variant: `pointure` = `42`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionPair {
    #[schema(example = "pointure")]
    pub name: String,
    #[schema(example = "42")]
    pub value: String,
}

pub fn options_of(value: &Value) -> Vec<OptionPair> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// The slug to give a new category or product: the one asked for (which
/// must be free), or one made from the name and numbered until free.
pub async fn new_slug(
    conn: &mut PgConnection,
    table: SlugTable,
    requested: Option<&str>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Result<String, AppError> {
    if let Some(requested) = requested {
        return match Slug::parse(requested) {
            Ok(slug) => {
                let taken = db::slugs_like(conn, table, slug.as_str()).await?;
                if taken.iter().any(|t| t == slug.as_str()) {
                    errors.push(FieldError::new("slug", "taken", "another one already has this slug"));
                }
                Ok(slug.into_string())
            }
            Err(message) => {
                errors.push(FieldError::new("slug", "invalid", message));
                Ok(String::new())
            }
        };
    }
    let base = Slug::from_name(name);
    let taken = db::slugs_like(conn, table, base.as_str()).await?;
    if !taken.iter().any(|t| t == base.as_str()) {
        return Ok(base.into_string());
    }
    let mut n = 2;
    loop {
        let candidate = base.numbered(n);
        if !taken.iter().any(|t| t == candidate.as_str()) {
            return Ok(candidate.into_string());
        }
        n += 1;
    }
}

/// A changed slug on an existing category or product: checked and free.
pub async fn changed_slug(
    conn: &mut PgConnection,
    table: SlugTable,
    requested: &str,
    current: &str,
    errors: &mut Vec<FieldError>,
) -> Result<String, AppError> {
    if requested == current {
        return Ok(current.to_owned());
    }
    new_slug(conn, table, Some(requested), "", errors).await
}
