//! Shipping: the ways a cart can travel to an address, and what each costs.

use comptoir_db::PgConnection;
use comptoir_db::shipping as db;
use comptoir_domain::orders::{ShippingRate, shipping_price};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShippingKind {
    Flat,
    WeightTiers,
    ClickAndCollect,
}

impl ShippingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flat => "flat",
            Self::WeightTiers => "weight_tiers",
            Self::ClickAndCollect => "click_and_collect",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "weight_tiers" => Self::WeightTiers,
            "click_and_collect" => Self::ClickAndCollect,
            _ => Self::Flat,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WeightTier {
    /// Carts up to this weight, in grams.
    #[schema(minimum = 1, maximum = 10_000_000)] // as api::shipping checks tiers
    pub max_grams: i64,
    /// VAT included, in cents.
    #[schema(minimum = 0, maximum = 100_000_000)] // api::shipping's MAX_PRICE
    pub price_minor: i64,
}

pub fn tiers_of(value: &Value) -> Vec<WeightTier> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// One way a cart can reach the shopper.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShippingOption {
    /// Give it as `shipping_option_id` at checkout: the method's code, and
    /// for click and collect the store's code after a colon.
    #[schema(example = "retrait-magasin:BREST")]
    pub id: String,
    pub method_id: Uuid,
    pub name: String,
    pub kind: ShippingKind,
    /// VAT included, in cents.
    pub price_minor: i64,
    /// For click and collect: where.
    pub location_id: Option<Uuid>,
    pub location_name: Option<String>,
}

/// The ways a cart's `lines` can travel to `country`, cheapest first:
/// delivery methods that serve the country and can carry the weight, and
/// collection in each store that holds every line now. Lines whose product
/// is no longer sold are left out; with none left, there is no way.
pub async fn options_for(
    conn: &mut PgConnection,
    lines: &[comptoir_db::cart::CartLine],
    country: &str,
) -> Result<Vec<ShippingOption>, AppError> {
    let lines: Vec<&comptoir_db::cart::CartLine> = lines.iter().filter(|l| l.product_status == "active").collect();
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let goods: i64 = lines
        .iter()
        .map(|l| l.price_minor.saturating_mul(i64::from(l.quantity)))
        .sum();
    let weight: i64 = lines
        .iter()
        .map(|l| i64::from(l.weight_grams) * i64::from(l.quantity))
        .sum();
    let methods = db::list_methods(conn, true).await?;
    let variant_ids: Vec<Uuid> = lines.iter().map(|l| l.variant_id).collect();
    let stock = comptoir_db::catalog::stock_of_variants(conn, &variant_ids).await?;
    let mut items = Vec::new();
    for method in methods {
        let kind = ShippingKind::parse(&method.kind);
        match kind {
            ShippingKind::ClickAndCollect => {
                let mut stores: Vec<(Uuid, String, String)> = stock
                    .iter()
                    .filter(|s| s.kind == "store" && s.click_and_collect)
                    .map(|s| (s.location_id, s.code.clone(), s.name.clone()))
                    .collect();
                stores.sort();
                stores.dedup();
                for (location, code, name) in stores {
                    let holds_all = lines.iter().all(|line| {
                        stock
                            .iter()
                            .find(|s| s.location_id == location && s.variant_id == line.variant_id)
                            .is_some_and(|s| s.available >= i64::from(line.quantity))
                    });
                    if holds_all {
                        items.push(ShippingOption {
                            id: format!("{}:{code}", method.code),
                            method_id: method.id,
                            name: format!("{} — {name}", method.name),
                            kind,
                            price_minor: shipping_price(
                                &ShippingRate::Flat(method.price_minor),
                                method.free_above_minor,
                                goods,
                                weight,
                            )
                            .unwrap_or(method.price_minor),
                            location_id: Some(location),
                            location_name: Some(name),
                        });
                    }
                }
            }
            ShippingKind::Flat | ShippingKind::WeightTiers => {
                if !method.countries.iter().any(|c| c == country) {
                    continue;
                }
                let rate = if kind == ShippingKind::Flat {
                    ShippingRate::Flat(method.price_minor)
                } else {
                    ShippingRate::WeightTiers(
                        tiers_of(&method.tiers)
                            .into_iter()
                            .map(|t| (t.max_grams, t.price_minor))
                            .collect(),
                    )
                };
                if let Some(price) = shipping_price(&rate, method.free_above_minor, goods, weight) {
                    items.push(ShippingOption {
                        id: method.code.clone(),
                        method_id: method.id,
                        name: method.name.clone(),
                        kind,
                        price_minor: price,
                        location_id: None,
                        location_name: None,
                    });
                }
            }
        }
    }
    items.sort_by(|a, b| a.price_minor.cmp(&b.price_minor).then_with(|| a.id.cmp(&b.id)));
    Ok(items)
}
