//! Stock per variant and location: levels, their append-only ledger,
//! reservations, low-stock alerts, and the locations themselves.
//!
//! Every change of a level goes through [`apply`], which writes the level
//! and its movement together and never lets `on_hand` go below zero or
//! `reserved` above `on_hand`: a decrement is a conditional update, so two
//! sales of the last unit cannot both succeed. Callers that touch several
//! levels in one transaction take them in `(variant_id, location_id)` order
//! ([`sort_for_locking`]) so concurrent transactions never deadlock.

pub mod locations;
pub mod reservations;
pub mod stock;
pub mod transfers;

pub use locations::*;
pub use reservations::*;
pub use stock::*;
pub use transfers::*;

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Result;
use crate::platform::audit::Actor;
use crate::platform::outbox;

/// The outbox topic of a low-stock alert that just opened:
/// `{alert_id, variant_id, location_id, available, reorder_point}`.
pub const ALERT_OPENED: &str = "stock.alert_opened";

/// How long after an alert closed it reopens quietly instead of notifying
/// again.
pub const ALERT_QUIET_HOURS: i32 = 24;

/// What a movement records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovementKind {
    Receipt,
    Sale,
    Return,
    Adjustment,
    TransferOut,
    TransferIn,
    Reservation,
    Release,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Sale => "sale",
            Self::Return => "return",
            Self::Adjustment => "adjustment",
            Self::TransferOut => "transfer_out",
            Self::TransferIn => "transfer_in",
            Self::Reservation => "reservation",
            Self::Release => "release",
        }
    }
}

/// One change of one level.
#[derive(Debug, Clone)]
pub struct NewMovement<'a> {
    pub variant_id: Uuid,
    pub location_id: Uuid,
    pub kind: MovementKind,
    /// For adjustments: `count`, `damage`, `theft` or `correction`.
    pub reason: Option<&'a str>,
    pub on_hand_delta: i32,
    pub reserved_delta: i32,
    pub note: Option<&'a str>,
    pub actor: Actor,
    pub reference_type: Option<&'a str>,
    pub reference_id: Option<Uuid>,
}

/// A level after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub on_hand: i32,
    pub reserved: i32,
    pub reorder_point: i32,
}

impl Level {
    pub fn available(self) -> i32 {
        self.on_hand - self.reserved
    }
}

/// The level could not move that far: not enough available (or reserved)
/// stock. Nothing was written; the caller rolls its transaction back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insufficient {
    pub variant_id: Uuid,
    pub location_id: Uuid,
}

/// Changes a level and records the movement, in the caller's transaction;
/// opens or closes the level's low-stock alert. A level that does not exist
/// yet is created when stock arrives.
pub async fn apply(conn: &mut PgConnection, movement: &NewMovement<'_>) -> Result<Result<Level, Insufficient>> {
    if movement.on_hand_delta > 0 {
        sqlx::query!(
            "INSERT INTO stock_levels (variant_id, location_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            movement.variant_id,
            movement.location_id
        )
        .execute(&mut *conn)
        .await?;
    }
    // The conditions are the table's constraints, checked before writing:
    // a refused change is an answer, not an error that aborts the
    // transaction. Computed in bigint, so a level that would pass the
    // integer range (two billion units) is refused the same way.
    let level = sqlx::query_as!(
        Level,
        r#"UPDATE stock_levels
              SET on_hand = on_hand + $3::integer, reserved = reserved + $4::integer, updated_at = now()
            WHERE variant_id = $1 AND location_id = $2
              AND on_hand::bigint + $3::integer BETWEEN 0 AND 2147483647 AND reserved::bigint + $4::integer >= 0
              AND reserved::bigint + $4::integer <= on_hand::bigint + $3::integer
        RETURNING on_hand, reserved, reorder_point"#,
        movement.variant_id,
        movement.location_id,
        movement.on_hand_delta,
        movement.reserved_delta
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(level) = level else {
        return Ok(Err(Insufficient {
            variant_id: movement.variant_id,
            location_id: movement.location_id,
        }));
    };
    let (actor_user_id, actor_api_key_id) = match movement.actor {
        Actor::User(id) => (Some(id), None),
        Actor::ApiKey(id) => (None, Some(id)),
        _ => (None, None),
    };
    sqlx::query!(
        r#"INSERT INTO stock_movements (id, variant_id, location_id, kind, reason, on_hand_delta, reserved_delta, note,
                                        actor_user_id, actor_api_key_id, reference_type, reference_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"#,
        Uuid::now_v7(),
        movement.variant_id,
        movement.location_id,
        movement.kind.as_str(),
        movement.reason,
        movement.on_hand_delta,
        movement.reserved_delta,
        movement.note,
        actor_user_id,
        actor_api_key_id,
        movement.reference_type,
        movement.reference_id
    )
    .execute(&mut *conn)
    .await?;
    check_alert(conn, movement.variant_id, movement.location_id, level).await?;
    Ok(Ok(level))
}

/// Opens the level's alert when `available` fell below the reorder point
/// (once: an open alert stays the only one) and closes it when stock came
/// back. A newly opened alert notifies through the outbox; one that closed
/// less than [`ALERT_QUIET_HOURS`] ago opens again quietly.
pub async fn check_alert(conn: &mut PgConnection, variant_id: Uuid, location_id: Uuid, level: Level) -> Result<()> {
    if level.available() < level.reorder_point {
        // Stock that dips and comes back (carts reserving, then expiring)
        // would open an alert and email the managers each time: an alert
        // closed within the quiet period opens again without a notice.
        let reopened = sqlx::query_scalar!(
            r#"UPDATE stock_alerts SET closed_at = NULL, available = $3, reorder_point = $4
                WHERE id = (SELECT id FROM stock_alerts
                             WHERE variant_id = $1 AND location_id = $2
                               AND closed_at > now() - make_interval(hours => $5)
                             ORDER BY closed_at DESC LIMIT 1)
                  AND NOT EXISTS (SELECT 1 FROM stock_alerts
                                   WHERE variant_id = $1 AND location_id = $2 AND closed_at IS NULL)
                RETURNING id"#,
            variant_id,
            location_id,
            level.available(),
            level.reorder_point,
            ALERT_QUIET_HOURS
        )
        .fetch_optional(&mut *conn)
        .await?;
        if reopened.is_some() {
            return Ok(());
        }
        let opened = sqlx::query_scalar!(
            r#"INSERT INTO stock_alerts (id, variant_id, location_id, available, reorder_point)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (variant_id, location_id) WHERE closed_at IS NULL DO NOTHING
               RETURNING id"#,
            Uuid::now_v7(),
            variant_id,
            location_id,
            level.available(),
            level.reorder_point
        )
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(alert_id) = opened {
            let payload = json!({
                "alert_id": alert_id, "variant_id": variant_id, "location_id": location_id,
                "available": level.available(), "reorder_point": level.reorder_point,
            });
            outbox::enqueue(conn, ALERT_OPENED, &payload).await?;
        }
    } else {
        sqlx::query!(
            "UPDATE stock_alerts SET closed_at = now() WHERE variant_id = $1 AND location_id = $2 AND closed_at IS NULL",
            variant_id,
            location_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Puts `(variant_id, location_id)` pairs in the order levels are locked in.
pub fn sort_for_locking<T>(items: &mut [T], key: impl Fn(&T) -> (Uuid, Uuid)) {
    items.sort_by_key(|item| key(item));
}

/// A level whose quantities differ from the sums of its movements (or
/// whose reserved quantity differs from its active reservations).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerMismatch {
    pub variant_id: Uuid,
    pub location_id: Uuid,
    pub on_hand: i32,
    pub reserved: i32,
    pub movements_on_hand: i64,
    pub movements_reserved: i64,
    pub active_reservations: i64,
}

/// Every level that its ledger does not explain; none when all is well.
pub async fn verify_ledger(conn: &mut PgConnection) -> Result<Vec<LedgerMismatch>> {
    let rows = sqlx::query_as!(
        LedgerMismatch,
        r#"SELECT l.variant_id, l.location_id, l.on_hand, l.reserved,
                  coalesce(m.on_hand, 0) AS "movements_on_hand!", coalesce(m.reserved, 0) AS "movements_reserved!",
                  coalesce(r.quantity, 0) AS "active_reservations!"
             FROM stock_levels l
             LEFT JOIN (SELECT variant_id, location_id, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                          FROM stock_movements GROUP BY variant_id, location_id) m
                    USING (variant_id, location_id)
             LEFT JOIN (SELECT variant_id, location_id, sum(quantity) AS quantity
                          FROM stock_reservations WHERE status = 'active' GROUP BY variant_id, location_id) r
                    USING (variant_id, location_id)
            WHERE l.on_hand <> coalesce(m.on_hand, 0) OR l.reserved <> coalesce(m.reserved, 0)
               OR l.reserved <> coalesce(r.quantity, 0)
            ORDER BY l.variant_id, l.location_id"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
