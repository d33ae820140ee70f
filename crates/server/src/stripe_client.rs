//! The HTTPS client Stripe is reached with (reqwest over rustls), handed to
//! the use cases' Stripe gateway as its transport.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use comptoir_app::payments::stripe::{StripeAnswer, StripeCall, StripeTransport, TransportError};
use serde_json::Value;

pub struct ReqwestStripe {
    client: reqwest::Client,
}

impl ReqwestStripe {
    pub fn new() -> Result<Self, reqwest::Error> {
        comptoir_app::payments::install_tls_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .user_agent(concat!("Comptoir/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client })
    }
}

impl StripeTransport for ReqwestStripe {
    fn send<'a>(
        &'a self,
        call: StripeCall<'a>,
    ) -> Pin<Box<dyn Future<Output = Result<StripeAnswer, TransportError>> + Send + 'a>> {
        Box::pin(async move {
            let method = if call.post {
                reqwest::Method::POST
            } else {
                reqwest::Method::GET
            };
            let mut request = self
                .client
                .request(method, call.url)
                .bearer_auth(call.secret_key)
                .header("Stripe-Version", "2024-06-20")
                .timeout(call.timeout);
            if let Some(key) = call.idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(form) = call.form {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form);
            }
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let should_retry = response
                        .headers()
                        .get("stripe-should-retry")
                        .and_then(|v| v.to_str().ok())
                        .map(|v| v == "true");
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    Ok(StripeAnswer {
                        status,
                        should_retry,
                        body,
                    })
                }
                Err(err) if err.is_connect() => Err(TransportError::Connect(err.to_string())),
                Err(err) => Err(TransportError::Lost(err.to_string())),
            }
        })
    }
}

/// The transport for Stripe when it is configured and can be built.
pub fn transport_for(config: &comptoir_app::config::Config) -> Option<std::sync::Arc<dyn StripeTransport>> {
    config.stripe_secret_key.as_ref()?;
    match ReqwestStripe::new() {
        Ok(client) => Some(std::sync::Arc::new(client)),
        Err(err) => {
            tracing::error!(error = %err, "the Stripe client cannot be built; card payments are refused unless the test gateway is enabled");
            None
        }
    }
}
