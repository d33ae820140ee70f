//! Payment gateways behind one trait, and what their answers do to a payment
//! and its order.
//!
//! A gateway is called outside any database transaction (no stock row stays
//! locked while a bank answers), with the payment's own idempotency key, so
//! calling it again about the same payment never charges twice. Its answer
//! is then applied by [`settle`], which only moves a payment out of
//! `processing` or `requires_action`: a late or repeated answer (a webhook
//! delivered ten times, a reconciliation racing a retry) finds the payment
//! settled and does nothing.

pub mod stripe;
pub mod test_gateway;
pub mod webhook;

use std::time::Duration;

use comptoir_db::PgConnection;
use comptoir_db::orders as orders_db;
use comptoir_db::payments::{self as db, LedgerEntry, Payment, PaymentUpdate};
use comptoir_db::platform::audit::Actor;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::Context;
use crate::error::AppError;

/// What a gateway said about a charge.
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeOutcome {
    /// Authorised and captured.
    Succeeded { reference: String },
    /// Declined; nothing was taken.
    Failed {
        reference: Option<String>,
        code: String,
        message: String,
    },
    /// The customer must act (3-D Secure); the result comes by webhook.
    RequiresAction { reference: String, next_action: Value },
    /// Given up before any money moved.
    Cancelled { reference: Option<String> },
}

/// A gateway call that did not give a definite answer.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Timed out or failed in a way that leaves the outcome unknown: the
    /// payment stays `processing` until a retry or the reconciliation
    /// learns what happened.
    #[error("gateway outcome unknown: {0}")]
    Unknown(String),
    /// The gateway refused the request itself (nothing happened).
    #[error("gateway refused the request: {0}")]
    Refused(String),
}

/// A charge to make.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    pub idempotency_key: &'a str,
    pub token: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub description: &'a str,
    pub payment_id: uuid::Uuid,
}

/// A refund to make.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    pub idempotency_key: &'a str,
    pub charge_reference: &'a str,
    pub amount_minor: i64,
}

/// What every gateway does.
pub trait Gateway {
    /// Authorises and captures at once (or asks for the customer's action).
    fn charge(&self, request: &ChargeRequest<'_>) -> impl Future<Output = Result<ChargeOutcome, GatewayError>> + Send;
    /// What became of the charge made with this payment's key, if any.
    fn retrieve(&self, payment: &Payment) -> impl Future<Output = Result<ChargeOutcome, GatewayError>> + Send;
    /// Gives up a charge waiting for the customer.
    fn cancel(&self, payment: &Payment) -> impl Future<Output = Result<ChargeOutcome, GatewayError>> + Send;
    /// Gives money back; answers the refund's reference.
    fn refund(&self, request: &RefundRequest<'_>) -> impl Future<Output = Result<String, GatewayError>> + Send;
}

/// The gateways of this installation: the built-in test gateway always,
/// Stripe when `STRIPE_SECRET_KEY` is set (card payments then go to it).
#[derive(Clone)]
pub struct Gateways {
    pub test: test_gateway::TestGateway,
    pub stripe: Option<stripe::StripeGateway>,
    /// Whether the test gateway takes new card payments (`TEST_GATEWAY`;
    /// off by default in production, where a fake payment must never pass).
    pub test_enabled: bool,
}

impl Gateways {
    /// `stripe_transport` is the HTTPS client Stripe is reached with when
    /// `STRIPE_SECRET_KEY` is set; `None` when it could not be built (card
    /// payments then go to the test gateway if it is enabled, or are refused).
    pub fn from_config(
        config: &crate::config::Config,
        db: &comptoir_db::PgPool,
        stripe_transport: Option<std::sync::Arc<dyn stripe::StripeTransport>>,
    ) -> Self {
        let stripe = config
            .stripe_secret_key
            .as_ref()
            .zip(stripe_transport)
            .map(|(key, transport)| stripe::StripeGateway::new(transport, &config.stripe_api_base, key.clone()));
        Self {
            test: test_gateway::TestGateway::new(comptoir_db::pool::side_pool(db, 8)),
            stripe,
            test_enabled: config.test_gateway,
        }
    }

    /// The name of the gateway new card payments go to: Stripe when
    /// configured, else the test gateway when it is enabled.
    pub fn for_cards(&self) -> Option<&'static str> {
        if self.stripe.is_some() {
            Some("stripe")
        } else if self.test_enabled {
            Some("test")
        } else {
            None
        }
    }
}

/// Dispatches to the gateway a payment was made with.
#[derive(Clone, Copy)]
pub enum AnyGateway<'a> {
    Test(&'a test_gateway::TestGateway),
    Stripe(&'a stripe::StripeGateway),
}

impl<'a> AnyGateway<'a> {
    pub fn named(gateways: &'a Gateways, name: &str) -> Result<Self, AppError> {
        match (name, &gateways.stripe) {
            ("test", _) => Ok(Self::Test(&gateways.test)),
            ("stripe", Some(stripe)) => Ok(Self::Stripe(stripe)),
            _ => Err(AppError::internal(anyhow::anyhow!(
                "payment gateway {name} is not configured"
            ))),
        }
    }
}

impl Gateway for AnyGateway<'_> {
    async fn charge(&self, request: &ChargeRequest<'_>) -> Result<ChargeOutcome, GatewayError> {
        match self {
            Self::Test(g) => g.charge(request).await,
            Self::Stripe(g) => g.charge(request).await,
        }
    }

    async fn retrieve(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        match self {
            Self::Test(g) => g.retrieve(payment).await,
            Self::Stripe(g) => g.retrieve(payment).await,
        }
    }

    async fn cancel(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        match self {
            Self::Test(g) => g.cancel(payment).await,
            Self::Stripe(g) => g.cancel(payment).await,
        }
    }

    async fn refund(&self, request: &RefundRequest<'_>) -> Result<String, GatewayError> {
        match self {
            Self::Test(g) => g.refund(request).await,
            Self::Stripe(g) => g.refund(request).await,
        }
    }
}

/// Chooses the TLS implementation of outgoing HTTPS (ring: quick to build,
/// no C toolchain beyond the one every build has). Call before building a
/// client; calling again does nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The outbox topic of a payment that succeeded for an order already
/// cancelled (its customer paid after the time ran out): the money goes
/// back. `{payment_id}`.
pub const REFUND_LATE_PAYMENT: &str = "payment.refund_late";

/// Calls the gateway for a payment in `processing` and settles its answer.
/// An unknown outcome leaves the payment as it is (a retry or the
/// reconciliation settles it).
pub async fn run_charge(
    state: &Context,
    conn: &mut PgConnection,
    payment: &Payment,
    token: &str,
) -> Result<Payment, AppError> {
    let gateway = AnyGateway::named(&state.gateways, &payment.gateway)?;
    let request = ChargeRequest {
        idempotency_key: &payment.idempotency_key,
        token,
        amount_minor: payment.amount_minor,
        currency: &payment.currency,
        description: &payment.description,
        payment_id: payment.id,
    };
    let outcome = match gateway.charge(&request).await {
        Ok(outcome) => outcome,
        Err(GatewayError::Refused(message)) => ChargeOutcome::Failed {
            reference: None,
            code: "gateway_refused".into(),
            message,
        },
        Err(GatewayError::Unknown(cause)) => {
            tracing::warn!(payment = %payment.id, %cause, "payment outcome unknown; it will be reconciled");
            metrics::counter!("comptoir_payment_outcome_unknown_total").increment(1);
            return Ok(payment.clone());
        }
    };
    let mut tx = sqlx::Connection::begin(conn).await.map_err(comptoir_db::Error::from)?;
    let settled = settle(&mut tx, payment.id, &outcome, Actor::System).await?;
    tx.commit().await.map_err(comptoir_db::Error::from)?;
    Ok(settled)
}

/// Applies a gateway's answer to a payment and its order, in the caller's
/// transaction. Only a payment still `processing` or `requires_action`
/// changes; a settled one is answered as it is.
pub async fn settle(
    conn: &mut PgConnection,
    payment_id: uuid::Uuid,
    outcome: &ChargeOutcome,
    actor: Actor,
) -> Result<Payment, AppError> {
    // The order first, then the payment: the order's lock is what every
    // change of an order and its payments takes first.
    let order_id = db::get_payment(conn, payment_id).await?.order_id;
    let order = orders_db::lock_order(conn, order_id).await?;
    let payment = db::lock_payment(conn, payment_id).await?;
    // A success may still follow a failure or a cancellation (a webhook
    // about a declined attempt that arrives after the one about the retry
    // that went through; a 3-D Secure approval racing the order's
    // deadline): money taken is always recorded. Nothing else reopens a
    // settled payment.
    let open = match outcome {
        ChargeOutcome::Succeeded { .. } => matches!(
            payment.status.as_str(),
            "processing" | "requires_action" | "failed" | "cancelled"
        ),
        _ => matches!(payment.status.as_str(), "processing" | "requires_action"),
    };
    if !open {
        return Ok(payment);
    }
    if let ChargeOutcome::Succeeded { reference } = outcome
        && db::payments_of_order(conn, order.id)
            .await?
            .iter()
            .any(|p| p.status == "succeeded" && p.id != payment.id)
    {
        // The order was already paid by another payment: this one is
        // recorded as a duplicate and given back.
        let update = PaymentUpdate {
            status: "duplicate",
            gateway_reference: Some(reference),
            ..Default::default()
        };
        let detail = json!({"gateway": payment.gateway, "duplicate": true});
        let updated = record(conn, &payment, &update, &[("capture", payment.amount_minor)], detail).await?;
        comptoir_db::platform::outbox::enqueue(conn, REFUND_LATE_PAYMENT, &json!({"payment_id": payment.id})).await?;
        tracing::warn!(payment = %payment.id, order = %order.number, "a second payment succeeded for a paid order; refunding it");
        return Ok(updated);
    }
    let amount = payment.amount_minor;
    let updated = match outcome {
        ChargeOutcome::Succeeded { reference } => {
            let update = PaymentUpdate {
                status: "succeeded",
                gateway_reference: Some(reference),
                ..Default::default()
            };
            let ledger = [("authorization", amount), ("capture", amount)];
            let updated = record(conn, &payment, &update, &ledger, json!({"gateway": payment.gateway})).await?;
            crate::orders::payment_received(conn, &order, &updated, actor).await?;
            updated
        }
        ChargeOutcome::Failed {
            reference,
            code,
            message,
        } => {
            let update = PaymentUpdate {
                status: "failed",
                gateway_reference: reference.as_deref(),
                failure_code: Some(code),
                failure_message: Some(message),
                ..Default::default()
            };
            let detail = json!({"code": code, "message": message});
            record(conn, &payment, &update, &[("failure", 0)], detail).await?
        }
        ChargeOutcome::RequiresAction { reference, next_action } => {
            if payment.status == "requires_action" {
                return Ok(payment);
            }
            // What was asked is kept, never the key to answer it (Stripe's
            // client secret): the order's page asks Stripe for it when the
            // customer is there.
            let mut asked = next_action.clone();
            if let Some(fields) = asked.as_object_mut() {
                fields.remove("client_secret");
            }
            let update = PaymentUpdate {
                status: "requires_action",
                gateway_reference: Some(reference),
                next_action: Some(asked.clone()),
                ..Default::default()
            };
            record(conn, &payment, &update, &[("action_required", 0)], asked).await?
        }
        ChargeOutcome::Cancelled { reference } => {
            let update = PaymentUpdate {
                status: "cancelled",
                gateway_reference: reference.as_deref(),
                ..Default::default()
            };
            record(conn, &payment, &update, &[("cancellation", 0)], json!({})).await?
        }
    };
    Ok(updated)
}

/// Writes what a gateway said: the payment's new state and its ledger
/// entries `(kind, amount)`, with the gateway's reference.
async fn record(
    conn: &mut PgConnection,
    payment: &Payment,
    update: &PaymentUpdate<'_>,
    ledger: &[(&str, i64)],
    detail: Value,
) -> Result<Payment, AppError> {
    let updated = db::update_payment(conn, payment.id, update).await?;
    for (kind, amount_minor) in ledger {
        db::append_ledger(
            conn,
            &LedgerEntry {
                payment_id: payment.id,
                order_id: payment.order_id,
                kind,
                amount_minor: *amount_minor,
                gateway_reference: update.gateway_reference,
                detail: detail.clone(),
            },
        )
        .await?;
    }
    Ok(updated)
}

/// Refunds in full a payment that succeeded for an order that was already
/// cancelled. Idempotent: its gateway key is derived from the payment.
pub async fn refund_late_payment(state: &Context, payment_id: uuid::Uuid) -> Result<(), AppError> {
    let mut conn = state.db.acquire().await?;
    let payment = db::get_payment(&mut conn, payment_id).await?;
    drop(conn);
    let left = payment.amount_minor - payment.refunded_minor;
    let Some(reference) = payment.gateway_reference.clone() else {
        return Ok(());
    };
    if !matches!(payment.status.as_str(), "succeeded" | "duplicate") || left <= 0 {
        return Ok(());
    }
    let refund_reference = if payment.gateway == "manual" {
        // A transfer goes back by transfer, which someone must make.
        tracing::warn!(payment = %payment.id, amount_minor = left,
            "a bank transfer came for an order that cannot take it: transfer it back to the customer");
        format!("manual:late-refund-{}", payment.id)
    } else {
        let gateway = AnyGateway::named(&state.gateways, &payment.gateway)?;
        let key = format!("comptoir-late-refund-{}", payment.id);
        gateway
            .refund(&RefundRequest {
                idempotency_key: &key,
                charge_reference: &reference,
                amount_minor: left,
            })
            .await
            .map_err(AppError::unavailable)?
    };
    let mut tx = state.db.begin().await?;
    orders_db::lock_order(&mut tx, payment.order_id).await?;
    let payment = db::lock_payment(&mut tx, payment_id).await?;
    if payment.refunded_minor == 0 {
        db::add_payment_refunded(&mut tx, payment.id, left).await?;
        db::append_ledger(
            &mut tx,
            &LedgerEntry {
                payment_id: payment.id,
                order_id: payment.order_id,
                kind: "refund",
                amount_minor: left,
                gateway_reference: Some(&refund_reference),
                detail: json!({"reason": "paid after the order was cancelled"}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// How long a payment may stay `processing` before the reconciliation asks
/// the gateway: longer than any gateway call with its retries, so a charge
/// still under way is not taken for lost.
pub const RECONCILE_AFTER: Duration = Duration::from_secs(60);
const RECONCILE_INTERVAL: Duration = Duration::from_secs(15);

/// Settles payments left `processing` (a lost answer, a crash between the
/// charge and its record) by asking their gateway; answers how many it
/// settled.
pub async fn reconcile(state: &Context, older_than: Duration) -> Result<usize, AppError> {
    let before = time::OffsetDateTime::now_utc() - older_than;
    let mut conn = state.db.acquire().await?;
    let due = db::unsettled_before(&mut conn, before, 100).await?;
    let mut settled = 0;
    drop(conn);
    for payment_id in due {
        // One payment that cannot be settled must not hold up the others.
        match reconcile_one(state, payment_id).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(payment = %payment_id, error = %err.code(), "reconciling a payment failed; will try again")
            }
        }
    }
    Ok(settled)
}

/// Asks the gateway about one payment still `processing`; answers whether
/// it was settled.
async fn reconcile_one(state: &Context, payment_id: uuid::Uuid) -> Result<bool, AppError> {
    let mut conn = state.db.acquire().await?;
    let payment = db::get_payment(&mut conn, payment_id).await?;
    drop(conn);
    if payment.status != "processing" {
        // Waiting for the customer: the order's deadline handles it.
        return Ok(false);
    }
    let gateway = AnyGateway::named(&state.gateways, &payment.gateway)?;
    let outcome = match gateway.retrieve(&payment).await {
        Ok(outcome) => outcome,
        Err(err) => {
            tracing::warn!(payment = %payment.id, error = %err, "reconciliation could not learn the outcome");
            return Ok(false);
        }
    };
    let mut tx = state.db.begin().await?;
    let after = settle(&mut tx, payment.id, &outcome, Actor::System).await?;
    tx.commit().await?;
    if after.status == payment.status {
        return Ok(false);
    }
    tracing::info!(payment = %payment.id, status = %after.status, "payment reconciled");
    metrics::counter!("comptoir_payments_reconciled_total").increment(1);
    Ok(true)
}

/// Where a Stripe payment waiting for 3-D Secure stands, asked of Stripe
/// while its customer is on the order's page.
pub enum PendingAction {
    /// Still waiting: the client secret Stripe.js needs to run the step.
    ClientSecret(String),
    /// Settled meanwhile (before its webhook); now settled here too.
    Settled,
    /// Not a Stripe payment waiting, or Stripe did not say.
    Unknown,
}

pub async fn pending_action(state: &Context, payment_id: uuid::Uuid) -> Result<PendingAction, AppError> {
    let mut conn = state.db.acquire().await?;
    let payment = db::get_payment(&mut conn, payment_id).await?;
    drop(conn);
    if payment.gateway != "stripe" || payment.status != "requires_action" {
        return Ok(PendingAction::Unknown);
    }
    let gateway = AnyGateway::named(&state.gateways, &payment.gateway)?;
    match gateway.retrieve(&payment).await {
        Ok(ChargeOutcome::RequiresAction { next_action, .. }) => Ok(next_action["client_secret"]
            .as_str()
            .map_or(PendingAction::Unknown, |secret| {
                PendingAction::ClientSecret(secret.to_owned())
            })),
        Ok(outcome) => {
            let mut tx = state.db.begin().await?;
            settle(&mut tx, payment.id, &outcome, Actor::System).await?;
            tx.commit().await?;
            Ok(PendingAction::Settled)
        }
        Err(err) => {
            tracing::warn!(payment = %payment.id, error = %err, "Stripe did not say where a 3-D Secure payment stands");
            Ok(PendingAction::Unknown)
        }
    }
}

/// Runs [`reconcile`] until shutdown.
pub async fn run_reconciliation(state: Context, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if let Err(err) = reconcile(&state, RECONCILE_AFTER).await {
            tracing::error!(error = %err.code(), "payment reconciliation failed; will try again");
        }
        tokio::select! {
            _ = tokio::time::sleep(RECONCILE_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Delivers one of the test gateway's webhooks (an outbox event), through
/// the same once-only handling as Stripe's.
pub async fn deliver_test_webhook(state: &Context, payload: &serde_json::Value) -> Result<(), AppError> {
    let text = |name: &str| {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (event_id, kind, charge_id) = (text("id"), text("type"), text("charge_id"));
    let mut conn = state.db.acquire().await?;
    let charge = comptoir_db::payments::lock_test_charge(&mut conn, &charge_id).await?;
    drop(conn);
    let outcome = test_gateway::outcome_of(&charge);
    webhook::handle_event(state, "test", &event_id, &kind, Some(&charge.id), None, Some(&outcome)).await?;
    Ok(())
}
