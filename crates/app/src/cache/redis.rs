//! The Redis backend, shared by every instance.
//!
//! A namespace's generation and the entry are read in one round trip by a
//! Lua script. When Redis fails, a breaker bypasses it for a second, then
//! lets one operation through to find out whether it is back, so an outage
//! costs requests nothing but their cache hits.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::CacheError;

const BYPASS_AFTER_FAILURE: Duration = Duration::from_secs(1);

const GET: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])
";
const LOOKUP: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
";
const SET: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', ARGV[1] .. generation .. ':' .. ARGV[2], ARGV[3], 'PX', ARGV[4])
return 1
";
const DELETE: &str = r"
local generation = redis.call('GET', KEYS[1]) or '0'
return redis.call('DEL', ARGV[1] .. generation .. ':' .. ARGV[2])
";

const COUNT: &str = r"
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}
";

pub struct RedisCache {
    client: Option<redis::Client>,
    connection: RwLock<Option<ConnectionManager>>,
    connecting: tokio::sync::Mutex<()>,
    prefix: String,
    timeout: Duration,
    get: redis::Script,
    lookup: redis::Script,
    set: redis::Script,
    delete: redis::Script,
    count: redis::Script,
    /// Milliseconds since `epoch` before which Redis is not tried again.
    bypass_until_ms: AtomicU64,
    healthy: AtomicBool,
    epoch: Instant,
}

impl RedisCache {
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Self {
        let client = match redis::Client::open(url) {
            Ok(client) => Some(client),
            Err(err) => {
                tracing::error!(error = %err, "REDIS_URL cannot be used; the cache is bypassed");
                None
            }
        };
        Self {
            client,
            connection: RwLock::new(None),
            connecting: tokio::sync::Mutex::new(()),
            prefix: prefix.to_owned(),
            timeout,
            get: redis::Script::new(GET),
            lookup: redis::Script::new(LOOKUP),
            set: redis::Script::new(SET),
            delete: redis::Script::new(DELETE),
            count: redis::Script::new(COUNT),
            bypass_until_ms: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn generation_key(&self, namespace: &str) -> String {
        format!("{}generation:{namespace}", self.prefix)
    }

    fn entry_prefix(&self, namespace: &str) -> String {
        format!("{}{namespace}:", self.prefix)
    }

    /// A live connection, or `None` while Redis is being bypassed.
    async fn connection(&self) -> Option<ConnectionManager> {
        if self.now_ms() < self.bypass_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        if let Some(conn) = self.connection.read().ok().and_then(|c| c.clone()) {
            return Some(conn);
        }
        // One task connects; the others bypass the cache meanwhile.
        let _connecting = self.connecting.try_lock().ok()?;
        let client = self.client.clone()?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(self.timeout);
        match tokio::time::timeout(self.timeout, ConnectionManager::new_with_config(client, config)).await {
            Ok(Ok(conn)) => {
                if let Ok(mut slot) = self.connection.write() {
                    *slot = Some(conn.clone());
                }
                Some(conn)
            }
            Ok(Err(err)) => {
                self.failed("connect", &err.to_string());
                None
            }
            Err(_) => {
                self.failed("connect", "timed out");
                None
            }
        }
    }

    fn failed(&self, operation: &'static str, error: &str) {
        metrics::counter!("cache_errors_total", "backend" => "redis", "operation" => operation).increment(1);
        self.bypass_until_ms.store(
            self.now_ms() + u64::try_from(BYPASS_AFTER_FAILURE.as_millis()).unwrap_or(1000),
            Ordering::Relaxed,
        );
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                operation,
                error,
                "Redis is unavailable; the cache is bypassed until it answers"
            );
        }
    }

    fn succeeded(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("Redis answers again; the cache is back");
        }
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        operation: &'static str,
        invocation: impl AsyncFnOnce(ConnectionManager) -> redis::RedisResult<T>,
    ) -> Result<T, CacheError> {
        let conn = self
            .connection()
            .await
            .ok_or_else(|| CacheError::Unavailable("bypassed after a failure".to_owned()))?;
        match tokio::time::timeout(self.timeout, invocation(conn)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Ok(value)
            }
            Ok(Err(err)) => {
                self.failed(operation, &err.to_string());
                Err(CacheError::Unavailable(err.to_string()))
            }
            Err(_) => {
                self.failed(operation, "timed out");
                Err(CacheError::Unavailable("timed out".to_owned()))
            }
        }
    }

    pub async fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let generation_key = self.generation_key(namespace);
        let prefix = self.entry_prefix(namespace);
        self.run("get", async |mut conn| {
            self.get
                .key(&generation_key)
                .arg(&prefix)
                .arg(key)
                .invoke_async(&mut conn)
                .await
        })
        .await
    }

    /// The entry and the generation it was looked up in, in one round trip.
    pub async fn lookup(&self, namespace: &str, key: &str) -> Result<(String, Option<Vec<u8>>), CacheError> {
        let generation_key = self.generation_key(namespace);
        let prefix = self.entry_prefix(namespace);
        self.run("get", async |mut conn| {
            self.lookup
                .key(&generation_key)
                .arg(&prefix)
                .arg(key)
                .invoke_async(&mut conn)
                .await
        })
        .await
    }

    /// Stores under the generation a lookup saw: a value read before an
    /// invalidation never lands in the generation after it.
    pub async fn fill(&self, namespace: &str, generation: &str, key: &str, value: &[u8], ttl: Duration) {
        let entry_key = format!("{}{generation}:{key}", self.entry_prefix(namespace));
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let _ = self
            .run::<()>("set", async |mut conn| {
                redis::cmd("SET")
                    .arg(&entry_key)
                    .arg(value)
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async(&mut conn)
                    .await
            })
            .await;
    }

    pub async fn set(&self, namespace: &str, key: &str, value: Vec<u8>, ttl: Duration) {
        let generation_key = self.generation_key(namespace);
        let prefix = self.entry_prefix(namespace);
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let _ = self
            .run::<i64>("set", async |mut conn| {
                self.set
                    .key(&generation_key)
                    .arg(&prefix)
                    .arg(key)
                    .arg(value)
                    .arg(ttl_ms)
                    .invoke_async(&mut conn)
                    .await
            })
            .await;
    }

    pub async fn delete(&self, namespace: &str, key: &str) {
        let generation_key = self.generation_key(namespace);
        let prefix = self.entry_prefix(namespace);
        let _ = self
            .run::<i64>("delete", async |mut conn| {
                self.delete
                    .key(&generation_key)
                    .arg(&prefix)
                    .arg(key)
                    .invoke_async(&mut conn)
                    .await
            })
            .await;
    }

    pub async fn invalidate_namespace(&self, namespace: &str) -> Result<(), CacheError> {
        let generation_key = self.generation_key(namespace);
        self.run::<i64>("invalidate", async |mut conn| {
            redis::cmd("INCR").arg(&generation_key).query_async(&mut conn).await
        })
        .await
        .map(|_| ())
    }

    /// Adds `add` to the counter `key`, which expires `window` after its
    /// first hit; returns the count and the time left in the window.
    pub async fn count(&self, key: &str, add: u64, window: Duration) -> Result<(u64, Duration), CacheError> {
        let key = format!("{}counter:{key}", self.prefix);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (count, ttl_ms): (u64, i64) = self
            .run("count", async |mut conn| {
                self.count
                    .key(&key)
                    .arg(add)
                    .arg(window_ms)
                    .invoke_async(&mut conn)
                    .await
            })
            .await?;
        Ok((count, Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0))))
    }

    pub async fn reset_count(&self, key: &str) -> Result<(), CacheError> {
        let key = format!("{}counter:{key}", self.prefix);
        self.run::<i64>("reset_count", async |mut conn| {
            redis::cmd("DEL").arg(&key).query_async(&mut conn).await
        })
        .await
        .map(|_| ())
    }

    /// Asks Redis directly, breaker or not: readiness must tell the truth.
    pub async fn ping(&self) -> Result<(), CacheError> {
        self.bypass_until_ms.store(0, Ordering::Relaxed);
        self.run::<String>("ping", async |mut conn| redis::cmd("PING").query_async(&mut conn).await)
            .await
            .map(|_| ())
    }
}
