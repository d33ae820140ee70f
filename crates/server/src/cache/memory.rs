//! The in-process backend: moka, bounded by the bytes it holds, with a TTL
//! per entry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use moka::Expiry;

#[derive(Clone)]
struct Entry {
    value: std::sync::Arc<Vec<u8>>,
    ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _now: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        _now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

pub struct MemoryCache {
    entries: moka::future::Cache<String, Entry>,
    generations: Mutex<HashMap<String, u64>>,
}

impl MemoryCache {
    pub fn new(max_bytes: u64) -> Self {
        let entries = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, entry: &Entry| u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX))
            .expire_after(PerEntryTtl)
            .build();
        Self {
            entries,
            generations: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, namespace: &str, key: &str) -> String {
        let generation = self
            .generations
            .lock()
            .map(|g| g.get(namespace).copied().unwrap_or(0))
            .unwrap_or(0);
        format!("{namespace}:{generation}:{key}")
    }

    pub async fn get(&self, namespace: &str, key: &str) -> Option<Vec<u8>> {
        let entry = self.entries.get(&self.key(namespace, key)).await?;
        Some(entry.value.as_ref().clone())
    }

    pub async fn set(&self, namespace: &str, key: &str, value: Vec<u8>, ttl: Duration) {
        let entry = Entry {
            value: std::sync::Arc::new(value),
            ttl,
        };
        self.entries.insert(self.key(namespace, key), entry).await;
    }

    pub async fn delete(&self, namespace: &str, key: &str) {
        self.entries.invalidate(&self.key(namespace, key)).await;
    }

    pub fn invalidate_namespace(&self, namespace: &str) {
        if let Ok(mut generations) = self.generations.lock() {
            *generations.entry(namespace.to_owned()).or_insert(0) += 1;
        }
    }
}
