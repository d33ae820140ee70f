//! Inventory's background work: reservations whose time ran out go back to
//! available stock, and store managers hear of low stock by email.

pub mod access;
pub mod availability;
pub mod locations;
pub mod stock;
pub mod transfers;

use std::time::Duration;

use comptoir_db::PgPool;
use comptoir_db::inventory as db;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{AppError, FieldError};
use crate::mail::{Email, Mailer};
use crate::platform::outbox::DeliveryError;
use comptoir_db::inventory::Insufficient;

/// How often expired reservations are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);
/// Expires reservations until shutdown. Several instances share the work:
/// each batch skips the rows another worker holds.
pub async fn run_expiry(pool: PgPool, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if let Err(err) = expire_all_due(&pool).await {
            tracing::error!(error = %err, "expiring reservations failed; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Expires every reservation whose time is up, one per transaction;
/// answers how many.
pub async fn expire_all_due(pool: &PgPool) -> Result<usize, comptoir_db::Error> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        if !db::expire_one_due(&mut tx).await? {
            break;
        }
        tx.commit().await?;
        total += 1;
    }
    if total > 0 {
        tracing::info!(expired = total, "reservations expired; their stock is available again");
    }
    Ok(total)
}

/// Delivers a `stock.alert_opened` event: one email to each manager of the
/// location. Each message's file is named after the event and the manager,
/// so a redelivery rewrites it instead of sending twice.
pub async fn notify_alert(
    pool: &PgPool,
    mailer: &Mailer,
    event_id: Uuid,
    payload: &serde_json::Value,
) -> Result<(), DeliveryError> {
    let field = |name: &str| {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse::<Uuid>().ok())
            .ok_or_else(|| DeliveryError::Permanent(format!("payload has no {name}")))
    };
    let (location_id, variant_id) = (field("location_id")?, field("variant_id")?);
    let available = payload
        .get("available")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let reorder_point = payload
        .get("reorder_point")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let transient = |err: comptoir_db::Error| DeliveryError::Transient(err.to_string());
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| DeliveryError::Transient(e.to_string()))?;
    let location = db::get_location(&mut conn, location_id).await.map_err(transient)?;
    let variant = comptoir_db::catalog::get_variant(&mut conn, variant_id)
        .await
        .map_err(transient)?;
    let managers = db::location_managers(&mut conn, location_id).await.map_err(transient)?;
    drop(conn);
    for manager in managers {
        let email = Email {
            to: manager.email.clone(),
            subject: format!("Stock bas : {} à {}", variant.sku, location.name),
            text: format!(
                "Bonjour {},\n\nIl ne reste que {available} unité(s) disponible(s) de {} à {} \
                 (seuil de réassort : {reorder_point}).\n\nL'alerte se fermera d'elle-même quand le stock remontera.\n",
                manager.first_name, variant.sku, location.name
            ),
        };
        let digest = Sha256::digest([event_id.as_bytes().as_slice(), manager.user_id.as_bytes()].concat());
        let mut bytes = [0_u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        mailer.deliver(Uuid::from_bytes(bytes), &email).await?;
    }
    Ok(())
}

/// 409 `stock.insufficient`, naming the levels that lack stock.
pub fn insufficient(lacking: &[Insufficient]) -> AppError {
    let lines = lacking
        .iter()
        .map(|l| {
            FieldError::new(
                l.variant_id.to_string(),
                "stock.insufficient",
                format!("not enough stock at location {}", l.location_id),
            )
        })
        .collect();
    AppError::conflict(
        "stock.insufficient",
        format!(
            "Not enough stock: {}.",
            lacking
                .iter()
                .map(|l| format!("variant {} at location {}", l.variant_id, l.location_id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .with_errors(lines)
}
