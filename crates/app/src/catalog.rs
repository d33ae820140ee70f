//! The catalog's use cases.

pub mod cached;
pub mod categories;
pub mod favorites;
pub mod listing;
pub mod rules;

use comptoir_domain::catalog::TaxClass;

use crate::error::AppError;

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
