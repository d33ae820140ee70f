//! The stock product pages show, kept in this process and dropped the
//! moment it changes.
//!
//! A trigger on `stock_levels` (and `stores`) notifies the channel
//! `comptoir_stock` at commit with the variant whose stock moved (`*` when
//! a location's settings change what every variant shows). Each instance
//! listens on its own connection and evicts what it hears about.
//!
//! The cache is only used while the listener is connected: a notification
//! sent while it is not is lost, so the cache is emptied whenever the
//! listener connects or drops, and bypassed in between. A read that started
//! before a notification arrived does not fill the cache (it may have read
//! the old stock). An entry also expires after [`TTL`], in case.
//!
//! Stock shown this way is at most as old as the notification's trip from
//! PostgreSQL (a few milliseconds). What is sold is never decided from it:
//! reservations lock the rows themselves.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use comptoir_db::PgPool;
use comptoir_db::catalog::{StockAtLocation, stock_of_variants};
use sqlx::postgres::PgListener;
use tokio::sync::watch;
use uuid::Uuid;

pub const CHANNEL: &str = "comptoir_stock";
/// A safety net: entries are evicted on change, and expire anyway.
pub const TTL: Duration = Duration::from_secs(60);
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How often the listener checks it still hears (and how long a ping may take).
const HEARTBEAT: Duration = Duration::from_secs(5);
const PING: &str = "ping:";

/// The query's order: the warehouse first, then stores by code (bytewise,
/// whatever the database's collation), the same from memory or not.
fn sort(rows: &mut [StockAtLocation]) {
    rows.sort_by(|a, b| b.kind.cmp(&a.kind).then_with(|| a.code.cmp(&b.code)));
}

#[derive(Clone)]
pub struct StockCache {
    inner: Arc<Inner>,
}

struct Inner {
    entries: moka::future::Cache<Uuid, Arc<Vec<StockAtLocation>>>,
    /// Bumped by every notification, connection and disconnection.
    epoch: AtomicU64,
    listening: AtomicBool,
}

impl Default for StockCache {
    fn default() -> Self {
        Self::new(500_000)
    }
}

impl StockCache {
    /// A cache of at most `capacity` rows (a variant at a location).
    pub fn new(capacity: u64) -> Self {
        Self {
            inner: Arc::new(Inner {
                // Weighed by rows (one per location holding the variant).
                entries: moka::future::Cache::builder()
                    .weigher(|_, rows: &Arc<Vec<StockAtLocation>>| u32::try_from(rows.len()).unwrap_or(u32::MAX).max(1))
                    .max_capacity(capacity)
                    .time_to_live(TTL)
                    .build(),
                epoch: AtomicU64::new(0),
                listening: AtomicBool::new(false),
            }),
        }
    }

    /// Whether the listener is connected (and the cache in use).
    pub fn is_listening(&self) -> bool {
        self.inner.listening.load(Ordering::Acquire)
    }

    /// The stock of these variants at every active location, as
    /// [`stock_of_variants`] reads it: from memory for the variants whose
    /// stock has not moved since it was read, from the database for the
    /// others.
    pub async fn stock_of(
        &self,
        db: &PgPool,
        variant_ids: &[Uuid],
    ) -> Result<Vec<StockAtLocation>, comptoir_db::Error> {
        if !self.is_listening() {
            let mut conn = db.acquire().await?;
            let mut rows = stock_of_variants(&mut conn, variant_ids).await?;
            sort(&mut rows);
            return Ok(rows);
        }
        let mut rows = Vec::new();
        let mut missing = Vec::new();
        for id in variant_ids {
            match self.inner.entries.get(id).await {
                Some(known) => rows.extend(known.iter().cloned()),
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            let epoch = self.inner.epoch.load(Ordering::Acquire);
            let mut conn = db.acquire().await?;
            let read = stock_of_variants(&mut conn, &missing).await?;
            drop(conn);
            if self.inner.epoch.load(Ordering::Acquire) == epoch && self.is_listening() {
                for id in &missing {
                    let mine: Vec<StockAtLocation> = read.iter().filter(|s| s.variant_id == *id).cloned().collect();
                    self.inner.entries.insert(*id, Arc::new(mine)).await;
                }
                // A notification heard between the check and the inserts
                // may have evicted before them: take them back.
                if self.inner.epoch.load(Ordering::Acquire) != epoch {
                    for id in &missing {
                        self.inner.entries.invalidate(id).await;
                    }
                }
            }
            rows.extend(read);
        }
        sort(&mut rows);
        Ok(rows)
    }

    /// Listens for stock changes until `shutdown`, reconnecting after a
    /// second when the connection fails.
    pub async fn listen(self, pool: PgPool, mut shutdown: watch::Receiver<bool>) {
        loop {
            match self.listen_once(&pool, &mut shutdown).await {
                Ok(()) => {
                    // Requests still in flight read the database.
                    self.forget_all(false);
                    return;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "stock notifications lost: product pages read stock from the database until they are back");
                }
            }
            self.forget_all(false);
            tokio::select! {
                () = tokio::time::sleep(RETRY_AFTER) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// One connection's worth of listening: Ok on shutdown, Err when the
    /// connection fails or drops.
    async fn listen_once(&self, pool: &PgPool, shutdown: &mut watch::Receiver<bool>) -> Result<(), sqlx::Error> {
        // A dropped connection ends this listener (no silent reconnection:
        // notifications sent while it was away would be missed).
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        self.forget_all(true);
        tracing::info!("listening for stock changes");
        // A listener can go deaf without an error (a connection that died
        // silently, a pooler that drops LISTEN): it sends itself a ping
        // through the pool now and then, and stops trusting the cache when
        // the ping does not come back.
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        let mut waiting: Option<(String, tokio::time::Instant)> = None;
        loop {
            tokio::select! {
                received = listener.try_recv() => match received? {
                    Some(notification) => match notification.payload().strip_prefix(PING) {
                        Some(nonce) => {
                            if waiting.as_ref().is_some_and(|(sent, _)| sent == nonce) {
                                waiting = None;
                            }
                        }
                        None => self.heard(notification.payload()).await,
                    },
                    None => return Err(sqlx::Error::Protocol("the stock listener's connection closed".into())),
                },
                _ = heartbeat.tick() => {
                    if waiting.as_ref().is_some_and(|(_, at)| at.elapsed() > HEARTBEAT) {
                        return Err(sqlx::Error::Protocol("the stock listener stopped hearing its pings".into()));
                    }
                    if waiting.is_none() {
                        let nonce = Uuid::now_v7().simple().to_string();
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(CHANNEL)
                            .bind(format!("{PING}{nonce}"))
                            .execute(pool)
                            .await?;
                        waiting = Some((nonce, tokio::time::Instant::now()));
                    }
                }
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    async fn heard(&self, payload: &str) {
        self.inner.epoch.fetch_add(1, Ordering::AcqRel);
        match payload.parse::<Uuid>() {
            Ok(variant) => self.inner.entries.invalidate(&variant).await,
            Err(_) => self.inner.entries.invalidate_all(),
        }
    }

    /// Empties the cache, and uses it from now on or not.
    fn forget_all(&self, listening: bool) {
        if !listening {
            self.inner.listening.store(false, Ordering::Release);
        }
        self.inner.epoch.fetch_add(1, Ordering::AcqRel);
        self.inner.entries.invalidate_all();
        if listening {
            self.inner.listening.store(true, Ordering::Release);
        }
    }
}
