//! The in-process backend: moka, bounded by the bytes it holds, with a TTL
//! per entry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use moka::Expiry;

#[derive(Clone)]
struct Entry {
    value: bytes::Bytes,
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

    fn generation(&self, namespace: &str) -> u64 {
        self.generations
            .lock()
            .map(|g| g.get(namespace).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn key(&self, namespace: &str, key: &str) -> String {
        format!("{namespace}:{}:{key}", self.generation(namespace))
    }

    pub async fn get(&self, namespace: &str, key: &str) -> Option<Vec<u8>> {
        let entry = self.entries.get(&self.key(namespace, key)).await?;
        Some(entry.value.to_vec())
    }

    /// The entry and the generation it was looked up in.
    pub async fn lookup(&self, namespace: &str, key: &str) -> (u64, Option<bytes::Bytes>) {
        let generation = self.generation(namespace);
        let entry = self.entries.get(&format!("{namespace}:{generation}:{key}")).await;
        (generation, entry.map(|e| e.value))
    }

    pub async fn set(&self, namespace: &str, key: &str, value: Vec<u8>, ttl: Duration) {
        self.fill(namespace, self.generation(namespace), key, value.into(), ttl)
            .await;
    }

    /// Stores under the generation a lookup saw, so a value read before an
    /// invalidation never lands in the generation after it.
    pub async fn fill(&self, namespace: &str, generation: u64, key: &str, value: bytes::Bytes, ttl: Duration) {
        let entry = Entry { value, ttl };
        self.entries
            .insert(format!("{namespace}:{generation}:{key}"), entry)
            .await;
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
