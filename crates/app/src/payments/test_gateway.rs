//! The built-in test gateway: it keeps its own books (the
//! `test_gateway_charges` table stands for the bank's side) and answers like
//! a real gateway, webhooks included, so the shop's paths are the same.
//!
//! Card tokens:
//! - `tok_visa`: authorised and captured at once;
//! - `tok_chargeDeclined`: declined (`card_declined`);
//! - `tok_threeDSecure`: needs 3-D Secure; the customer approves or declines
//!   at `next_action.url`, and the result arrives as a webhook;
//! - `tok_timeoutAfterCharge`: charged, but the answer is lost (a timeout):
//!   the reconciliation finds the charge;
//! - `tok_gatewayDown`: the gateway cannot be reached (nothing charged);
//! - anything else: declined as `invalid_token`.

use comptoir_db::PgPool;
use comptoir_db::payments::{self as db, Payment, TestCharge};
use comptoir_db::platform::outbox;
use serde_json::json;

use super::{ChargeOutcome, ChargeRequest, Gateway, GatewayError, RefundRequest};

/// The outbox topic the test gateway's webhooks travel through:
/// `{id, type, charge_id}`.
pub const WEBHOOK: &str = "test_gateway.webhook";

#[derive(Clone)]
pub struct TestGateway {
    pool: PgPool,
}

impl TestGateway {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Its books (tests and the 3-D Secure page read them).
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    fn unknown(err: impl std::fmt::Display) -> GatewayError {
        GatewayError::Unknown(err.to_string())
    }
}

/// What a charge's status means to the shop.
pub fn outcome_of(charge: &TestCharge) -> ChargeOutcome {
    match charge.status.as_str() {
        "succeeded" => ChargeOutcome::Succeeded {
            reference: charge.id.clone(),
        },
        "requires_action" => ChargeOutcome::RequiresAction {
            reference: charge.id.clone(),
            next_action: next_action(&charge.id),
        },
        "cancelled" => ChargeOutcome::Cancelled {
            reference: Some(charge.id.clone()),
        },
        _ => {
            let (code, message) = if charge.token == "tok_chargeDeclined" {
                ("card_declined", "The card was declined.")
            } else if charge.token == "tok_threeDSecure" {
                ("authentication_failed", "3-D Secure authentication failed.")
            } else {
                ("invalid_token", "This card token is not known to the test gateway.")
            };
            ChargeOutcome::Failed {
                reference: Some(charge.id.clone()),
                code: code.into(),
                message: message.into(),
            }
        }
    }
}

fn next_action(charge_id: &str) -> serde_json::Value {
    json!({
        "type": "redirect_to_url",
        "url": format!("/api/v1/test-gateway/charges/{charge_id}/authenticate"),
    })
}

impl Gateway for TestGateway {
    async fn charge(&self, request: &ChargeRequest<'_>) -> Result<ChargeOutcome, GatewayError> {
        let status = match request.token {
            "tok_gatewayDown" => return Err(GatewayError::Unknown("connection refused".into())),
            "tok_visa" | "tok_timeoutAfterCharge" => "succeeded",
            "tok_threeDSecure" => "requires_action",
            _ => "failed",
        };
        let mut conn = self.pool.acquire().await.map_err(Self::unknown)?;
        let charge = db::test_charge(
            &mut conn,
            request.idempotency_key,
            request.token,
            request.amount_minor,
            request.currency,
            status,
        )
        .await
        .map_err(Self::unknown)?;
        if charge.token == "tok_timeoutAfterCharge"
            && charge.created_at > time::OffsetDateTime::now_utc() - time::Duration::seconds(2)
        {
            // The charge is made; its answer is lost on the way back.
            return Err(GatewayError::Unknown("timed out waiting for the gateway".into()));
        }
        Ok(outcome_of(&charge))
    }

    async fn retrieve(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        let mut conn = self.pool.acquire().await.map_err(Self::unknown)?;
        match db::test_charge_by_key(&mut conn, &payment.idempotency_key)
            .await
            .map_err(Self::unknown)?
        {
            Some(charge) => Ok(outcome_of(&charge)),
            // The request never reached the gateway: nothing was taken.
            None => Ok(ChargeOutcome::Failed {
                reference: None,
                code: "not_received".into(),
                message: "The gateway never received this payment.".into(),
            }),
        }
    }

    async fn cancel(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        let mut tx = self.pool.begin().await.map_err(Self::unknown)?;
        let Some(charge) = db::test_charge_by_key(&mut tx, &payment.idempotency_key)
            .await
            .map_err(Self::unknown)?
        else {
            return Ok(ChargeOutcome::Cancelled { reference: None });
        };
        let charge = db::lock_test_charge(&mut tx, &charge.id).await.map_err(Self::unknown)?;
        if charge.status == "requires_action" {
            db::set_test_charge_status(&mut tx, &charge.id, "cancelled")
                .await
                .map_err(Self::unknown)?;
            tx.commit().await.map_err(Self::unknown)?;
            return Ok(ChargeOutcome::Cancelled {
                reference: Some(charge.id),
            });
        }
        Ok(outcome_of(&charge))
    }

    async fn refund(&self, request: &RefundRequest<'_>) -> Result<String, GatewayError> {
        let mut tx = self.pool.begin().await.map_err(Self::unknown)?;
        let refund = db::test_refund(
            &mut tx,
            request.idempotency_key,
            request.charge_reference,
            request.amount_minor,
        )
        .await
        .map_err(Self::unknown)?;
        tx.commit().await.map_err(Self::unknown)?;
        refund.ok_or_else(|| GatewayError::Refused("the charge has less left to refund than asked".into()))
    }
}

/// The customer's answer to the 3-D Secure challenge: the charge succeeds
/// or fails, and the gateway sends its webhook (through the outbox, so it
/// is delivered at least once, like a real gateway's). Answers the charge.
pub async fn authenticate(
    pool: &PgPool,
    charge_id: &str,
    approve: bool,
) -> Result<Option<TestCharge>, comptoir_db::Error> {
    let mut tx = pool.begin().await?;
    let charge = match db::lock_test_charge(&mut tx, charge_id).await {
        Ok(charge) => charge,
        Err(comptoir_db::Error::NotFound) => return Ok(None),
        Err(err) => return Err(err),
    };
    if charge.status != "requires_action" {
        return Ok(Some(charge));
    }
    let status = if approve { "succeeded" } else { "failed" };
    db::set_test_charge_status(&mut tx, &charge.id, status).await?;
    let event_type = if approve { "charge.succeeded" } else { "charge.failed" };
    outbox::enqueue(
        &mut tx,
        WEBHOOK,
        &json!({"id": format!("evt_test_{}", uuid::Uuid::now_v7().simple()), "type": event_type, "charge_id": charge.id}),
    )
    .await?;
    let charge = db::lock_test_charge(&mut tx, charge_id).await?;
    tx.commit().await?;
    Ok(Some(charge))
}
