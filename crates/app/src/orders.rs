//! What happens to an order as it is paid, cancelled or runs out of time,
//! and the emails it sends. Every function runs in its caller's
//! transaction, with the order's row locked first.

pub mod admin;
pub mod customer;
pub mod views;

use std::time::Duration;

use comptoir_db::PgConnection;
use comptoir_db::inventory::{self as stock, Closing, MovementKind, NewMovement};
use comptoir_db::orders::{self as db, DocumentKind, Order};
use comptoir_db::payments::{self as payments_db, Payment};
use comptoir_db::platform::audit::Actor;
use comptoir_db::platform::outbox;
use comptoir_domain::orders::OrderStatus;
use serde_json::json;
use tokio::sync::watch;

use crate::Context;
use crate::documents::euros;
use crate::error::AppError;
use crate::mail::{self, Email};
use crate::payments::{AnyGateway, Gateway, REFUND_LATE_PAYMENT, settle};

/// How long the stock of a card order waits for its payment.
pub const CARD_PAYMENT_WINDOW: time::Duration = time::Duration::minutes(15);
/// How long the stock of a bank-transfer order waits for the transfer.
pub const TRANSFER_PAYMENT_WINDOW: time::Duration = time::Duration::days(7);
/// Reservations outlive the order's deadline by this much, so the order's
/// own expiry (which cancels it and releases them) always comes first.
pub const RESERVATION_GRACE: time::Duration = time::Duration::minutes(10);

/// The order's status as the domain knows it. A value the domain does not
/// know is a fault of the data, refused, never read as another status.
pub fn status_of(order: &Order) -> Result<OrderStatus, AppError> {
    OrderStatus::parse(&order.status).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "order {} has the unknown status {:?}",
            order.number,
            order.status
        ))
    })
}

/// A payment succeeded: the order becomes `paid`, its reserved stock is
/// sold, its invoice number is issued and the customer hears of it. When
/// the order can no longer take the money (cancelled because the time ran
/// out, or its stock is gone), the money goes back.
pub async fn payment_received(
    conn: &mut PgConnection,
    order: &Order,
    payment: &Payment,
    actor: Actor,
) -> Result<(), AppError> {
    let status = status_of(order)?;
    let reservations = stock::reservations_for(conn, order.id).await?;
    let all_held = reservations.iter().all(|r| r.status == "active");
    if !status.can_become(OrderStatus::Paid) || !all_held {
        if status.can_become(OrderStatus::Cancelled) {
            cancel(conn, order, actor, "the payment came after the stock was released").await?;
        }
        outbox::enqueue(conn, REFUND_LATE_PAYMENT, &json!({"payment_id": payment.id})).await?;
        tracing::warn!(order = %order.number, payment = %payment.id, "payment for an order that cannot take it; refunding");
        return Ok(());
    }
    for reservation in reservations {
        stock::close_reservation(conn, reservation.id, Closing::Commit, actor).await?;
    }
    let paid = db::set_status(conn, order, OrderStatus::Paid.as_str(), actor, None).await?;
    db::add_money(conn, order.id, payment.amount_minor, 0).await?;
    let invoice = db::issue_document_number(conn, DocumentKind::Invoice).await?;
    db::set_invoice_number(conn, order.id, &invoice).await?;
    queue_email(conn, &paid, OrderEmail::Paid { invoice: &invoice }).await?;
    // The store collecting the order, or `online` for a delivery.
    let store = match paid.pickup_location_id {
        Some(location) => comptoir_db::inventory::get_location(conn, location)
            .await
            .map(|l| l.code)
            .unwrap_or_else(|_| location.to_string()),
        None => "online".to_owned(),
    };
    metrics::counter!("comptoir_orders_paid_total", "channel" => paid.channel.clone(), "store" => store.clone())
        .increment(1);
    metrics::counter!("comptoir_revenue_minor_total", "channel" => paid.channel.clone(), "store" => store)
        .increment(u64::try_from(payment.amount_minor).unwrap_or(0));
    Ok(())
}

/// Cancels an order that has not shipped: reserved stock is released, sold
/// stock comes back to where it left. Money taken is not refunded here:
/// callers refund first.
pub async fn cancel(conn: &mut PgConnection, order: &Order, actor: Actor, note: &str) -> Result<Order, AppError> {
    let reservations = stock::reservations_for(conn, order.id).await?;
    for reservation in &reservations {
        match reservation.status.as_str() {
            "active" => {
                stock::close_reservation(conn, reservation.id, Closing::Release, actor).await?;
            }
            "committed" => {
                let note = format!("order {} cancelled", order.number);
                let units = (reservation.variant_id, reservation.location_id, reservation.quantity);
                return_to_stock(conn, order, units, actor, &note).await?;
            }
            _ => {}
        }
    }
    let cancelled = db::set_status(conn, order, OrderStatus::Cancelled.as_str(), actor, Some(note)).await?;
    queue_email(conn, &cancelled, OrderEmail::Cancelled).await?;
    Ok(cancelled)
}

/// Units of a sold order back on the shelf they left: `(variant,
/// location, quantity)`, recorded as a return in the ledger.
pub async fn return_to_stock(
    conn: &mut PgConnection,
    order: &Order,
    (variant_id, location_id, quantity): (uuid::Uuid, uuid::Uuid, i32),
    actor: Actor,
    note: &str,
) -> Result<(), AppError> {
    let returned = stock::apply(
        conn,
        &NewMovement {
            variant_id,
            location_id,
            kind: MovementKind::Return,
            reason: None,
            on_hand_delta: quantity,
            reserved_delta: 0,
            note: Some(note),
            actor,
            reference_type: Some("order"),
            reference_id: Some(order.id),
        },
    )
    .await?;
    returned.map_err(|lacking| crate::inventory::insufficient(&[lacking]))?;
    Ok(())
}

/// The emails an order sends.
pub enum OrderEmail<'a> {
    /// Placed, to be paid by bank transfer: with the instructions.
    AwaitingTransfer {
        iban: &'a str,
        bic: &'a str,
    },
    /// Paid: the confirmation.
    Paid {
        invoice: &'a str,
    },
    Shipped,
    Refunded {
        amount_minor: i64,
        credit_note: &'a str,
    },
    Cancelled,
}

pub async fn queue_email(conn: &mut PgConnection, order: &Order, email: OrderEmail<'_>) -> Result<(), AppError> {
    let total = euros(order.grand_total_minor);
    let (subject, body) = match email {
        OrderEmail::AwaitingTransfer { iban, bic } => (
            format!("Commande {} enregistrée : en attente de votre virement", order.number),
            format!(
                "Merci pour votre commande {number}.\n\nPour la régler, faites un virement de {total} :\n\
                 IBAN : {iban}\nBIC : {bic}\nRéférence : {number}\n\nNous préparerons votre commande dès réception.\n",
                number = order.number
            ),
        ),
        OrderEmail::Paid { invoice } => (
            format!("Commande {} confirmée", order.number),
            format!(
                "Merci pour votre commande {number}.\n\nNous avons bien reçu votre paiement de {total} \
                 (facture {invoice}).\nLivraison : {shipping}.\n\nVous pouvez suivre votre commande dans votre compte.\n",
                number = order.number,
                shipping = order.shipping_name
            ),
        ),
        OrderEmail::Shipped => (
            format!("Commande {} expédiée", order.number),
            format!(
                "Votre commande {number} est en route.\nTransporteur : {carrier}\nNuméro de suivi : {tracking}\n",
                number = order.number,
                carrier = order.carrier.as_deref().unwrap_or("—"),
                tracking = order.tracking_number.as_deref().unwrap_or("—"),
            ),
        ),
        OrderEmail::Refunded {
            amount_minor,
            credit_note,
        } => (
            format!("Remboursement de votre commande {}", order.number),
            format!(
                "Nous vous avons remboursé {amount} sur votre commande {number} (avoir {credit_note}).\n\
                 Le montant apparaîtra sur votre relevé sous quelques jours.\n",
                amount = euros(amount_minor),
                number = order.number
            ),
        ),
        OrderEmail::Cancelled => (
            format!("Commande {} annulée", order.number),
            format!(
                "Votre commande {number} est annulée. Si vous aviez payé, le remboursement suit.\n",
                number = order.number
            ),
        ),
    };
    mail::queue(
        conn,
        &Email {
            to: order.email.clone(),
            subject,
            text: format!("Bonjour,\n\n{body}\n— Comptoir\n"),
        },
    )
    .await?;
    Ok(())
}

const OVERDUE_INTERVAL: Duration = Duration::from_secs(5);

/// Cancels, until shutdown, the orders whose payment did not come in time.
pub async fn run_overdue(state: Context, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if let Err(err) = cancel_overdue(&state).await {
            tracing::error!(error = %err.code(), "cancelling overdue orders failed; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(OVERDUE_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Cancels every order whose time to pay is up and releases its stock; a
/// payment still waiting for the customer is called off at its gateway
/// first (and if it succeeded meanwhile, the order is paid instead).
/// Answers how many orders were cancelled.
pub async fn cancel_overdue(state: &Context) -> Result<usize, AppError> {
    let mut cancelled = 0;
    // Orders this sweep could not settle (a gateway that does not answer):
    // left for the next one, without holding up the others.
    let mut skip: Vec<uuid::Uuid> = Vec::new();
    loop {
        let mut tx = state.db.begin().await?;
        let Some(order) = db::lock_one_overdue(&mut tx, &skip).await? else {
            break;
        };
        match cancel_one_overdue(state, &mut tx, &order).await {
            Ok(true) => {
                tx.commit().await?;
                cancelled += 1;
            }
            Ok(false) => {
                // Paid at the last moment.
                tx.commit().await?;
            }
            Err(err) => {
                tracing::warn!(order = %order.number, error = %err.code(), "an overdue order could not be settled; will try again");
                drop(tx);
                skip.push(order.id);
            }
        }
    }
    if cancelled > 0 {
        tracing::info!(cancelled, "unpaid orders cancelled; their stock is available again");
    }
    Ok(cancelled)
}

/// Calls off the payments still waiting for the customer, then cancels the
/// order unless one of them went through meanwhile (it is then paid).
/// Answers whether it cancelled. A gateway that does not answer is an
/// error: nothing is cancelled on a guess.
async fn cancel_one_overdue(state: &Context, conn: &mut PgConnection, order: &Order) -> Result<bool, AppError> {
    let payments = payments_db::payments_of_order(conn, order.id).await?;
    for payment in payments.iter().filter(|p| p.status == "requires_action") {
        let gateway = AnyGateway::named(&state.gateways, &payment.gateway)?;
        let outcome = gateway.cancel(payment).await.map_err(AppError::unavailable)?;
        settle(conn, payment.id, &outcome, Actor::System).await?;
    }
    let order = db::lock_order(conn, order.id).await?;
    if !matches!(
        status_of(&order)?,
        OrderStatus::PendingPayment | OrderStatus::AwaitingPayment
    ) {
        return Ok(false);
    }
    for payment in payments.iter().filter(|p| p.status == "awaiting_transfer") {
        payments_db::update_payment(
            conn,
            payment.id,
            &payments_db::PaymentUpdate {
                status: "cancelled",
                ..Default::default()
            },
        )
        .await?;
    }
    cancel(conn, &order, Actor::System, "the payment did not come in time").await?;
    Ok(true)
}
