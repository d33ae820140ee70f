//! Stock set aside for a cart, an order or a sale at the counter: reserved
//! with an expiry, then released, committed (a sale) or expired.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Insufficient, MovementKind, NewMovement, apply, sort_for_locking};
use crate::platform::audit::Actor;
use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct NewReservation {
    pub variant_id: Uuid,
    pub location_id: Uuid,
    pub quantity: i32,
    /// `cart`, `order`, `pos`, `transfer` or `other`.
    pub purpose: &'static str,
    pub reference_id: Option<Uuid>,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Reservation {
    pub id: Uuid,
    pub variant_id: Uuid,
    pub location_id: Uuid,
    pub quantity: i32,
    pub purpose: String,
    pub reference_id: Option<Uuid>,
    pub status: String,
    pub expires_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
}

/// Reserves one line, or answers which level lacks stock.
pub async fn reserve(
    conn: &mut PgConnection,
    new: &NewReservation,
    actor: Actor,
) -> Result<Result<Reservation, Insufficient>> {
    let id = Uuid::now_v7();
    let movement = NewMovement {
        variant_id: new.variant_id,
        location_id: new.location_id,
        kind: MovementKind::Reservation,
        reason: None,
        on_hand_delta: 0,
        reserved_delta: new.quantity,
        note: None,
        actor,
        reference_type: Some("reservation"),
        reference_id: Some(id),
    };
    if let Err(insufficient) = apply(conn, &movement).await? {
        return Ok(Err(insufficient));
    }
    let row = sqlx::query_as!(
        Reservation,
        r#"INSERT INTO stock_reservations (id, variant_id, location_id, quantity, purpose, reference_id, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id, variant_id, location_id, quantity, purpose, reference_id, status, expires_at, created_at,
                     closed_at"#,
        id,
        new.variant_id,
        new.location_id,
        new.quantity,
        new.purpose,
        new.reference_id,
        new.expires_at
    )
    .fetch_one(conn)
    .await?;
    Ok(Ok(row))
}

/// Reserves every line or answers every line that lacks stock; the caller
/// rolls back on the latter. Levels are locked in key order, so carts that
/// hold the same variants in any order never deadlock.
pub async fn reserve_all(
    conn: &mut PgConnection,
    lines: &[NewReservation],
    actor: Actor,
) -> Result<Result<Vec<Reservation>, Vec<Insufficient>>> {
    let mut ordered = lines.to_vec();
    sort_for_locking(&mut ordered, |line| (line.variant_id, line.location_id));
    let mut reserved = Vec::with_capacity(ordered.len());
    let mut lacking = Vec::new();
    for line in &ordered {
        match reserve(conn, line, actor).await? {
            Ok(reservation) => reserved.push(reservation),
            Err(insufficient) => lacking.push(insufficient),
        }
    }
    Ok(if lacking.is_empty() { Ok(reserved) } else { Err(lacking) })
}

/// How an active reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// Given back (a cart emptied, an order cancelled).
    Release,
    /// Turned into a sale: the units leave `on_hand`.
    Commit,
    /// Its time ran out; the worker gives it back.
    Expire,
}

/// Ends an active reservation; `NotFound` when it is not active (any more).
pub async fn close_reservation(
    conn: &mut PgConnection,
    id: Uuid,
    closing: Closing,
    actor: Actor,
) -> Result<Reservation> {
    let current = sqlx::query_as!(
        Reservation,
        r#"SELECT id, variant_id, location_id, quantity, purpose, reference_id, status, expires_at, created_at, closed_at
             FROM stock_reservations WHERE id = $1 AND status = 'active' FOR UPDATE"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let (kind, on_hand_delta, status) = match closing {
        Closing::Release => (MovementKind::Release, 0, "released"),
        Closing::Expire => (MovementKind::Release, 0, "expired"),
        Closing::Commit => (MovementKind::Sale, -current.quantity, "committed"),
    };
    let movement = NewMovement {
        variant_id: current.variant_id,
        location_id: current.location_id,
        kind,
        reason: None,
        on_hand_delta,
        reserved_delta: -current.quantity,
        note: None,
        actor,
        reference_type: Some("reservation"),
        reference_id: Some(id),
    };
    if apply(conn, &movement).await?.is_err() {
        // An active reservation is always covered by its level; anything
        // else is a broken ledger, which `inventory verify` reports.
        return Err(Error::Check {
            constraint: "stock_reservations_covered_by_level".to_owned(),
        });
    }
    let row = sqlx::query_as!(
        Reservation,
        r#"UPDATE stock_reservations SET status = $2, closed_at = now() WHERE id = $1
           RETURNING id, variant_id, location_id, quantity, purpose, reference_id, status, expires_at, created_at,
                     closed_at"#,
        id,
        status
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// Expires one reservation whose time is up, skipping those another
/// transaction holds; answers whether there was one. Run one per
/// transaction: a transaction locks every reservation it closes before
/// any level, so holding one reservation and then its level never waits
/// in a cycle with another.
pub async fn expire_one_due(conn: &mut PgConnection) -> Result<bool> {
    let due = sqlx::query_scalar!(
        r#"SELECT id FROM stock_reservations
            WHERE status = 'active' AND expires_at <= now()
            ORDER BY expires_at
            LIMIT 1 FOR UPDATE SKIP LOCKED"#
    )
    .fetch_optional(&mut *conn)
    .await?;
    match due {
        Some(id) => {
            close_reservation(conn, id, Closing::Expire, Actor::System).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Reservations, newest first, optionally of one location, variant or status.
pub async fn list_reservations(
    conn: &mut PgConnection,
    locations: Option<&[Uuid]>,
    variant_id: Option<Uuid>,
    status: Option<&str>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Reservation>> {
    let (after_at, after_id) = after.unzip();
    let rows = sqlx::query_as!(
        Reservation,
        r#"SELECT id, variant_id, location_id, quantity, purpose, reference_id, status, expires_at, created_at, closed_at
             FROM stock_reservations
            WHERE ($1::uuid[] IS NULL OR location_id = ANY($1))
              AND ($2::uuid IS NULL OR variant_id = $2)
              AND ($3::text IS NULL OR status = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
            ORDER BY created_at DESC, id DESC
            LIMIT $6"#,
        locations,
        variant_id,
        status,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// The active reservations made for `reference_id` (an order), in the order
/// their levels must be locked.
pub async fn active_reservations_for(conn: &mut PgConnection, reference_id: Uuid) -> Result<Vec<Reservation>> {
    let rows = sqlx::query_as!(
        Reservation,
        r#"SELECT id, variant_id, location_id, quantity, purpose, reference_id, status, expires_at, created_at, closed_at
             FROM stock_reservations
            WHERE reference_id = $1 AND status = 'active'
            ORDER BY variant_id, location_id, id"#,
        reference_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// Every reservation made for `reference_id`, whatever became of it.
pub async fn reservations_for(conn: &mut PgConnection, reference_id: Uuid) -> Result<Vec<Reservation>> {
    let rows = sqlx::query_as!(
        Reservation,
        r#"SELECT id, variant_id, location_id, quantity, purpose, reference_id, status, expires_at, created_at, closed_at
             FROM stock_reservations
            WHERE reference_id = $1
            ORDER BY variant_id, location_id, id"#,
        reference_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
