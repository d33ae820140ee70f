//! The shared cache: Redis when `REDIS_URL` is set, an in-process moka cache
//! otherwise (one instance only).
//!
//! Values are JSON, keys live in namespaces, and a whole namespace is
//! invalidated at once by bumping its generation number (old entries become
//! unreachable and expire on their own). The cache is an optimisation: when
//! its backend fails, reads miss, writes are skipped, the failure is logged
//! and counted, and requests go on.

mod memory;
mod redis;
pub mod stock;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use self::memory::MemoryCache;
use self::redis::RedisCache;
pub use self::stock::StockCache;
use crate::config::Config;

#[derive(Clone)]
pub struct Cache {
    backend: std::sync::Arc<Backend>,
}

#[expect(clippy::large_enum_variant, reason = "one per process, behind an Arc")]
enum Backend {
    Memory(MemoryCache),
    Redis(RedisCache),
}

/// What [`Cache::lookup`] found.
pub struct Lookup {
    pub value: Option<bytes::Bytes>,
    /// `None` when the backend did not answer: nothing will be stored.
    generation: Option<Generation>,
}

enum Generation {
    Memory(u64),
    Redis(String),
}

/// Why the cache backend cannot serve right now.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache backend unavailable: {0}")]
    Unavailable(String),
}

impl Cache {
    pub fn from_config(config: &Config) -> Self {
        use secrecy::ExposeSecret;
        match &config.redis_url {
            Some(url) => Self::redis(url.expose_secret(), &config.cache_prefix, config.cache_timeout),
            None => Self::memory(config.cache_memory_mb * 1024 * 1024),
        }
    }

    pub fn memory(max_bytes: u64) -> Self {
        Self {
            backend: std::sync::Arc::new(Backend::Memory(MemoryCache::new(max_bytes))),
        }
    }

    /// Never fails: an unreachable or invalid Redis only means misses until it answers.
    pub fn redis(url: &str, prefix: &str, timeout: Duration) -> Self {
        Self {
            backend: std::sync::Arc::new(Backend::Redis(RedisCache::new(url, prefix, timeout))),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match &*self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    /// Whether the cache is shared by every instance (Redis) or per process.
    pub fn is_shared(&self) -> bool {
        matches!(&*self.backend, Backend::Redis(_))
    }

    pub async fn get<T: DeserializeOwned>(&self, namespace: &'static str, key: &str) -> Option<T> {
        let raw = self.get_raw(namespace, key).await?;
        match serde_json::from_slice(&raw) {
            Ok(value) => Some(value),
            Err(err) => {
                // A value written by an older release with another shape.
                tracing::warn!(namespace, key, error = %err, "cache value does not decode; ignoring it");
                None
            }
        }
    }

    pub async fn set<T: Serialize>(&self, namespace: &'static str, key: &str, value: &T, ttl: Duration) {
        match serde_json::to_vec(value) {
            Ok(raw) => self.set_raw(namespace, key, raw, ttl).await,
            Err(err) => tracing::warn!(namespace, key, error = %err, "value cannot be cached"),
        }
    }

    /// The stored bytes, for callers that cache whole response bodies.
    pub async fn get_raw(&self, namespace: &'static str, key: &str) -> Option<Vec<u8>> {
        let found = match &*self.backend {
            Backend::Memory(cache) => Ok(cache.get(namespace, key).await),
            Backend::Redis(cache) => cache.get(namespace, key).await,
        };
        match found {
            Ok(Some(value)) => {
                metrics::counter!("cache_hits_total", "namespace" => namespace).increment(1);
                Some(value)
            }
            // A failed read was logged and counted by the backend; to the
            // caller it is a miss.
            Ok(None) | Err(_) => {
                metrics::counter!("cache_misses_total", "namespace" => namespace).increment(1);
                None
            }
        }
    }

    /// Looks a whole response body up, remembering the namespace's
    /// generation for [`Self::fill`].
    pub async fn lookup(&self, namespace: &'static str, key: &str) -> Lookup {
        let (generation, value) = match &*self.backend {
            Backend::Memory(cache) => {
                let (generation, value) = cache.lookup(namespace, key).await;
                (Some(Generation::Memory(generation)), value)
            }
            Backend::Redis(cache) => match cache.lookup(namespace, key).await {
                Ok((generation, value)) => (Some(Generation::Redis(generation)), value.map(Into::into)),
                Err(_) => (None, None),
            },
        };
        let outcome = if value.is_some() {
            "cache_hits_total"
        } else {
            "cache_misses_total"
        };
        metrics::counter!(outcome, "namespace" => namespace).increment(1);
        Lookup { value, generation }
    }

    /// Stores the value a missed [`Self::lookup`] had to compute, in the
    /// generation the lookup saw: if the namespace was invalidated since,
    /// the value (perhaps read before the change) is never served.
    pub async fn fill(&self, namespace: &'static str, lookup: &Lookup, key: &str, value: bytes::Bytes, ttl: Duration) {
        match (&*self.backend, &lookup.generation) {
            (Backend::Memory(cache), Some(Generation::Memory(generation))) => {
                cache.fill(namespace, *generation, key, value, ttl).await;
            }
            (Backend::Redis(cache), Some(Generation::Redis(generation))) => {
                cache.fill(namespace, generation, key, &value, ttl).await;
            }
            _ => {}
        }
    }

    pub async fn set_raw(&self, namespace: &'static str, key: &str, value: Vec<u8>, ttl: Duration) {
        match &*self.backend {
            Backend::Memory(cache) => cache.set(namespace, key, value, ttl).await,
            Backend::Redis(cache) => cache.set(namespace, key, value, ttl).await,
        }
    }

    pub async fn delete(&self, namespace: &'static str, key: &str) {
        match &*self.backend {
            Backend::Memory(cache) => cache.delete(namespace, key).await,
            Backend::Redis(cache) => cache.delete(namespace, key).await,
        }
    }

    /// Makes every entry of the namespace unreachable, on every instance
    /// sharing the backend.
    pub async fn invalidate_namespace(&self, namespace: &str) -> Result<(), CacheError> {
        match &*self.backend {
            Backend::Memory(cache) => {
                cache.invalidate_namespace(namespace);
                Ok(())
            }
            Backend::Redis(cache) => cache.invalidate_namespace(namespace).await,
        }
    }

    /// Adds `add` to a counter shared by every instance, which expires
    /// `window` after its first hit: the count and the time left. `None`
    /// when the cache is in-process or Redis does not answer; callers
    /// (rate limits) then count in their own process.
    pub async fn shared_count(&self, key: &str, add: u64, window: Duration) -> Option<(u64, Duration)> {
        match &*self.backend {
            Backend::Memory(_) => None,
            Backend::Redis(cache) => cache.count(key, add, window).await.ok(),
        }
    }

    /// Forgets a shared counter; false when it could not be reached.
    pub async fn shared_reset(&self, key: &str) -> bool {
        match &*self.backend {
            Backend::Memory(_) => false,
            Backend::Redis(cache) => cache.reset_count(key).await.is_ok(),
        }
    }

    /// For the readiness probe: does the backend answer now?
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &*self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(cache) => cache.ping().await,
        }
    }
}
