//! Orders: their lifecycle, and the arithmetic of a basket's totals and VAT
//! (French rates, computed per line, rounded half away from zero).
//!
//! Amounts are `i64` minor units (cents). B2C prices include VAT: a line's
//! VAT is the part of its total that the rate accounts for. B2B prices
//! exclude it: VAT is added per line. Shipping follows the goods it carries
//! (French practice for an accessory cost): with several rates in the
//! basket, it is split between them in proportion to their amounts.

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, its payment not yet authorised (a card declined, or waiting
    /// for 3-D Secure).
    PendingPayment,
    /// Placed to be paid by bank transfer or on net terms.
    AwaitingPayment,
    Paid,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    PartiallyRefunded,
    Refunded,
}

impl OrderStatus {
    pub const ALL: [Self; 9] = [
        Self::PendingPayment,
        Self::AwaitingPayment,
        Self::Paid,
        Self::Processing,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::PartiallyRefunded,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::AwaitingPayment => "awaiting_payment",
            Self::Paid => "paid",
            Self::Processing => "processing",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the order may move to `next`: forward along
    /// `pending_payment | awaiting_payment → paid → processing → shipped →
    /// delivered`, cancelled before it ships, refunded (in part, then in
    /// full) once paid.
    pub fn can_become(self, next: Self) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment | AwaitingPayment, Paid)
                | (Paid, Processing)
                | (Processing, Shipped)
                | (Shipped, Delivered)
                | (PendingPayment | AwaitingPayment | Paid | Processing, Cancelled)
                | (
                    Paid | Processing | Shipped | Delivered | PartiallyRefunded,
                    PartiallyRefunded | Refunded
                )
        )
    }

    /// Where a refund leaves the order: `refunded` once everything paid is
    /// given back; a partial refund before shipping (a line out of stock)
    /// leaves it where it is, so the rest still ships; after shipping, it
    /// becomes `partially_refunded`.
    pub fn after_refund(self, fully: bool) -> Self {
        match (fully, self) {
            (true, _) => Self::Refunded,
            (false, Self::Paid | Self::Processing) => self,
            (false, _) => Self::PartiallyRefunded,
        }
    }

    /// Whether money was taken for the order (it may be refunded).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Processing | Self::Shipped | Self::Delivered | Self::PartiallyRefunded
        )
    }
}

/// Whether prices include VAT (shoppers) or exclude it (businesses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceBasis {
    VatIncluded,
    VatExcluded,
}

/// `numerator / denominator` rounded half away from zero; `denominator > 0`.
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        -((-numerator + half) / denominator)
    }
}

fn to_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// The VAT of an amount at `rate_basis_points` (2000 = 20 %).
pub fn vat_of(amount_minor: i64, rate_basis_points: u32, basis: PriceBasis) -> i64 {
    let amount = i128::from(amount_minor);
    let rate = i128::from(rate_basis_points);
    to_i64(match basis {
        PriceBasis::VatIncluded => div_round(amount * rate, 10_000 + rate),
        PriceBasis::VatExcluded => div_round(amount * rate, 10_000),
    })
}

/// One line of a basket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub unit_price_minor: i64,
    pub quantity: i64,
    pub rate_basis_points: u32,
}

/// The VAT of one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatBreakdown {
    pub rate_basis_points: u32,
    /// Amount excluding VAT.
    pub base_minor: i64,
    pub amount_minor: i64,
}

/// What a basket costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// The lines, as priced (VAT included for shoppers, excluded for businesses).
    pub subtotal_minor: i64,
    /// Shipping, as priced.
    pub shipping_minor: i64,
    /// By rate, highest first; bases and amounts add up to the grand total.
    pub vat: Vec<VatBreakdown>,
    pub vat_total_minor: i64,
    /// What the customer pays.
    pub grand_total_minor: i64,
}

/// Splits `amount` in proportion to `weights` (largest remainders first),
/// so the parts add up to it exactly.
pub fn split_in_proportion(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 || weights.is_empty() {
        let mut parts = vec![0; weights.len()];
        if let Some(first) = parts.first_mut() {
            *first = amount;
        }
        return parts;
    }
    let amount_wide = i128::from(amount);
    let mut parts: Vec<(usize, i128, i128)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let exact = amount_wide * i128::from((*w).max(0));
            (i, exact.div_euclid(total), exact.rem_euclid(total))
        })
        .collect();
    let mut left = amount_wide - parts.iter().map(|p| p.1).sum::<i128>();
    parts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    for part in &mut parts {
        if left <= 0 {
            break;
        }
        part.1 += 1;
        left -= 1;
    }
    parts.sort_by_key(|p| p.0);
    parts.into_iter().map(|p| to_i64(p.1)).collect()
}

/// The totals of `lines` and `shipping_minor`, VAT computed line by line.
pub fn totals(lines: &[Line], shipping_minor: i64, basis: PriceBasis) -> Totals {
    let mut rates: Vec<(u32, i64, i64)> = Vec::new(); // (rate, priced amount, vat)
    let mut subtotal: i64 = 0;
    for line in lines {
        let amount = line.unit_price_minor.saturating_mul(line.quantity);
        subtotal = subtotal.saturating_add(amount);
        let vat = vat_of(amount, line.rate_basis_points, basis);
        match rates.iter_mut().find(|r| r.0 == line.rate_basis_points) {
            Some(rate) => {
                rate.1 += amount;
                rate.2 += vat;
            }
            None => rates.push((line.rate_basis_points, amount, vat)),
        }
    }
    rates.sort_by_key(|r| std::cmp::Reverse(r.0));
    // Shipping follows the goods: each rate carries its share.
    let shares = split_in_proportion(shipping_minor, &rates.iter().map(|r| r.1).collect::<Vec<_>>());
    let mut vat = Vec::with_capacity(rates.len());
    for ((rate, amount, line_vat), shipping_share) in rates.into_iter().zip(shares) {
        let shipping_vat = vat_of(shipping_share, rate, basis);
        let priced = amount + shipping_share;
        let amount_minor = line_vat + shipping_vat;
        let base_minor = match basis {
            PriceBasis::VatIncluded => priced - amount_minor,
            PriceBasis::VatExcluded => priced,
        };
        vat.push(VatBreakdown {
            rate_basis_points: rate,
            base_minor,
            amount_minor,
        });
    }
    let vat_total_minor = vat.iter().map(|v| v.amount_minor).sum();
    let grand_total_minor = match basis {
        PriceBasis::VatIncluded => subtotal + shipping_minor,
        PriceBasis::VatExcluded => subtotal + shipping_minor + vat_total_minor,
    };
    Totals {
        subtotal_minor: subtotal,
        shipping_minor,
        vat,
        vat_total_minor,
        grand_total_minor,
    }
}

/// One line of an invoice, in both bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceLine {
    pub rate_basis_points: u32,
    pub quantity: i64,
    /// The unit price excluding VAT, rounded (shown for information: the
    /// line's amounts are computed on the line, not from it).
    pub unit_excl_minor: i64,
    pub total_excl_minor: i64,
    pub vat_minor: i64,
    pub total_incl_minor: i64,
}

/// What a French invoice states: every line excluding VAT with its VAT,
/// shipping split between the rates of the goods, VAT per rate, and the
/// totals. It is computed line by line, as the printed invoice reads, and
/// always agrees with [`totals`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub lines: Vec<InvoiceLine>,
    /// The shipping's share at each rate (quantity 1 each).
    pub shipping: Vec<InvoiceLine>,
    pub vat: Vec<VatBreakdown>,
    pub total_excl_minor: i64,
    pub vat_total_minor: i64,
    pub total_incl_minor: i64,
}

fn invoice_line(amount: i64, quantity: i64, rate: u32, basis: PriceBasis) -> InvoiceLine {
    let vat = vat_of(amount, rate, basis);
    let (total_excl, total_incl) = match basis {
        PriceBasis::VatIncluded => (amount - vat, amount),
        PriceBasis::VatExcluded => (amount, amount + vat),
    };
    let unit_excl = if quantity > 0 {
        to_i64(div_round(i128::from(total_excl), i128::from(quantity)))
    } else {
        0
    };
    InvoiceLine {
        rate_basis_points: rate,
        quantity,
        unit_excl_minor: unit_excl,
        total_excl_minor: total_excl,
        vat_minor: vat,
        total_incl_minor: total_incl,
    }
}

/// The invoice of `lines` and `shipping_minor`.
pub fn invoice(lines: &[Line], shipping_minor: i64, basis: PriceBasis) -> Invoice {
    let invoice_lines: Vec<InvoiceLine> = lines
        .iter()
        .map(|l| {
            invoice_line(
                l.unit_price_minor.saturating_mul(l.quantity),
                l.quantity,
                l.rate_basis_points,
                basis,
            )
        })
        .collect();
    // The goods of each rate, highest rate first, carry the shipping.
    let mut rates: Vec<(u32, i64)> = Vec::new();
    for line in lines {
        let amount = line.unit_price_minor.saturating_mul(line.quantity);
        match rates.iter_mut().find(|r| r.0 == line.rate_basis_points) {
            Some(rate) => rate.1 += amount,
            None => rates.push((line.rate_basis_points, amount)),
        }
    }
    rates.sort_by_key(|r| std::cmp::Reverse(r.0));
    let shares = split_in_proportion(shipping_minor, &rates.iter().map(|r| r.1).collect::<Vec<_>>());
    let shipping: Vec<InvoiceLine> = rates
        .iter()
        .zip(shares)
        .filter(|(_, share)| *share != 0)
        .map(|((rate, _), share)| invoice_line(share, 1, *rate, basis))
        .collect();
    let mut vat: Vec<VatBreakdown> = rates
        .iter()
        .map(|(rate, _)| VatBreakdown {
            rate_basis_points: *rate,
            base_minor: 0,
            amount_minor: 0,
        })
        .collect();
    for line in invoice_lines.iter().chain(&shipping) {
        if let Some(v) = vat.iter_mut().find(|v| v.rate_basis_points == line.rate_basis_points) {
            v.base_minor += line.total_excl_minor;
            v.amount_minor += line.vat_minor;
        }
    }
    let total_excl_minor = vat.iter().map(|v| v.base_minor).sum();
    let vat_total_minor = vat.iter().map(|v| v.amount_minor).sum();
    let total_incl_minor = invoice_lines
        .iter()
        .chain(&shipping)
        .map(|l| l.total_incl_minor)
        .sum::<i64>()
        + if lines.is_empty() { shipping_minor } else { 0 };
    Invoice {
        lines: invoice_lines,
        shipping,
        vat,
        total_excl_minor,
        vat_total_minor,
        total_incl_minor,
    }
}

/// How many units a line holds once a guest's cart merges into an
/// account's: both quantities added, capped by `max` and by what can ship
/// now, never below what the account's cart already held.
pub fn merged_quantity(held: i32, added: i32, shippable: i64, max: i32) -> i32 {
    let wanted = held.saturating_add(added).min(max);
    let shippable = i32::try_from(shippable.max(0)).unwrap_or(i32::MAX);
    wanted.min(shippable.max(held))
}

/// How a delivery method prices a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShippingRate {
    Flat(i64),
    /// `(max_grams, price_minor)`, ascending by weight.
    WeightTiers(Vec<(i64, i64)>),
}

/// What delivering goods worth `goods_minor` and weighing `weight_grams`
/// costs, or `None` when the method cannot carry them (heavier than its
/// last tier). Free at or above `free_above_minor` when set.
pub fn shipping_price(
    rate: &ShippingRate,
    free_above_minor: Option<i64>,
    goods_minor: i64,
    weight_grams: i64,
) -> Option<i64> {
    let price = match rate {
        ShippingRate::Flat(price) => *price,
        ShippingRate::WeightTiers(tiers) => tiers
            .iter()
            .find(|(max, _)| weight_grams <= *max)
            .map(|(_, price)| *price)?,
    };
    match free_above_minor {
        Some(threshold) if goods_minor >= threshold => Some(0),
        _ => Some(price),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn orders_move_forward_are_cancelled_before_shipping_and_refunded_once_paid() {
        use OrderStatus::*;
        for (from, to) in [
            (PendingPayment, Paid),
            (AwaitingPayment, Paid),
            (Paid, Processing),
            (Processing, Shipped),
            (Shipped, Delivered),
            (Paid, Cancelled),
            (Delivered, PartiallyRefunded),
            (PartiallyRefunded, Refunded),
        ] {
            assert!(from.can_become(to), "{from:?} -> {to:?}");
        }
        for (from, to) in [
            (PendingPayment, Shipped),
            (Shipped, Cancelled),
            (Cancelled, Paid),
            (Refunded, PartiallyRefunded),
            (PendingPayment, Refunded),
            (Delivered, Shipped),
        ] {
            assert!(!from.can_become(to), "{from:?} -> {to:?}");
        }
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn a_partial_refund_before_shipping_lets_the_rest_ship() {
        use OrderStatus::*;
        assert_eq!(Paid.after_refund(false), Paid);
        assert_eq!(Processing.after_refund(false), Processing);
        assert_eq!(Shipped.after_refund(false), PartiallyRefunded);
        assert_eq!(Delivered.after_refund(false), PartiallyRefunded);
        assert_eq!(PartiallyRefunded.after_refund(false), PartiallyRefunded);
        assert_eq!(Processing.after_refund(true), Refunded);
        assert!(Paid.after_refund(false).can_become(Processing));
    }

    #[test]
    fn vat_is_the_rates_share_of_a_price_rounded_half_away_from_zero() {
        // 12,00 € VAT included at 20 %: 10,00 € + 2,00 €.
        assert_eq!(vat_of(1200, 2000, PriceBasis::VatIncluded), 200);
        // 10,00 € at 5.5 %: 0,5213... → 0,52.
        assert_eq!(vat_of(1000, 550, PriceBasis::VatIncluded), 52);
        // 0,05 € excluding VAT at 10 %: 0,005 → 0,01 (half away from zero).
        assert_eq!(vat_of(5, 1000, PriceBasis::VatExcluded), 1);
        assert_eq!(vat_of(-5, 1000, PriceBasis::VatExcluded), -1);
    }

    #[test]
    fn shipping_is_split_between_rates_in_proportion_to_the_goods() {
        let basket = [
            Line {
                unit_price_minor: 3000,
                quantity: 1,
                rate_basis_points: 2000,
            },
            Line {
                unit_price_minor: 1000,
                quantity: 1,
                rate_basis_points: 550,
            },
        ];
        let totals = totals(&basket, 800, PriceBasis::VatIncluded);
        assert_eq!(totals.grand_total_minor, 4800);
        // 600 of shipping at 20 %, 200 at 5.5 %.
        assert_eq!(
            totals.vat[0],
            VatBreakdown {
                rate_basis_points: 2000,
                base_minor: 3000,
                amount_minor: 600
            }
        );
        assert_eq!(
            totals.vat[1],
            VatBreakdown {
                rate_basis_points: 550,
                base_minor: 1138,
                amount_minor: 62
            }
        );
        assert_eq!(split_in_proportion(10, &[1, 1, 1]), [4, 3, 3]);
    }

    #[test]
    fn a_merged_line_adds_up_within_what_can_ship_and_never_shrinks() {
        assert_eq!(merged_quantity(2, 2, 3, 99), 3);
        assert_eq!(merged_quantity(0, 1, 0, 99), 0, "nothing can ship");
        assert_eq!(merged_quantity(5, 1, 2, 99), 5, "what the account held stays");
        assert_eq!(merged_quantity(60, 60, 500, 99), 99);
    }

    #[test]
    fn shipping_is_priced_by_weight_and_free_above_the_threshold() {
        let tiers = ShippingRate::WeightTiers(vec![(5_000, 990), (30_000, 2490)]);
        assert_eq!(shipping_price(&tiers, None, 1000, 5_000), Some(990));
        assert_eq!(shipping_price(&tiers, None, 1000, 5_001), Some(2490));
        assert_eq!(shipping_price(&tiers, None, 1000, 30_001), None, "too heavy");
        assert_eq!(shipping_price(&ShippingRate::Flat(690), Some(6000), 5999, 0), Some(690));
        assert_eq!(shipping_price(&ShippingRate::Flat(690), Some(6000), 6000, 0), Some(0));
    }

    fn line() -> impl Strategy<Value = Line> {
        (
            0_i64..2_000_000,
            1_i64..50,
            prop::sample::select(vec![2000_u32, 1000, 550, 210]),
        )
            .prop_map(|(unit_price_minor, quantity, rate_basis_points)| Line {
                unit_price_minor,
                quantity,
                rate_basis_points,
            })
    }

    proptest! {
        #[test]
        fn the_vat_breakdown_always_adds_up_to_the_grand_total(
            lines in prop::collection::vec(line(), 0..12),
            shipping in 0_i64..10_000,
            b2b in any::<bool>(),
        ) {
            let basis = if b2b { PriceBasis::VatExcluded } else { PriceBasis::VatIncluded };
            let t = totals(&lines, shipping, basis);
            let lines_total: i64 = lines.iter().map(|l| l.unit_price_minor * l.quantity).sum();
            prop_assert_eq!(t.subtotal_minor, lines_total);
            let by_rate: i64 = t.vat.iter().map(|v| v.base_minor + v.amount_minor).sum();
            if !lines.is_empty() {
                prop_assert_eq!(by_rate, t.grand_total_minor);
            }
            prop_assert_eq!(t.vat_total_minor, t.vat.iter().map(|v| v.amount_minor).sum::<i64>());
            match basis {
                PriceBasis::VatIncluded => prop_assert_eq!(t.grand_total_minor, lines_total + shipping),
                PriceBasis::VatExcluded => {
                    prop_assert_eq!(t.grand_total_minor, lines_total + shipping + t.vat_total_minor)
                }
            }
            // Each rate's VAT is within a cent per line (and one for shipping)
            // of the exact VAT of its base.
            for v in &t.vat {
                let lines_at_rate = lines.iter().filter(|l| l.rate_basis_points == v.rate_basis_points).count();
                let exact = i128::from(v.base_minor) * i128::from(v.rate_basis_points);
                let drift = (i128::from(v.amount_minor) * 10_000 - exact).abs();
                prop_assert!(drift <= 10_000 * (lines_at_rate as i128 + 1), "{:?}", v);
            }
        }

        #[test]
        fn the_invoice_always_agrees_with_the_order_totals(
            lines in prop::collection::vec(line(), 1..12),
            shipping in 0_i64..10_000,
            b2b in any::<bool>(),
        ) {
            let basis = if b2b { PriceBasis::VatExcluded } else { PriceBasis::VatIncluded };
            let order = totals(&lines, shipping, basis);
            let bill = invoice(&lines, shipping, basis);
            // VAT per rate and the grand total are the order's.
            prop_assert_eq!(&bill.vat, &order.vat);
            prop_assert_eq!(bill.total_incl_minor, order.grand_total_minor);
            prop_assert_eq!(bill.vat_total_minor, order.vat_total_minor);
            // The printed columns add up: line VAT plus shipping VAT is the
            // VAT total; excluding VAT plus VAT is the grand total.
            let line_vat: i64 = bill.lines.iter().map(|l| l.vat_minor).sum();
            let shipping_vat: i64 = bill.shipping.iter().map(|l| l.vat_minor).sum();
            prop_assert_eq!(line_vat + shipping_vat, bill.vat_total_minor);
            prop_assert_eq!(bill.total_excl_minor + bill.vat_total_minor, bill.total_incl_minor);
            let shipping_paid: i64 = bill
                .shipping
                .iter()
                .map(|l| if b2b { l.total_excl_minor } else { l.total_incl_minor })
                .sum();
            prop_assert_eq!(shipping_paid, shipping);
            for line in bill.lines.iter().chain(&bill.shipping) {
                prop_assert_eq!(line.total_excl_minor + line.vat_minor, line.total_incl_minor);
            }
        }

        #[test]
        fn a_split_adds_up_and_follows_the_weights(amount in 0_i64..1_000_000, weights in prop::collection::vec(0_i64..100_000, 1..8)) {
            let parts = split_in_proportion(amount, &weights);
            prop_assert_eq!(parts.iter().sum::<i64>(), amount);
            prop_assert!(parts.iter().all(|p| *p >= 0));
        }
    }
}
