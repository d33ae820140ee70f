//! Stock levels, adjustments, the movement ledger, thresholds, low-stock
//! alerts and reservations, as the back office sees them. Each function
//! takes the caller's [`Reach`]: a location out of it is answered as one
//! that does not exist.

use comptoir_db::inventory::{self as db, MovementKind, NewMovement};
use comptoir_db::{Optional, PgConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::access::{Reach, location_not_found};
use super::insufficient;
use crate::Context;
use crate::error::{AppError, FieldError};
use crate::platform::staff::Acting;
use crate::platform::{decode_cursor, encode_cursor, page_limit, paged};

/// A level of one variant at one location.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StockLevelView {
    pub location_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub on_hand: i32,
    pub reserved: i32,
    /// `on_hand - reserved`: what can still be sold.
    pub available: i32,
    /// Below this, a low-stock alert opens.
    pub reorder_point: i32,
    /// What replenishment tops the level up to.
    pub target_level: i32,
}

impl From<db::StockRow> for StockLevelView {
    fn from(r: db::StockRow) -> Self {
        Self {
            location_id: r.location_id,
            variant_id: r.variant_id,
            sku: r.sku,
            product_name: r.product_name,
            on_hand: r.on_hand,
            reserved: r.reserved,
            available: r.available,
            reorder_point: r.reorder_point,
            target_level: r.target_level,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockPage {
    pub items: Vec<StockLevelView>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    /// One location; by default every location the caller reaches.
    pub location: Option<Uuid>,
    /// Part of a SKU or of a product name.
    pub q: Option<String>,
    /// Only levels whose available stock is under their reorder point.
    pub below_reorder_point: Option<bool>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn invalid_cursor() -> AppError {
    AppError::validation(vec![FieldError::new("cursor", "invalid", "not a cursor this API gave")])
}

/// Stock levels by location and SKU.
pub async fn list_stock(ctx: &Context, reach: &Reach, query: &StockQuery) -> Result<StockPage, AppError> {
    let locations = reach.filter(query.location)?;
    let limit = page_limit(query.limit, 50)?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::validation(vec![FieldError::new(
            "q",
            "too_long",
            "at most 100 characters",
        )]));
    }
    let after = match query.cursor.as_deref() {
        None => None,
        Some(raw) => {
            let (location, sku) = raw.split_once('.').ok_or_else(invalid_cursor)?;
            Some((location.parse::<Uuid>().map_err(|_| invalid_cursor())?, sku))
        }
    };
    let mut conn = ctx.db.acquire().await?;
    let rows = db::list_stock(
        &mut conn,
        &db::StockQuery {
            locations: locations.as_deref(),
            q,
            below_reorder_point: query.below_reorder_point.unwrap_or(false),
            after,
            limit: limit + 1,
        },
    )
    .await?;
    let (rows, next_cursor) = paged(rows, limit, |r| format!("{}.{}", r.location_id, r.sku));
    Ok(StockPage {
        items: rows.into_iter().map(StockLevelView::from).collect(),
        next_cursor,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    /// Goods received from a supplier.
    Receipt,
    /// A stock count found a different quantity.
    Count,
    Damage,
    Theft,
    /// An earlier mistake put right.
    Correction,
    /// A customer brought goods back to the shelf.
    Return,
}

impl AdjustmentReason {
    /// The ledger's kind and, for adjustments proper, its reason.
    fn movement(self) -> (MovementKind, Option<&'static str>) {
        match self {
            Self::Receipt => (MovementKind::Receipt, None),
            Self::Return => (MovementKind::Return, None),
            Self::Count => (MovementKind::Adjustment, Some("count")),
            Self::Damage => (MovementKind::Adjustment, Some("damage")),
            Self::Theft => (MovementKind::Adjustment, Some("theft")),
            Self::Correction => (MovementKind::Adjustment, Some("correction")),
        }
    }
}

/// A change of stock that is not a sale: units received, counted, damaged...
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentRequest {
    pub location_id: Uuid,
    pub variant_id: Uuid,
    /// Units added (positive) or taken away (negative); not zero.
    #[schema(example = 12, minimum = -1_000_000, maximum = 1_000_000)]
    pub delta: i32,
    pub reason: AdjustmentReason,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// The adjusted level.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentView {
    pub location_id: Uuid,
    pub variant_id: Uuid,
    pub delta: i32,
    pub reason: AdjustmentReason,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i32,
}

const MAX_DELTA: i32 = 1_000_000;

/// Receives, counts, writes off or corrects stock, with an `Idempotency-Key`
/// (a retried request adjusts once). Taking away more than is available
/// answers 409 `stock.insufficient` and changes nothing; a level that does
/// not exist yet is created by stock coming in.
pub async fn adjust_stock(
    conn: &mut PgConnection,
    reach: &Reach,
    acting: Acting<'_>,
    body: &AdjustmentRequest,
) -> Result<AdjustmentView, AppError> {
    reach.check(body.location_id)?;
    let mut errors = Vec::new();
    if body.delta == 0 || !(-MAX_DELTA..=MAX_DELTA).contains(&body.delta) {
        errors.push(FieldError::new(
            "delta",
            "out_of_range",
            format!("a whole number of units from -{MAX_DELTA} to {MAX_DELTA}, not 0"),
        ));
    }
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        errors.push(FieldError::new("note", "too_long", "at most 500 characters"));
    }
    AppError::unless_valid(errors)?;
    db::get_location(conn, body.location_id)
        .await
        .optional()?
        .ok_or_else(location_not_found)?;
    let variant_exists = comptoir_db::catalog::get_variant(conn, body.variant_id)
        .await
        .optional()?
        .is_some();
    if !variant_exists {
        return Err(AppError::validation(vec![FieldError::new(
            "variant_id",
            "not_found",
            "no such variant",
        )]));
    }
    let (kind, reason) = body.reason.movement();
    let movement = NewMovement {
        variant_id: body.variant_id,
        location_id: body.location_id,
        kind,
        reason,
        on_hand_delta: body.delta,
        reserved_delta: 0,
        note,
        actor: acting.actor,
        reference_type: None,
        reference_id: None,
    };
    let level = db::apply(conn, &movement)
        .await?
        .map_err(|lacking| insufficient(&[lacking]))?;
    acting
        .record(
            conn,
            "inventory.stock.adjusted",
            ("variant", body.variant_id),
            json!({"location_id": body.location_id, "delta": body.delta, "reason": body.reason}),
        )
        .await?;
    let view = AdjustmentView {
        location_id: body.location_id,
        variant_id: body.variant_id,
        delta: body.delta,
        reason: body.reason,
        on_hand: level.on_hand,
        reserved: level.reserved,
        available: level.available(),
    };
    Ok(view)
}

/// One entry of the ledger.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MovementView {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    pub location_id: Uuid,
    /// `receipt`, `sale`, `return`, `adjustment`, `transfer_out`,
    /// `transfer_in`, `reservation` or `release`.
    pub kind: String,
    /// For adjustments: `count`, `damage`, `theft` or `correction`.
    pub reason: Option<String>,
    /// Units of `on_hand` this movement added (negative: removed).
    pub quantity: i32,
    /// Units of `reserved` it added (negative: released).
    pub reserved_delta: i32,
    pub note: Option<String>,
    /// `{"type": "user", "id": ...}`, `{"type": "api_key", ...}` or `{"type": "system"}`.
    #[schema(value_type = Object)]
    pub actor: serde_json::Value,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<db::MovementRow> for MovementView {
    fn from(m: db::MovementRow) -> Self {
        let actor = match (m.actor_user_id, m.actor_api_key_id) {
            (Some(id), _) => json!({"type": "user", "id": id}),
            (None, Some(id)) => json!({"type": "api_key", "id": id}),
            (None, None) => json!({"type": "system"}),
        };
        Self {
            id: m.id,
            variant_id: m.variant_id,
            sku: m.sku,
            location_id: m.location_id,
            kind: m.kind,
            reason: m.reason,
            quantity: m.on_hand_delta,
            reserved_delta: m.reserved_delta,
            note: m.note,
            actor,
            reference_type: m.reference_type,
            reference_id: m.reference_id,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MovementPage {
    pub items: Vec<MovementView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MovementQuery {
    pub variant: Option<Uuid>,
    pub location: Option<Uuid>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The stock ledger, newest first: every change of every level, with who
/// made it and why.
pub async fn list_movements(ctx: &Context, reach: &Reach, query: &MovementQuery) -> Result<MovementPage, AppError> {
    let locations = reach.filter(query.location)?;
    let limit = page_limit(query.limit, 50)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut conn = ctx.db.acquire().await?;
    let rows = db::list_movements(&mut conn, query.variant, locations.as_deref(), after, limit + 1).await?;
    let (rows, next_cursor) = paged(rows, limit, |m| encode_cursor(m.created_at, m.id));
    Ok(MovementPage {
        items: rows.into_iter().map(MovementView::from).collect(),
        next_cursor,
    })
}

/// When a level counts as low, and what replenishment tops it up to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsRequest {
    #[schema(example = 4, minimum = 0, maximum = 1_000_000)]
    pub reorder_point: i32,
    /// At least the reorder point.
    #[schema(example = 12, minimum = 0, maximum = 1_000_000)]
    pub target_level: i32,
}

/// Sets a level's reorder point and target level. A level under its new
/// reorder point opens an alert at once; one above closes it.
pub async fn set_thresholds(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    (location_id, variant_id): (Uuid, Uuid),
    request: &ThresholdsRequest,
) -> Result<StockLevelView, AppError> {
    reach.check(location_id)?;
    let mut errors = Vec::new();
    if !(0..=MAX_DELTA).contains(&request.reorder_point) {
        errors.push(FieldError::new("reorder_point", "out_of_range", "0 or more units"));
    }
    if !(0..=MAX_DELTA).contains(&request.target_level) || request.target_level < request.reorder_point {
        errors.push(FieldError::new(
            "target_level",
            "out_of_range",
            "at least the reorder point",
        ));
    }
    AppError::unless_valid(errors)?;
    let mut tx = ctx.db.begin().await?;
    db::get_location(&mut tx, location_id)
        .await
        .optional()?
        .ok_or_else(location_not_found)?;
    let variant = comptoir_db::catalog::get_variant(&mut tx, variant_id)
        .await
        .optional()?
        .ok_or_else(|| AppError::not_found("catalog.variant_not_found", "No such variant."))?;
    db::set_thresholds(
        &mut tx,
        variant.id,
        location_id,
        request.reorder_point,
        request.target_level,
    )
    .await?;
    acting
        .record(
            &mut tx,
            "inventory.thresholds.set",
            ("variant", variant_id),
            json!({"location_id": location_id, "reorder_point": request.reorder_point,
               "target_level": request.target_level}),
        )
        .await?;
    let row = db::stock_row(&mut tx, location_id, variant.id).await?;
    tx.commit().await?;
    Ok(StockLevelView::from(row))
}

/// An open low-stock alert.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StockAlertView {
    pub id: Uuid,
    pub location_id: Uuid,
    pub variant_id: Uuid,
    pub sku: String,
    /// Available units when it opened.
    pub available_at_open: i32,
    /// Available units now.
    pub available: i32,
    pub reorder_point: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockAlertList {
    pub items: Vec<StockAlertView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocationFilter {
    pub location: Option<Uuid>,
}

/// Open low-stock alerts, oldest first: one per variant and location whose
/// available stock is under its reorder point.
pub async fn list_alerts(ctx: &Context, reach: &Reach, query: &LocationFilter) -> Result<StockAlertList, AppError> {
    let locations = reach.filter(query.location)?;
    let mut conn = ctx.db.acquire().await?;
    let items = db::open_alerts(&mut conn, locations.as_deref())
        .await?
        .into_iter()
        .map(|a| StockAlertView {
            id: a.id,
            location_id: a.location_id,
            variant_id: a.variant_id,
            sku: a.sku,
            available_at_open: a.available_at_open,
            available: a.available,
            reorder_point: a.reorder_point,
            opened_at: a.opened_at,
        })
        .collect();
    Ok(StockAlertList { items })
}

/// Stock set aside for a cart, an order or a sale at the counter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReservationView {
    pub id: Uuid,
    pub location_id: Uuid,
    pub variant_id: Uuid,
    pub quantity: i32,
    /// `cart`, `order`, `pos`, `transfer` or `other`.
    pub purpose: String,
    pub reference_id: Option<Uuid>,
    /// `active`, `released`, `committed` or `expired`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReservationPage {
    pub items: Vec<ReservationView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReservationQuery {
    pub location: Option<Uuid>,
    pub variant: Option<Uuid>,
    /// `active`, `released`, `committed` or `expired`.
    pub status: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Reservations, newest first (read-only: checkout and the point of sale
/// make them).
pub async fn list_reservations(
    ctx: &Context,
    reach: &Reach,
    query: &ReservationQuery,
) -> Result<ReservationPage, AppError> {
    let locations = reach.filter(query.location)?;
    let limit = page_limit(query.limit, 50)?;
    if let Some(status) = query.status.as_deref()
        && !["active", "released", "committed", "expired"].contains(&status)
    {
        return Err(AppError::validation(vec![FieldError::new(
            "status",
            "invalid",
            "active, released, committed or expired",
        )]));
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut conn = ctx.db.acquire().await?;
    let rows = db::list_reservations(
        &mut conn,
        locations.as_deref(),
        query.variant,
        query.status.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = paged(rows, limit, |r| encode_cursor(r.created_at, r.id));
    Ok(ReservationPage {
        items: rows
            .into_iter()
            .map(|r| ReservationView {
                id: r.id,
                location_id: r.location_id,
                variant_id: r.variant_id,
                quantity: r.quantity,
                purpose: r.purpose,
                reference_id: r.reference_id,
                status: r.status,
                expires_at: r.expires_at,
                created_at: r.created_at,
                closed_at: r.closed_at,
            })
            .collect(),
        next_cursor,
    })
}
