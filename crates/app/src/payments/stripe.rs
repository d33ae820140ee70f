//! The Stripe adapter: PaymentIntents (create and confirm at once,
//! capture when the intent waits for it, retrieve, cancel) and Refunds over
//! HTTPS.
//!
//! Every call forwards Comptoir's idempotency key as Stripe's
//! `Idempotency-Key`, so repeating a call (after a lost answer) never
//! charges twice; it is retried at most 3 times, with jitter, when Stripe
//! says so (`Stripe-Should-Retry`) or the network failed, all within a 10 s
//! budget per call.

use std::time::{Duration, Instant};

use comptoir_db::payments::Payment;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{ChargeOutcome, ChargeRequest, Gateway, GatewayError, RefundRequest};

const CALL_BUDGET: Duration = Duration::from_secs(10);
const MAX_RETRIES: u32 = 3;

#[derive(Clone)]
pub struct StripeGateway {
    client: reqwest::Client,
    base: String,
    secret_key: SecretString,
}

impl StripeGateway {
    pub fn new(base: &str, secret_key: SecretString) -> Result<Self, reqwest::Error> {
        super::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .user_agent(concat!("Comptoir/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            secret_key,
        })
    }

    /// One API call with its retries. `form` is sent URL-encoded, as Stripe
    /// expects.
    async fn call(
        &self,
        method: reqwest::Method,
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
            let mut request = self
                .client
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(self.secret_key.expose_secret())
                .header("Stripe-Version", "2024-06-20")
                .timeout(left);
            if let Some(key) = idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if method == reqwest::Method::POST {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body.clone());
            }
            let retry = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let should_retry = response
                        .headers()
                        .get("stripe-should-retry")
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v == "true");
                    let payload: Value = response.json().await.unwrap_or(Value::Null);
                    if status.is_success() {
                        return Ok(payload);
                    }
                    let retry = should_retry
                        .unwrap_or(status.as_u16() == 409 || status.as_u16() == 429 || status.is_server_error());
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
                        return Err(if status.is_server_error() {
                            GatewayError::Unknown(message)
                        } else {
                            GatewayError::Refused(message)
                        });
                    }
                    format!("HTTP {status}")
                }
                Err(err) if err.is_connect() => {
                    // Nothing reached Stripe; with the idempotency key a
                    // retry is safe either way.
                    format!("connect: {err}")
                }
                Err(err) => format!("{err}"),
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
                reqwest::Method::POST,
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
            .call(
                reqwest::Method::POST,
                "/v1/payment_intents",
                &form,
                Some(request.idempotency_key),
            )
            .await?;
        self.captured(intent, request.idempotency_key).await
    }

    async fn retrieve(&self, payment: &Payment) -> Result<ChargeOutcome, GatewayError> {
        match &payment.gateway_reference {
            Some(id) => {
                let intent = self
                    .call(reqwest::Method::GET, &format!("/v1/payment_intents/{id}"), &[], None)
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
            .call(
                reqwest::Method::POST,
                &format!("/v1/payment_intents/{id}/cancel"),
                &[],
                Some(&key),
            )
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
            .call(
                reqwest::Method::POST,
                "/v1/refunds",
                &form,
                Some(request.idempotency_key),
            )
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
