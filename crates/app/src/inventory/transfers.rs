//! Transfers between locations (`draft → requested → shipped → received`,
//! or cancelled before shipping) and replenishment: what each location
//! should receive, and turning that into a transfer request in one call.

use std::collections::HashMap;

use comptoir_db::inventory::{self as db, MovementKind, NewMovement, Transfer, TransferLine};
use comptoir_db::platform::audit::Actor;
use comptoir_db::{Optional, PgConnection};
use comptoir_domain::inventory::{ReplenishmentInput, TransferStatus, suggest};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::access::{Reach, location_not_found};
use super::insufficient;
use crate::Context;
use crate::error::{AppError, ErrorKind, FieldError};
use crate::platform::staff::Acting;
use crate::platform::{decode_cursor, encode_cursor, page_limit, paged};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferLineView {
    pub variant_id: Uuid,
    pub sku: String,
    /// Units sent.
    pub quantity: i32,
    /// On receipt: units put on the destination's shelf.
    pub received_quantity: Option<i32>,
    /// On receipt: units that arrived damaged (not put in stock).
    pub damaged_quantity: Option<i32>,
    /// On receipt: units that never arrived.
    pub short_quantity: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransferView {
    pub id: Uuid,
    #[schema(example = "TR-2026-000042")]
    pub number: String,
    pub source_location_id: Uuid,
    pub destination_location_id: Uuid,
    /// `draft`, `requested`, `shipped`, `received` or `cancelled`.
    pub status: String,
    pub note: Option<String>,
    pub lines: Vec<TransferLineView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub requested_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub shipped_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub received_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub cancelled_at: Option<OffsetDateTime>,
    pub version: i32,
}

fn view(transfer: Transfer, lines: Vec<TransferLine>) -> TransferView {
    TransferView {
        id: transfer.id,
        number: transfer.number,
        source_location_id: transfer.source_location_id,
        destination_location_id: transfer.destination_location_id,
        status: transfer.status,
        note: transfer.note,
        lines: lines
            .into_iter()
            .map(|l| TransferLineView {
                variant_id: l.variant_id,
                sku: l.sku,
                quantity: l.quantity,
                received_quantity: l.received_quantity,
                damaged_quantity: l.damaged_quantity,
                short_quantity: l
                    .received_quantity
                    .map(|received| l.quantity - received - l.damaged_quantity.unwrap_or(0)),
            })
            .collect(),
        created_at: transfer.created_at,
        requested_at: transfer.requested_at,
        shipped_at: transfer.shipped_at,
        received_at: transfer.received_at,
        cancelled_at: transfer.cancelled_at,
        version: transfer.version,
    }
}

async fn full_view(conn: &mut PgConnection, transfer: Transfer) -> Result<TransferView, AppError> {
    let lines = db::transfer_lines(conn, &[transfer.id]).await?;
    Ok(view(transfer, lines))
}

fn transfer_not_found() -> AppError {
    AppError::not_found("inventory.transfer_not_found", "No such transfer.")
}

/// Store staff move stock out of their own stores, or ask for it from a
/// warehouse; another store's stock is not theirs to send (404, as for a
/// location that does not exist).
async fn check_source(conn: &mut PgConnection, reach: &Reach, source: Uuid, destination: Uuid) -> Result<(), AppError> {
    if reach.allows(source) {
        return Ok(());
    }
    if !reach.allows(destination) {
        return Err(location_not_found());
    }
    let source = db::get_location(conn, source)
        .await
        .optional()?
        .ok_or_else(location_not_found)?;
    if source.kind == "warehouse" {
        Ok(())
    } else {
        Err(location_not_found())
    }
}

/// A transfer the caller reaches through its source or its destination;
/// 404 otherwise, as for one that does not exist.
fn reachable(reach: &Reach, transfer: &Transfer) -> Result<(), AppError> {
    if reach.allows(transfer.source_location_id) || reach.allows(transfer.destination_location_id) {
        Ok(())
    } else {
        Err(transfer_not_found())
    }
}

fn invalid_transition(from: &str, to: TransferStatus) -> AppError {
    AppError::conflict(
        "transfer.invalid_transition",
        format!("A {from} transfer cannot become {}.", to.as_str()),
    )
}

/// The staff member who prepared a transfer (an integration is nobody).
fn user_id(acting: &Acting<'_>) -> Option<Uuid> {
    match acting.actor {
        Actor::User(id) => Some(id),
        _ => None,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferLineRequest {
    pub variant_id: Uuid,
    /// 1 to 100,000 units.
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: i32,
}

/// A new transfer: `draft` by default, or `requested` at once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub source_location_id: Uuid,
    pub destination_location_id: Uuid,
    /// 1 to 500 lines, one per variant.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<TransferLineRequest>,
    #[schema(max_length = 500)]
    pub note: Option<String>,
    /// `draft` (default) or `requested`.
    pub status: Option<String>,
}

const MAX_LINE_UNITS: i32 = 100_000;

/// Creates the transfer and its audit entry in `conn`'s transaction.
async fn create(
    conn: &mut PgConnection,
    acting: Acting<'_>,
    (source, destination): (Uuid, Uuid),
    status: TransferStatus,
    note: Option<&str>,
    lines: &[(Uuid, i32)],
) -> Result<TransferView, AppError> {
    for location in [source, destination] {
        db::get_location(conn, location)
            .await
            .optional()?
            .ok_or_else(location_not_found)?;
    }
    let transfer = db::insert_transfer(
        conn,
        Uuid::now_v7(),
        (source, destination),
        status.as_str(),
        note,
        user_id(&acting),
        lines,
    )
    .await?;
    acting
        .record(
            conn,
            "inventory.transfer.created",
            ("transfer", transfer.id),
            json!({"number": transfer.number, "status": transfer.status}),
        )
        .await?;
    full_view(conn, transfer).await
}

/// Prepares a transfer from one location to another, as a draft or
/// already requested. Managers may do so for transfers from or to their
/// stores.
pub async fn create_transfer(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    request: &TransferRequest,
) -> Result<TransferView, AppError> {
    let mut tx = ctx.db.begin().await?;
    check_source(
        &mut tx,
        reach,
        request.source_location_id,
        request.destination_location_id,
    )
    .await?;
    let mut errors = Vec::new();
    let status = match request.status.as_deref() {
        None | Some("draft") => TransferStatus::Draft,
        Some("requested") => TransferStatus::Requested,
        Some(_) => {
            errors.push(FieldError::new("status", "invalid", "draft or requested"));
            TransferStatus::Draft
        }
    };
    if request.source_location_id == request.destination_location_id {
        errors.push(FieldError::new(
            "destination_location_id",
            "invalid",
            "a transfer goes from one location to another",
        ));
    }
    if request.lines.is_empty() || request.lines.len() > 500 {
        errors.push(FieldError::new("lines", "invalid", "1 to 500 lines"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, line) in request.lines.iter().enumerate() {
        if !(1..=MAX_LINE_UNITS).contains(&line.quantity) {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "out_of_range",
                format!("1 to {MAX_LINE_UNITS} units"),
            ));
        }
        if !seen.insert(line.variant_id) {
            errors.push(FieldError::new(
                format!("lines[{i}].variant_id"),
                "duplicate",
                "one line per variant",
            ));
        }
    }
    let note = request.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        errors.push(FieldError::new("note", "too_long", "at most 500 characters"));
    }
    AppError::unless_valid(errors)?;
    let lines: Vec<(Uuid, i32)> = request.lines.iter().map(|l| (l.variant_id, l.quantity)).collect();
    let created = create(
        &mut tx,
        acting,
        (request.source_location_id, request.destination_location_id),
        status,
        note,
        &lines,
    )
    .await
    .map_err(|err| {
        if err.code() == "resource.reference" {
            AppError::validation(vec![FieldError::new("lines", "not_found", "a variant does not exist")])
        } else {
            err
        }
    })?;
    tx.commit().await?;
    Ok(created)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TransferPage {
    pub items: Vec<TransferView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TransferQuery {
    /// `draft`, `requested`, `shipped`, `received` or `cancelled`.
    pub status: Option<String>,
    /// Transfers from or to this location.
    pub location: Option<Uuid>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Transfers from or to the locations the caller reaches, newest first.
pub async fn list_transfers(ctx: &Context, reach: &Reach, query: &TransferQuery) -> Result<TransferPage, AppError> {
    let locations = reach.filter(query.location)?;
    if let Some(status) = query.status.as_deref()
        && TransferStatus::parse(status).is_none()
    {
        return Err(AppError::validation(vec![FieldError::new(
            "status",
            "invalid",
            "draft, requested, shipped, received or cancelled",
        )]));
    }
    let limit = page_limit(query.limit, 50)?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let mut conn = ctx.db.acquire().await?;
    let transfers = db::list_transfers(
        &mut conn,
        locations.as_deref(),
        query.status.as_deref(),
        after,
        limit + 1,
    )
    .await?;
    let (transfers, next_cursor) = paged(transfers, limit, |t| encode_cursor(t.created_at, t.id));
    let ids: Vec<Uuid> = transfers.iter().map(|t| t.id).collect();
    let mut lines: HashMap<Uuid, Vec<TransferLine>> = HashMap::new();
    for line in db::transfer_lines(&mut conn, &ids).await? {
        lines.entry(line.transfer_id).or_default().push(line);
    }
    let items = transfers
        .into_iter()
        .map(|t| {
            let own = lines.remove(&t.id).unwrap_or_default();
            view(t, own)
        })
        .collect();
    Ok(TransferPage { items, next_cursor })
}

/// A transfer with its lines.
pub async fn get_transfer(ctx: &Context, reach: &Reach, id: Uuid) -> Result<TransferView, AppError> {
    let mut conn = ctx.db.acquire().await?;
    let transfer = db::get_transfer(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(transfer_not_found)?;
    reachable(reach, &transfer)?;
    full_view(&mut conn, transfer).await
}

/// Moves a locked transfer to `next` after checking who may: `at` is the
/// location whose staff acts (the source ships, the destination receives;
/// either requests or cancels).
async fn transition(
    conn: &mut PgConnection,
    reach: &Reach,
    id: Uuid,
    next: TransferStatus,
) -> Result<Transfer, AppError> {
    let transfer = db::lock_transfer(conn, id)
        .await
        .optional()?
        .ok_or_else(transfer_not_found)?;
    reachable(reach, &transfer)?;
    let acting = match next {
        TransferStatus::Shipped => reach.allows(transfer.source_location_id),
        TransferStatus::Received => reach.allows(transfer.destination_location_id),
        _ => true,
    };
    if !acting {
        return Err(AppError::forbidden(match next {
            TransferStatus::Shipped => "Only the source location's staff ships a transfer.",
            _ => "Only the destination's staff receives a transfer.",
        }));
    }
    let current = TransferStatus::parse(&transfer.status).ok_or_else(|| invalid_transition(&transfer.status, next))?;
    if !current.can_become(next) {
        return Err(invalid_transition(&transfer.status, next));
    }
    Ok(transfer)
}

async fn finish(
    conn: &mut PgConnection,
    acting: Acting<'_>,
    id: Uuid,
    next: TransferStatus,
) -> Result<TransferView, AppError> {
    let transfer = db::set_transfer_status(conn, id, next.as_str()).await?;
    acting
        .record(
            conn,
            "inventory.transfer.moved",
            ("transfer", id),
            json!({"status": transfer.status, "number": transfer.number}),
        )
        .await?;
    full_view(conn, transfer).await
}

/// A step that moves no stock (requesting, cancelling), in its own transaction.
async fn move_without_stock(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    id: Uuid,
    next: TransferStatus,
) -> Result<TransferView, AppError> {
    let mut tx = ctx.db.begin().await?;
    transition(&mut tx, reach, id, next).await?;
    let answer = finish(&mut tx, acting, id, next).await?;
    tx.commit().await?;
    Ok(answer)
}

/// Asks the source to send a draft transfer.
pub async fn request_transfer(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    id: Uuid,
) -> Result<TransferView, AppError> {
    move_without_stock(ctx, reach, acting, id, TransferStatus::Requested).await
}

/// Cancels a draft or requested transfer (a shipped one is in transit:
/// only receiving it ends it).
pub async fn cancel_transfer(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    id: Uuid,
) -> Result<TransferView, AppError> {
    move_without_stock(ctx, reach, acting, id, TransferStatus::Cancelled).await
}

/// Nothing to say when shipping, but a JSON object all the same (`{}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {}

/// Ships a requested transfer: its units leave the source's stock (one
/// `transfer_out` movement per line) and are in transit. Not enough stock
/// at the source answers 409 `stock.insufficient` naming the lines, and
/// nothing moves. Takes an `Idempotency-Key`.
/// In the caller's transaction (an idempotency key's).
pub async fn ship_transfer(
    conn: &mut PgConnection,
    reach: &Reach,
    acting: Acting<'_>,
    id: Uuid,
) -> Result<TransferView, AppError> {
    let transfer = transition(conn, reach, id, TransferStatus::Shipped).await?;
    // Lines come ordered by variant: levels are locked in key order.
    let lines = db::transfer_lines(conn, &[id]).await?;
    let mut lacking = Vec::new();
    for line in &lines {
        let movement = NewMovement {
            variant_id: line.variant_id,
            location_id: transfer.source_location_id,
            kind: MovementKind::TransferOut,
            reason: None,
            on_hand_delta: -line.quantity,
            reserved_delta: 0,
            note: None,
            actor: acting.actor,
            reference_type: Some("transfer"),
            reference_id: Some(id),
        };
        if let Err(short) = db::apply(conn, &movement).await? {
            lacking.push(short);
        }
    }
    if !lacking.is_empty() {
        return Err(insufficient(&lacking));
    }
    finish(conn, acting, id, TransferStatus::Shipped).await
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivedLine {
    pub variant_id: Uuid,
    /// Units put on the shelf.
    #[schema(minimum = 0)]
    pub received_quantity: i32,
    /// Units that arrived damaged; default 0.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub damaged_quantity: i32,
}

/// What arrived; lines left out arrived whole.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    #[serde(default)]
    pub lines: Vec<ReceivedLine>,
}

/// Receives a shipped transfer at its destination: the units put on the
/// shelf enter its stock (one `transfer_in` movement per line); damaged
/// and missing units are recorded on the line. Takes an `Idempotency-Key`.
/// In the caller's transaction (an idempotency key's).
pub async fn receive_transfer(
    conn: &mut PgConnection,
    reach: &Reach,
    acting: Acting<'_>,
    id: Uuid,
    request: &ReceiveRequest,
) -> Result<TransferView, AppError> {
    let transfer = transition(conn, reach, id, TransferStatus::Received).await?;
    let lines = db::transfer_lines(conn, &[id]).await?;
    let mut errors = Vec::new();
    let mut counted: HashMap<Uuid, (i32, i32)> = HashMap::new();
    for (i, received) in request.lines.iter().enumerate() {
        match lines.iter().find(|l| l.variant_id == received.variant_id) {
            None => errors.push(FieldError::new(
                format!("lines[{i}].variant_id"),
                "not_found",
                "not a line of this transfer",
            )),
            Some(line)
                if received.received_quantity < 0
                    || received.damaged_quantity < 0
                    || i64::from(received.received_quantity) + i64::from(received.damaged_quantity)
                        > i64::from(line.quantity) =>
            {
                errors.push(FieldError::new(
                    format!("lines[{i}].received_quantity"),
                    "out_of_range",
                    format!(
                        "received and damaged units add up to at most the {} sent",
                        line.quantity
                    ),
                ));
            }
            Some(_) => {
                if counted
                    .insert(
                        received.variant_id,
                        (received.received_quantity, received.damaged_quantity),
                    )
                    .is_some()
                {
                    errors.push(FieldError::new(
                        format!("lines[{i}].variant_id"),
                        "duplicate",
                        "one entry per line",
                    ));
                }
            }
        }
    }
    AppError::unless_valid(errors)?;
    for line in &lines {
        let (received, damaged) = counted.get(&line.variant_id).copied().unwrap_or((line.quantity, 0));
        db::record_line_receipt(conn, id, line.variant_id, received, damaged).await?;
        if received == 0 {
            continue;
        }
        let movement = NewMovement {
            variant_id: line.variant_id,
            location_id: transfer.destination_location_id,
            kind: MovementKind::TransferIn,
            reason: None,
            on_hand_delta: received,
            reserved_delta: 0,
            note: (received < line.quantity).then_some("received short or damaged"),
            actor: acting.actor,
            reference_type: Some("transfer"),
            reference_id: Some(id),
        };
        db::apply(conn, &movement)
            .await?
            .map_err(|short| insufficient(&[short]))?;
    }
    finish(conn, acting, id, TransferStatus::Received).await
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestionView {
    pub variant_id: Uuid,
    pub sku: String,
    pub product_name: String,
    pub available: i64,
    /// Units requested or shipped to the location and not received yet
    /// (what was asked for is not asked for twice).
    pub in_transit: i64,
    pub reorder_point: i32,
    pub target_level: i32,
    /// Units sold at the location over the period.
    pub sold: i64,
    pub daily_velocity: f64,
    /// Days the stock lasts at that pace; none when nothing sells.
    pub days_of_cover: Option<f64>,
    pub suggested_quantity: i64,
    /// The warehouse with the most available units of it, if any has some.
    pub source_location_id: Option<Uuid>,
    pub source_available: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestionList {
    pub location_id: Uuid,
    pub days: u32,
    pub lead_time_days: u32,
    /// Most urgent first: fewest days of cover, then furthest under the reorder point.
    pub items: Vec<SuggestionView>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionQuery {
    pub location: Uuid,
    /// The sales period, 1 to 365 days; default 28.
    #[param(minimum = 1, maximum = 365)]
    pub days: Option<u32>,
    /// Days until stock asked for is on the shelf, 0 to 60; default 3.
    #[param(minimum = 0, maximum = 60)]
    pub lead_time_days: Option<u32>,
}

async fn suggestions(
    conn: &mut PgConnection,
    location: Uuid,
    days: u32,
    lead_time_days: u32,
) -> Result<Vec<SuggestionView>, AppError> {
    let since = OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
    let rows = db::replenishment_rows(conn, location, since).await?;
    let mut items: Vec<SuggestionView> = rows
        .into_iter()
        .filter_map(|row| {
            let suggestion = suggest(ReplenishmentInput {
                available: row.available,
                in_transit: row.in_transit,
                reorder_point: i64::from(row.reorder_point),
                target_level: i64::from(row.target_level),
                sold: row.sold,
                days,
                lead_time_days,
            })?;
            Some(SuggestionView {
                variant_id: row.variant_id,
                sku: row.sku,
                product_name: row.product_name,
                available: row.available,
                in_transit: row.in_transit,
                reorder_point: row.reorder_point,
                target_level: row.target_level,
                sold: row.sold,
                daily_velocity: suggestion.daily_velocity,
                days_of_cover: suggestion.days_of_cover,
                suggested_quantity: suggestion.quantity,
                source_location_id: None,
                source_available: 0,
            })
        })
        .collect();
    let ids: Vec<Uuid> = items.iter().map(|i| i.variant_id).collect();
    let sources = db::warehouse_stock(conn, &ids, location).await?;
    for item in &mut items {
        if let Some((_, source, available)) = sources.iter().find(|(variant, ..)| *variant == item.variant_id) {
            item.source_location_id = Some(*source);
            item.source_available = *available;
        }
    }
    items.sort_by(|a, b| {
        let cover = |s: &SuggestionView| s.days_of_cover.unwrap_or(f64::INFINITY);
        cover(a)
            .total_cmp(&cover(b))
            .then_with(|| b.shortfall().cmp(&a.shortfall()))
            .then_with(|| a.sku.cmp(&b.sku))
    });
    Ok(items)
}

impl SuggestionView {
    /// How far under its reorder point the location is, counting what is on its way.
    fn shortfall(&self) -> i64 {
        i64::from(self.reorder_point) - self.available - self.in_transit
    }
}

fn period(days: Option<u32>, lead_time_days: Option<u32>) -> Result<(u32, u32), AppError> {
    let days = days.unwrap_or(28);
    let lead = lead_time_days.unwrap_or(3);
    let mut errors = Vec::new();
    if !(1..=365).contains(&days) {
        errors.push(FieldError::new("days", "out_of_range", "1 to 365"));
    }
    if lead > 60 {
        errors.push(FieldError::new("lead_time_days", "out_of_range", "0 to 60"));
    }
    AppError::unless_valid(errors)?;
    Ok((days, lead))
}

/// What a location should receive, most urgent first: from its sales over
/// the period (velocity), the lead time, and the stock it has and has on
/// its way, up to its target level.
pub async fn list_suggestions(
    ctx: &Context,
    reach: &Reach,
    query: &SuggestionQuery,
) -> Result<SuggestionList, AppError> {
    reach.check(query.location)?;
    let (days, lead_time_days) = period(query.days, query.lead_time_days)?;
    let mut conn = ctx.db.acquire().await?;
    db::get_location(&mut conn, query.location)
        .await
        .optional()?
        .ok_or_else(location_not_found)?;
    let items = suggestions(&mut conn, query.location, days, lead_time_days).await?;
    Ok(SuggestionList {
        location_id: query.location,
        days,
        lead_time_days,
        items,
    })
}

/// Turns a location's suggestions into one transfer request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplenishRequest {
    pub location_id: Uuid,
    /// Where the units come from; default: the warehouse holding the most
    /// of the first suggestion.
    pub source_location_id: Option<Uuid>,
    /// Only these variants; default every suggestion.
    pub variant_ids: Option<Vec<Uuid>>,
    /// The sales period, 1 to 365 days; default 28.
    #[schema(minimum = 1, maximum = 365)]
    pub days: Option<u32>,
    /// 0 to 60 days; default 3.
    #[schema(minimum = 0, maximum = 60)]
    pub lead_time_days: Option<u32>,
}

/// Creates a `requested` transfer to the location from the source, one line
/// per suggestion, each capped at what the source has available. 422
/// `replenishment.nothing_to_send` when nothing is both needed and there.
pub async fn replenish(
    ctx: &Context,
    reach: &Reach,
    acting: Acting<'_>,
    request: &ReplenishRequest,
) -> Result<TransferView, AppError> {
    reach.check(request.location_id)?;
    let (days, lead_time_days) = period(request.days, request.lead_time_days)?;
    let mut tx = ctx.db.begin().await?;
    // One replenishment of a location at a time: a second call waits, then
    // counts the first one's request as on its way.
    db::lock_location(&mut tx, request.location_id)
        .await
        .optional()?
        .ok_or_else(location_not_found)?;
    let mut items = suggestions(&mut tx, request.location_id, days, lead_time_days).await?;
    if let Some(only) = &request.variant_ids {
        items.retain(|i| only.contains(&i.variant_id));
    }
    let source = request
        .source_location_id
        .or_else(|| items.iter().find_map(|i| i.source_location_id));
    let Some(source) = source else {
        return Err(nothing_to_send());
    };
    if source == request.location_id {
        return Err(AppError::validation(vec![FieldError::new(
            "source_location_id",
            "invalid",
            "a location does not replenish itself",
        )]));
    }
    check_source(&mut tx, reach, source, request.location_id).await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.variant_id).collect();
    let at_source: HashMap<Uuid, i64> = comptoir_db::catalog::stock_of_variants(&mut tx, &ids)
        .await?
        .into_iter()
        .filter(|s| s.location_id == source)
        .map(|s| (s.variant_id, s.available))
        .collect();
    let mut lines: Vec<(Uuid, i32)> = items
        .iter()
        .filter_map(|item| {
            let units = item
                .suggested_quantity
                .min(at_source.get(&item.variant_id).copied().unwrap_or(0));
            let units = i32::try_from(units.min(i64::from(MAX_LINE_UNITS))).ok()?;
            (units > 0).then_some((item.variant_id, units))
        })
        .collect();
    if lines.is_empty() {
        return Err(nothing_to_send());
    }
    lines.truncate(500);
    let created = create(
        &mut tx,
        acting,
        (source, request.location_id),
        TransferStatus::Requested,
        Some("Réassort proposé"),
        &lines,
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

fn nothing_to_send() -> AppError {
    AppError::new(
        ErrorKind::Invalid,
        "replenishment.nothing_to_send",
        "Nothing needs replenishing from a location that has it available.",
    )
}
