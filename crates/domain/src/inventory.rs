//! Inventory rules: the life of a transfer between locations, and how much
//! to send a location so it does not run out.

/// Where a transfer stands.
///
/// `draft → requested → shipped → received`; a draft or a request may be
/// cancelled; once shipped, the stock is in transit and only receiving it
/// ends the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferStatus {
    Draft,
    Requested,
    Shipped,
    Received,
    Cancelled,
}

impl TransferStatus {
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Requested,
        Self::Shipped,
        Self::Received,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Requested => "requested",
            Self::Shipped => "shipped",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a transfer in this status may move to `next`.
    pub fn can_become(self, next: Self) -> bool {
        matches!(
            (self, next),
            (Self::Draft, Self::Requested)
                | (Self::Requested, Self::Shipped)
                | (Self::Shipped, Self::Received)
                | (Self::Draft | Self::Requested, Self::Cancelled)
        )
    }
}

/// What a location holds and sells of one variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplenishmentInput {
    pub available: i64,
    /// Units shipped to the location and not received yet.
    pub in_transit: i64,
    pub reorder_point: i64,
    pub target_level: i64,
    /// Units sold over the last `days`.
    pub sold: i64,
    pub days: u32,
    /// Days between asking for stock and having it on the shelf.
    pub lead_time_days: u32,
}

/// A proposal to send units to a location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suggestion {
    pub quantity: i64,
    /// Units sold per day over the period.
    pub daily_velocity: f64,
    /// Days the stock on hand and in transit lasts at that pace; none when
    /// nothing sells (and some is left).
    pub days_of_cover: Option<f64>,
}

/// How many units to send so the location lasts through the lead time and
/// ends at its target level; `None` when it needs nothing. A location is
/// topped up once what it has and will receive, less what it will sell
/// before new stock arrives, falls under its reorder point.
pub fn suggest(input: ReplenishmentInput) -> Option<Suggestion> {
    let days = f64::from(input.days.max(1));
    #[expect(clippy::cast_precision_loss, reason = "unit counts are far below 2^52")]
    let daily_velocity = input.sold.max(0) as f64 / days;
    let position = input.available + input.in_transit;
    #[expect(clippy::cast_precision_loss, reason = "unit counts are far below 2^52")]
    // Nothing left lasts no day, sold or not: a stock-out is the most urgent.
    let days_of_cover = if position <= 0 {
        Some(0.0)
    } else {
        (daily_velocity > 0.0).then(|| position as f64 / daily_velocity)
    };
    // Whole units, rounded up: half a unit sold means one to keep.
    let days_i = i64::from(input.days.max(1));
    let sold_during_lead_time = (input.sold.max(0) * i64::from(input.lead_time_days) + days_i - 1) / days_i;
    if position - sold_during_lead_time >= input.reorder_point && position >= input.reorder_point {
        return None;
    }
    let wanted = input.target_level.max(input.reorder_point) + sold_during_lead_time;
    let quantity = wanted - position;
    (quantity > 0).then_some(Suggestion {
        quantity,
        daily_velocity,
        days_of_cover,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn transfers_move_forward_and_cannot_be_cancelled_once_shipped() {
        use TransferStatus::*;
        assert!(Draft.can_become(Requested));
        assert!(Requested.can_become(Shipped));
        assert!(Shipped.can_become(Received));
        assert!(Requested.can_become(Cancelled));
        assert!(!Shipped.can_become(Cancelled));
        assert!(!Received.can_become(Shipped));
        assert!(!Draft.can_become(Shipped));
        assert!(!Cancelled.can_become(Requested));
        for status in TransferStatus::ALL {
            assert_eq!(TransferStatus::parse(status.as_str()), Some(status));
        }
    }

    fn input(available: i64, sold: i64) -> ReplenishmentInput {
        ReplenishmentInput {
            available,
            in_transit: 0,
            reorder_point: 4,
            target_level: 12,
            sold,
            days: 28,
            lead_time_days: 7,
        }
    }

    #[test]
    fn a_location_is_topped_up_to_its_target_plus_what_sells_before_delivery() {
        assert_eq!(suggest(input(10, 0)), None, "above the reorder point, nothing sells");
        assert_eq!(
            suggest(input(0, 0)).unwrap().days_of_cover,
            Some(0.0),
            "a stock-out comes first"
        );
        let low = suggest(input(3, 0)).unwrap();
        assert_eq!(low.quantity, 9);
        assert_eq!(low.days_of_cover, None);
        // 28 sold in 28 days: one a day, seven during the lead time.
        let selling = suggest(input(10, 28)).unwrap();
        assert_eq!(selling.quantity, 12 + 7 - 10);
        assert_eq!(selling.days_of_cover, Some(10.0));
        let mut arriving = input(3, 0);
        arriving.in_transit = 9;
        assert_eq!(suggest(arriving), None, "what is on its way counts");
    }

    proptest! {
        #[test]
        fn a_suggestion_never_overshoots_the_target_and_lead_time(
            available in 0_i64..500, in_transit in 0_i64..100, sold in 0_i64..1000,
            reorder_point in 0_i64..50, extra in 0_i64..50, lead in 0_u32..30,
        ) {
            let input = ReplenishmentInput {
                available, in_transit, reorder_point, target_level: reorder_point + extra,
                sold, days: 28, lead_time_days: lead,
            };
            if let Some(s) = suggest(input) {
                prop_assert!(s.quantity > 0);
                let lead_sales = (sold * i64::from(lead) + 27) / 28;
                prop_assert!(available + in_transit + s.quantity <= reorder_point + extra + lead_sales);
            }
        }
    }
}

/// Where `quantity` units of one variant are taken from, given what each
/// location has available: the fullest locations first, so an order is
/// split as little as possible. `None` when they do not hold enough in all.
pub fn allocate<L: Copy + Ord>(quantity: i64, available: &[(L, i64)]) -> Option<Vec<(L, i64)>> {
    let mut sources: Vec<(L, i64)> = available.iter().copied().filter(|(_, n)| *n > 0).collect();
    sources.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut left = quantity;
    let mut taken = Vec::new();
    for (location, n) in sources {
        if left <= 0 {
            break;
        }
        let take = n.min(left);
        taken.push((location, take));
        left -= take;
    }
    (left <= 0 && quantity > 0).then_some(taken)
}

#[cfg(test)]
mod allocation_tests {
    use super::allocate;

    #[test]
    fn an_order_takes_from_the_fullest_location_and_splits_only_when_it_must() {
        assert_eq!(allocate(3, &[(1, 2), (2, 5)]), Some(vec![(2, 3)]));
        assert_eq!(allocate(6, &[(1, 2), (2, 5)]), Some(vec![(2, 5), (1, 1)]));
        assert_eq!(allocate(8, &[(1, 2), (2, 5)]), None);
        assert_eq!(allocate(1, &[(1, 0), (2, -3)]), None);
        assert_eq!(allocate(0, &[(1, 4)]), None);
    }
}
