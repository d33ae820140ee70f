//! The outbox worker: claims due events with `FOR UPDATE SKIP LOCKED`, hands
//! each to the handler of its topic, then records the outcome. Failures are
//! retried with exponential backoff and jitter; events that keep failing, or
//! whose topic nobody handles, are parked for an operator.
//!
//! Delivery is at least once (a worker can die after delivering and before
//! recording it), so handlers must be idempotent: they key their effect on
//! the event id.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use comptoir_db::PgPool;
use comptoir_db::platform::outbox::{self as store, ClaimedEvent};
use comptoir_domain::platform::{AfterFailure, RetryPolicy};
use tokio::sync::watch;

use crate::cache::Cache;

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying later (a mail server down, a timeout).
    #[error("{0}")]
    Transient(String),
    /// Will never succeed (a malformed payload): parked at once.
    #[error("{0}")]
    Permanent(String),
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send>>;
type Handler = Arc<dyn Fn(ClaimedEvent) -> HandlerFuture + Send + Sync>;

/// Which handler delivers which topic.
#[derive(Clone, Default)]
pub struct Handlers {
    by_topic: HashMap<&'static str, Handler>,
}

impl Handlers {
    pub fn on<F, Fut>(mut self, topic: &'static str, handler: F) -> Self
    where
        F: Fn(ClaimedEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), DeliveryError>> + Send + 'static,
    {
        self.by_topic
            .insert(topic, Arc::new(move |event| Box::pin(handler(event)) as HandlerFuture));
        self
    }

    /// The handlers of the platform itself; contexts add theirs.
    pub fn standard(cache: Cache) -> Self {
        Self::default().on(topics::CACHE_INVALIDATE, move |event| {
            let cache = cache.clone();
            async move {
                let namespace = event
                    .payload
                    .get("namespace")
                    .and_then(|n| n.as_str())
                    .ok_or_else(|| DeliveryError::Permanent("payload has no namespace".to_owned()))?;
                cache
                    .invalidate_namespace(namespace)
                    .await
                    .map_err(|err| DeliveryError::Transient(err.to_string()))
            }
        })
    }
}

impl Handlers {
    /// Every handler of the application: the platform's, the email delivery
    /// and the low-stock notices.
    pub fn for_app(state: &crate::Context) -> Self {
        let mailer = crate::mail::Mailer::from_config(&state.config).unwrap_or_else(|err| {
            tracing::error!(error = %err, "SMTP_URL cannot be used; emails are written to MAIL_DIR instead");
            crate::mail::Mailer {
                dir: state.config.mail_dir.clone(),
                from: state.config.mail_from.clone(),
                smtp: None,
            }
        });
        let alert_mailer = mailer.clone();
        let pool = state.db.clone();
        let (webhook_state, refund_state) = (state.clone(), state.clone());
        Self::standard(state.cache.clone())
            .on(crate::mail::EMAIL_SEND, move |event| {
                let mailer = mailer.clone();
                async move {
                    let email: crate::mail::Email = serde_json::from_value(event.payload)
                        .map_err(|e| DeliveryError::Permanent(format!("not an email: {e}")))?;
                    mailer.deliver(event.id, &email).await
                }
            })
            .on(comptoir_db::inventory::ALERT_OPENED, move |event| {
                let (pool, mailer) = (pool.clone(), alert_mailer.clone());
                async move { crate::inventory::notify_alert(&pool, &mailer, event.id, &event.payload).await }
            })
            .on(crate::payments::test_gateway::WEBHOOK, move |event| {
                let state = webhook_state.clone();
                async move {
                    crate::payments::deliver_test_webhook(&state, &event.payload)
                        .await
                        .map_err(|err| DeliveryError::Transient(err.code().to_owned()))
                }
            })
            .on(crate::payments::REFUND_LATE_PAYMENT, move |event| {
                let state = refund_state.clone();
                async move {
                    let payment_id = event
                        .payload
                        .get("payment_id")
                        .and_then(|v| v.as_str())
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| DeliveryError::Permanent("payload has no payment_id".to_owned()))?;
                    crate::payments::refund_late_payment(&state, payment_id)
                        .await
                        .map_err(|err| DeliveryError::Transient(err.code().to_owned()))
                }
            })
    }
}

/// The topics the platform defines.
pub mod topics {
    /// `{"namespace": "..."}`: drop a cache namespace on every instance.
    pub const CACHE_INVALIDATE: &str = "cache.invalidate";
}

/// Settings of one worker loop.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub batch_size: i64,
    /// How long a claimed event stays reserved for its worker.
    pub lease: Duration,
    pub poll_interval: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            batch_size: 20,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            retry: RetryPolicy::DEFAULT,
        }
    }
}

pub struct OutboxWorker {
    pool: PgPool,
    handlers: Handlers,
    settings: WorkerSettings,
}

impl OutboxWorker {
    pub fn new(pool: PgPool, handlers: Handlers, settings: WorkerSettings) -> Self {
        Self {
            pool,
            handlers,
            settings,
        }
    }

    /// Delivers until `shutdown` turns true; the batch in hand is finished
    /// first, no new one is claimed.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!("outbox worker started");
        while !*shutdown.borrow() {
            let delivered = match self.run_once().await {
                Ok(count) => count,
                Err(err) => {
                    tracing::error!(error = %err, "outbox worker could not claim events");
                    0
                }
            };
            if delivered == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!("outbox worker stopped");
    }

    /// Claims one batch and delivers it; returns how many events it handled.
    pub async fn run_once(&self) -> Result<usize, comptoir_db::Error> {
        let events = {
            let mut conn = self.pool.acquire().await?;
            store::claim_due(&mut conn, self.settings.batch_size, self.settings.lease).await?
        };
        let count = events.len();
        for event in events {
            self.deliver(event).await?;
        }
        Ok(count)
    }

    async fn deliver(&self, event: ClaimedEvent) -> Result<(), comptoir_db::Error> {
        let id = event.id;
        let topic = event.topic.clone();
        let attempts = u32::try_from(event.attempts).unwrap_or(u32::MAX);
        let outcome = match self.handlers.by_topic.get(topic.as_str()) {
            None => Err(DeliveryError::Permanent(format!("no handler for topic {topic}"))),
            Some(handler) => {
                // The lease must not run out while we deliver, or another
                // worker would deliver the same event again.
                let budget = self.settings.lease.mul_f64(0.8);
                match tokio::time::timeout(budget, handler(event)).await {
                    Ok(result) => result,
                    Err(_) => Err(DeliveryError::Transient(format!(
                        "delivery took longer than {budget:?}"
                    ))),
                }
            }
        };
        let mut conn = self.pool.acquire().await?;
        let label = match outcome {
            Ok(()) => {
                store::mark_delivered(&mut conn, id).await?;
                "delivered"
            }
            Err(DeliveryError::Permanent(error)) => {
                tracing::error!(event_id = %id, topic, error, "outbox event parked: it cannot be delivered");
                store::park(&mut conn, id, &error).await?;
                "parked"
            }
            Err(DeliveryError::Transient(error)) => match self.settings.retry.after_failure(attempts, rand::random()) {
                AfterFailure::RetryIn(delay) => {
                    tracing::warn!(event_id = %id, topic, attempts, retry_in_ms = delay.as_millis(), error, "outbox delivery failed; will retry");
                    store::schedule_retry(&mut conn, id, delay, &error).await?;
                    "retry"
                }
                AfterFailure::Park => {
                    tracing::error!(event_id = %id, topic, attempts, error, "outbox event parked after too many failures");
                    store::park(&mut conn, id, &error).await?;
                    "parked"
                }
            },
        };
        metrics::counter!("outbox_deliveries_total", "topic" => topic, "outcome" => label).increment(1);
        Ok(())
    }
}
