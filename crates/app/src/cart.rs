//! Carts: lines, fresh prices and totals with VAT, warnings, who may open a
//! cart, and the changes a shopper makes.

use comptoir_db::cart::{self as db, Cart, CartLine};
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::orders::{Line, PriceBasis, VatBreakdown, merged_quantity, totals};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::{OptionPair, options_of};
use crate::documents::euros;
use crate::error::{AppError, FieldError};
use crate::identity::Principal;
use crate::identity::tokens::secret_hash;

/// The most units of one variant a cart holds.
pub const MAX_QUANTITY: i32 = 99;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartLineView {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub options: Vec<OptionPair>,
    pub product_id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub quantity: i32,
    /// The price now, VAT included, in cents.
    pub unit_price_minor: i64,
    pub line_total_minor: i64,
    /// VAT rate in basis points: 2000 is 20 %.
    pub vat_rate_basis_points: u32,
    /// Units that can ship now.
    pub available_online: i64,
    /// Whether the line counts in the totals (its product is still sold).
    pub purchasable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VatLineView {
    /// Basis points: 2000 is 20 %.
    pub rate: u32,
    pub base_minor: i64,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartTotals {
    pub subtotal_minor: i64,
    /// None chosen yet: 0.
    pub shipping_minor: i64,
    pub vat: Vec<VatLineView>,
    pub grand_total_minor: i64,
    #[schema(example = "EUR")]
    pub currency: String,
}

/// Something the shopper should know about a line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartWarning {
    pub item_id: Uuid,
    /// `price_changed`, `insufficient_stock` or `unavailable`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartView {
    pub id: Uuid,
    /// Only in the answer that creates the cart: send it as `X-Cart-Token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart_token: Option<String>,
    /// The owner when a signed-in customer made it.
    pub user_id: Option<Uuid>,
    pub lines: Vec<CartLineView>,
    /// Units in the cart.
    pub item_count: i64,
    pub totals: CartTotals,
    pub warnings: Vec<CartWarning>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A cart line as the domain prices it: its current price (VAT included),
/// its quantity and its rate. Carts and checkout price lines this one way.
pub fn priced_line(line: &CartLine) -> Result<Line, AppError> {
    Ok(Line {
        unit_price_minor: line.price_minor,
        quantity: i64::from(line.quantity),
        rate_basis_points: crate::catalog::tax_rate(&line.tax_class)?,
    })
}

impl From<&VatBreakdown> for VatLineView {
    fn from(vat: &VatBreakdown) -> Self {
        Self {
            rate: vat.rate_basis_points,
            base_minor: vat.base_minor,
            amount_minor: vat.amount_minor,
        }
    }
}

/// Prices the lines as they are now.
pub fn price(cart: &Cart, lines: Vec<CartLine>) -> Result<CartView, AppError> {
    let mut warnings = Vec::new();
    let mut priced = Vec::new();
    let mut views = Vec::with_capacity(lines.len());
    for line in lines {
        let priced_line = priced_line(&line)?;
        let rate = priced_line.rate_basis_points;
        let purchasable = line.product_status == "active";
        if !purchasable {
            warnings.push(CartWarning {
                item_id: line.item_id,
                code: "unavailable".into(),
                message: format!("{} is no longer sold; it is left out of the totals.", line.product_name),
            });
        } else {
            if line.price_minor != line.price_at_add_minor {
                warnings.push(CartWarning {
                    item_id: line.item_id,
                    code: "price_changed".into(),
                    message: format!(
                        "{} now costs {} (it was {} when added).",
                        line.product_name,
                        euros(line.price_minor),
                        euros(line.price_at_add_minor)
                    ),
                });
            }
            if i64::from(line.quantity) > line.available_online {
                warnings.push(CartWarning {
                    item_id: line.item_id,
                    code: "insufficient_stock".into(),
                    message: format!(
                        "Only {} of {} can ship now; you asked for {}.",
                        line.available_online, line.sku, line.quantity
                    ),
                });
            }
            priced.push(priced_line);
        }
        views.push(CartLineView {
            id: line.item_id,
            variant_id: line.variant_id,
            sku: line.sku,
            options: options_of(&line.options),
            product_id: line.product_id,
            product_name: line.product_name,
            product_slug: line.product_slug,
            quantity: line.quantity,
            unit_price_minor: line.price_minor,
            line_total_minor: line.price_minor.saturating_mul(i64::from(line.quantity)),
            vat_rate_basis_points: rate,
            available_online: line.available_online,
            purchasable,
        });
    }
    let totals = totals(&priced, 0, PriceBasis::VatIncluded);
    Ok(CartView {
        id: cart.id,
        cart_token: None,
        user_id: cart.user_id,
        item_count: views
            .iter()
            .filter(|l| l.purchasable)
            .map(|l| i64::from(l.quantity))
            .sum(),
        lines: views,
        totals: CartTotals {
            subtotal_minor: totals.subtotal_minor,
            shipping_minor: totals.shipping_minor,
            vat: totals.vat.iter().map(VatLineView::from).collect(),
            grand_total_minor: totals.grand_total_minor,
            currency: "EUR".into(),
        },
        warnings,
        created_at: cart.created_at,
        updated_at: cart.updated_at,
    })
}

pub fn cart_not_found() -> AppError {
    AppError::not_found("cart.not_found", "No such cart.")
}

/// Who is opening a cart: the signed-in account, if any, and the guest
/// cart token the caller holds (the API's `X-Cart-Token`, the shop's cart
/// cookie).
#[derive(Debug, Clone, Default)]
pub struct Shopper {
    pub user_id: Option<Uuid>,
    pub cart_token: Option<String>,
}

impl Shopper {
    /// A caller as authenticated (API keys own no cart) with the token it sent.
    pub fn new(principal: Option<&Principal>, cart_token: Option<&str>) -> Self {
        Self {
            user_id: match principal {
                Some(Principal::User(user)) => Some(user.id),
                _ => None,
            },
            cart_token: cart_token.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned),
        }
    }
}

/// The cart, if the shopper may reach it: its owner, or anyone holding its
/// token when it has no owner. Anyone else is told there is no such cart.
pub fn check_access(cart: &Cart, shopper: &Shopper) -> Result<(), AppError> {
    let allowed = match cart.user_id {
        Some(owner) => shopper.user_id == Some(owner),
        None => guest_token_opens(cart, shopper.cart_token.as_deref().unwrap_or_default()),
    };
    if allowed { Ok(()) } else { Err(cart_not_found()) }
}

/// Whether `token` opens this cart: a guest's cart (no owner) whose stored
/// hash is the token's. The API's `X-Cart-Token` and the shop's cart cookie
/// are both checked here.
pub fn guest_token_opens(cart: &Cart, token: &str) -> bool {
    cart.user_id.is_none() && !token.is_empty() && secret_hash(token) == cart.token_hash
}

pub async fn view_of(conn: &mut PgConnection, cart: &Cart) -> Result<CartView, AppError> {
    let lines = db::cart_lines(conn, cart.id).await?;
    price(cart, lines)
}

fn quantity_error(field: &str) -> AppError {
    AppError::validation(vec![FieldError::new(
        field,
        "out_of_range",
        format!("1 to {MAX_QUANTITY} units of a variant per cart"),
    )])
}

/// After a change: the cart marked as changed, then answered as it is now.
pub async fn changed(conn: &mut PgConnection, cart_id: Uuid) -> Result<CartView, AppError> {
    db::touch_cart(conn, cart_id).await?;
    let cart = db::get_cart(conn, cart_id).await?;
    view_of(conn, &cart).await
}

/// 404 unless the cart has this line.
pub async fn check_line(conn: &mut PgConnection, cart_id: Uuid, item_id: Uuid) -> Result<(), AppError> {
    match db::item_quantity(conn, cart_id, item_id).await? {
        Some(_) => Ok(()),
        None => Err(AppError::not_found("cart.item_not_found", "No such line in this cart.")),
    }
}

/// Adds `quantity` units of a variant of an active product to a locked
/// cart (the API and the shop's pages both go through here).
pub async fn add_units(conn: &mut PgConnection, cart: &Cart, variant_id: Uuid, quantity: i32) -> Result<(), AppError> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(quantity_error("quantity"));
    }
    let variant = comptoir_db::catalog::get_variant(conn, variant_id).await.optional()?;
    let product = match &variant {
        Some(v) => comptoir_db::catalog::get_product(conn, v.product_id).await.optional()?,
        None => None,
    };
    let (Some(variant), Some(product)) = (variant, product) else {
        return Err(AppError::validation(vec![FieldError::new(
            "variant_id",
            "not_found",
            "no such variant",
        )]));
    };
    if product.status != "active" {
        return Err(AppError::validation(vec![FieldError::new(
            "variant_id",
            "unavailable",
            "this product is not for sale",
        )]));
    }
    let held = db::variant_quantity(conn, cart.id, variant.id).await?;
    if held + quantity > MAX_QUANTITY {
        return Err(quantity_error("quantity"));
    }
    db::add_item(conn, cart.id, variant.id, quantity, variant.price_minor).await?;
    Ok(())
}

/// Sets a line's quantity (1 to 99) in a locked cart.
pub async fn set_units(conn: &mut PgConnection, cart: &Cart, item_id: Uuid, quantity: i32) -> Result<(), AppError> {
    check_line(conn, cart.id, item_id).await?;
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(quantity_error("quantity"));
    }
    db::set_item_quantity(conn, cart.id, item_id, quantity).await?;
    Ok(())
}

/// At sign-in: the guest cart behind `token` becomes the account's. When
/// the account already has a cart, the guest's lines are added to it, each
/// capped by what can ship now (never below what the account's cart
/// already held) and by the most a cart holds, and the guest cart goes.
/// An unknown or already merged token changes nothing. Answers the
/// account's cart, when there is one now.
pub async fn merge_guest_cart(conn: &mut PgConnection, user_id: Uuid, token: &str) -> Result<Option<Uuid>, AppError> {
    let Some(guest) = db::lock_guest_cart_by_token(conn, &secret_hash(token)).await? else {
        return Ok(None);
    };
    let Some(own) = db::lock_latest_user_cart(conn, user_id).await? else {
        db::adopt_cart(conn, guest.id, user_id).await?;
        return Ok(Some(guest.id));
    };
    let held = db::cart_lines(conn, own.id).await?;
    for line in db::cart_lines(conn, guest.id).await? {
        if line.product_status != "active" {
            continue;
        }
        let existing = held
            .iter()
            .find(|h| h.variant_id == line.variant_id)
            .map_or(0, |h| h.quantity);
        let merged = merged_quantity(existing, line.quantity, line.available_online, MAX_QUANTITY);
        if merged > 0 && merged != existing {
            db::set_variant_quantity(conn, own.id, line.variant_id, merged, line.price_at_add_minor).await?;
        }
    }
    db::delete_cart(conn, guest.id).await?;
    db::touch_cart(conn, own.id).await?;
    Ok(Some(own.id))
}

#[cfg(test)]
mod tests {
    use super::euros;

    #[test]
    fn amounts_read_the_french_way() {
        // Cart warnings and documents share one formatter: thousands
        // grouped by a narrow no-break space, the euro sign after a
        // no-break space.
        assert_eq!(euros(123_450), "1\u{202f}234,50\u{a0}€");
        assert_eq!(euros(5), "0,05\u{a0}€");
    }
}
