//! The Stripe adapter: PaymentIntents (create and confirm at once,
//! capture when the intent waits for it, retrieve, cancel) and Refunds over
//! HTTPS, through the [`StripeTransport`] the server supplies.
//!
//! Every call forwards Comptoir's idempotency key as Stripe's
//! `Idempotency-Key`, so repeating a call (after a lost answer) never
//! charges twice; it is retried at most 3 times, with jitter, when Stripe
//! says so (`Stripe-Should-Retry`) or the network failed, all within a 10 s
//! budget per call.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir_db::payments::Payment;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{ChargeOutcome, ChargeRequest, Gateway, GatewayError, RefundRequest};

const CALL_BUDGET: Duration = Duration::from_secs(10);
const MAX_RETRIES: u32 = 3;

/// One HTTPS exchange with Stripe, as this adapter asks for it.
#[derive(Debug, Clone)]
pub struct StripeCall<'a> {
    /// `POST` when true, `GET` otherwise.
    pub post: bool,
    pub url: String,
    pub secret_key: &'a str,
    pub idempotency_key: Option<&'a str>,
    /// The URL-encoded form of a `POST`.
    pub form: Option<String>,
    /// How long the exchange may take, connecting included.
    pub timeout: Duration,
}

/// Stripe's answer to one exchange.
#[derive(Debug, Clone)]
pub struct StripeAnswer {
    pub status: u16,
    /// `Stripe-Should-Retry`, when Stripe sent it.
    pub should_retry: Option<bool>,
    /// The JSON body (`null` when it was not JSON).
    pub body: Value,
}

/// Why an exchange has no answer.
#[derive(Debug)]
pub enum TransportError {
    /// Nothing reached Stripe.
    Connect(String),
    /// The request may have reached Stripe; its answer was lost.
    Lost(String),
}

/// The HTTPS client Stripe is reached with, supplied at start by the
/// server (its HTTP client), so that the use cases carry no HTTP stack.
pub trait StripeTransport: Send + Sync {
    fn send<'a>(
        &'a self,
        call: StripeCall<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<StripeAnswer, TransportError>> + Send + 'a>>;
}

#[derive(Clone)]
pub struct StripeGateway {
    transport: Arc<dyn StripeTransport>,
    base: String,
    secret_key: SecretString,
}

impl StripeGateway {
    pub fn new(transport: Arc<dyn StripeTransport>, base: &str, secret_key: SecretString) -> Self {
        Self {
            transport,
            base: base.trim_end_matches('/').to_owned(),
            secret_key,
        }
    }

    /// One API call with its retries. `form` is sent URL-encoded, as Stripe
    /// expects.
    async fn call(
        &self,
        post: bool,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, GatewayError> {
        let started = Instant::now();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let mut attempt = 0;
        loop {
            let left = CALL_BUDGET.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(GatewayError::Unknown(format!(
                    "{path}: no answer within {CALL_BUDGET:?}"
                )));
            }
            let call = StripeCall {
                post,
                url: format!("{}{path}", self.base),
                secret_key: self.secret_key.expose_secret(),
                idempotency_key,
                form: post.then(|| body.clone()),
                timeout: left,
            };
            let retry = match self.transport.send(call).await {
                Ok(StripeAnswer {
                    status,
                    should_retry,
                    body: payload,
                }) => {
                    if (200..300).contains(&status) {
                        return Ok(payload);
                    }
                    let retry = should_retry.unwrap_or(status == 409 || status == 429 || status >= 500);
                    if !retry {
                        // A card error (402) carries the PaymentIntent: its
                        // status says what happened.
                        if let Some(intent) = payload.pointer("/error/payment_intent") {
                            return Ok(intent.clone());
                        }
                        let message = payload
                            .pointer("/error/message")
                            .and_then(Value::as_str)
                            .unwrap_or("request refused")
                            .to_owned();
                        return Err(if status >= 500 {
                            GatewayError::Unknown(message)
                        } else {
                            GatewayError::Refused(message)
                        });
                    }
                    format!("HTTP {status}")
                }
                // Nothing reached Stripe; with the idempotency key a retry
                // is safe either way.
                Err(TransportError::Connect(err)) => format!("connect: {err}"),
                Err(TransportError::Lost(err)) => err,
            };
            attempt += 1;
            if attempt > MAX_RETRIES {
                return Err(GatewayError::Unknown(format!(
                    "{path}: {retry} after {MAX_RETRIES} retries"
                )));
            }
            // Exponential backoff with full jitter: 0..(250 ms × 2^attempt).
            let ceiling = 250_u64 << attempt;
            let pause = Duration::from_millis(rand::random_range(0..=ceiling));
            tokio::time::sleep(pause.min(CALL_BUDGET.saturating_sub(started.elapsed()))).await;
        }
    }
}

impl StripeGateway {
    /// Captures an authorised PaymentIntent (one created with manual
    /// capture on the account's side), once: the capture has its own key.
    async fn captured(&self, intent: Value, key: &str) -> Result<ChargeOutcome, GatewayError> {
        if intent.get("status").and_then(Value::as_str) != Some("requires_capture") {
            return outcome_of(&intent);
        }
        let id = intent.get("id").and_then(Value::as_str).unwrap_or_default();
        let captured = self
            .call(
                true,
                &format!("/v1/payment_intents/{id}/capture"),
                &[],
                Some(&format!("{key}-capture")),
            )
            .await?;
        outcome_of(&captured)
    }
}

/// The intent's next action, with its client secret: the customer's
/// browser needs it for Stripe.js to run the 3-D Secure step.
fn with_client_secret(intent: &Value) -> Value {
    let mut next = intent.get("next_action").cloned().unwrap_or(Value::Null);
    if let (Some(fields), Some(secret)) = (next.as_object_mut(), intent.get("client_secret")) {
        fields.insert("client_secret".to_owned(), secret.clone());
    }
    next
}

/// What a PaymentIntent's state means to the shop.
pub fn outcome_of(intent: &Value) -> Result<ChargeOutcome, GatewayError> {
    let id = intent
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| GatewayError::Unknown("the answer names no PaymentIntent".into()))?
        .to_owned();
    let status = intent.get("status").and_then(Value::as_str).unwrap_or_default();
    Ok(match status {
        "succeeded" => ChargeOutcome::Succeeded { reference: id },
        "requires_action" => ChargeOutcome::RequiresAction {
            next_action: with_client_secret(intent),
            reference: id,
        },
        "canceled" => ChargeOutcome::Cancelled { reference: Some(id) },
        "requires_payment_method" => {
            let error = intent.get("last_payment_error");
            ChargeOutcome::Failed {
                reference: Some(id),
                code: error
                    .and_then(|e| e.get("decline_code").or_else(|| e.get("code")))
                    .and_then(Value::as_str)
                    .unwrap_or("card_declined")
                    .to_owned(),
                message: error
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("The card was declined.")
                    .to_owned(),
            }
        }
        // processing, requires_confirmation, requires_capture: not settled yet.
        other => return Err(GatewayError::Unknown(format!("PaymentIntent {id} is {other}"))),
    })
}

impl Gateway for StripeGateway {
    async fn charge(&self, request: &ChargeRequest<'_>) -> Result<ChargeOutcome, GatewayError> {
        let form = [
            ("amount", request.amount_minor.to_string()),
            ("currency", request.currency.to_lowercase()),
            ("payment_method", request.token.to_owned()),
            ("confirm", "true".to_owned()),
            ("capture_method", "automatic".to_owned()),
            ("description", request.description.to_owned()),
            ("metadata[comptoir_payment_id]", request.payment_id.to_string()),
            ("automatic_payment_methods[enabled]", "true".to_owned()),
            ("automatic_payment_methods[allow_redirects]", "never".to_owned()),
        ];
        let intent = self
            .call(true, "/v1/payment_intents", &form, Some(request.idempotency_key))
            .await?;
        self.captured(intent, request.idempotency_key).await
    }

    async fn retrieve(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        match &payment.gateway_reference {
            Some(id) => {
                let intent = self
                    .call(false, &format!("/v1/payment_intents/{id}"), &[], None)
                    .await?;
                self.captured(intent, &payment.idempotency_key).await
            }
            // The create call's answer was lost: repeating it with the same
            // key returns the PaymentIntent it made (Stripe keeps keys 24 h),
            // or makes it now if the first call never arrived.
            None => {
                let token = payment
                    .token
                    .as_deref()
                    .ok_or_else(|| GatewayError::Unknown("no token to repeat the charge with".into()))?;
                self.charge(&ChargeRequest {
                    idempotency_key: &payment.idempotency_key,
                    token,
                    amount_minor: payment.amount_minor,
                    currency: &payment.currency,
                    description: &payment.description,
                    payment_id: payment.id,
                })
                .await
            }
        }
    }

    async fn cancel(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        let Some(id) = &payment.gateway_reference else {
            return Ok(ChargeOutcome::Cancelled { reference: None });
        };
        let key = format!("{}-cancel", payment.idempotency_key);
        match self
            .call(true, &format!("/v1/payment_intents/{id}/cancel"), &[], Some(&key))
            .await
        {
            Ok(intent) => outcome_of(&intent),
            // Refused: it can no longer be cancelled (it succeeded meanwhile).
            Err(GatewayError::Refused(_)) => self.retrieve(payment).await,
            Err(err) => Err(err),
        }
    }

    async fn refund(&self, request: &RefundRequest<'_>) -> Result<String, GatewayError> {
        let form = [
            ("payment_intent", request.charge_reference.to_owned()),
            ("amount", request.amount_minor.to_string()),
        ];
        let refund = self
            .call(true, "/v1/refunds", &form, Some(request.idempotency_key))
            .await?;
        match refund.get("status").and_then(Value::as_str) {
            Some("failed" | "canceled") => Err(GatewayError::Refused("Stripe refused the refund".into())),
            _ => refund
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| GatewayError::Unknown("the answer names no refund".into())),
        }
    }
}

/// A Stripe event reduced to what the shop acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: String,
    /// The PaymentIntent it is about.
    pub intent_id: Option<String>,
    /// The Comptoir payment it was made for (its metadata), to find a
    /// payment whose create call's answer was lost.
    pub payment_id: Option<uuid::Uuid>,
    pub outcome: Option<ChargeOutcome>,
}

/// Reads an event's JSON (after its signature was verified).
pub fn parse_event(body: &[u8]) -> Option<Event> {
    let event: Value = serde_json::from_slice(body).ok()?;
    let id = event.get("id")?.as_str()?.to_owned();
    let kind = event.get("type")?.as_str()?.to_owned();
    let object = event.pointer("/data/object")?;
    let (intent_id, outcome) = match kind.as_str() {
        "payment_intent.succeeded"
        | "payment_intent.payment_failed"
        | "payment_intent.canceled"
        | "payment_intent.requires_action" => {
            let mut intent = object.clone();
            // A failure event may carry an intent whose status already moved on.
            if kind == "payment_intent.payment_failed" {
                intent["status"] = json!("requires_payment_method");
            }
            (
                object.get("id").and_then(Value::as_str).map(str::to_owned),
                outcome_of(&intent).ok(),
            )
        }
        _ => (None, None),
    };
    let payment_id = object
        .pointer("/metadata/comptoir_payment_id")
        .and_then(Value::as_str)
        .and_then(|id| id.parse().ok());
    Some(Event {
        id,
        kind,
        intent_id,
        payment_id,
        outcome,
    })
}
