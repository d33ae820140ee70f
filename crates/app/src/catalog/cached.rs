//! Public catalog reads kept whole in the shared cache (namespace
//! [`NAMESPACE`]): the JSON answer and its strong ETag. Every catalog write
//! drops the namespace after its commit ([`invalidate`]), so the next read
//! on any instance sees the change.

use std::any::{Any, TypeId};
use std::sync::{Arc, LazyLock};

use crate::Context;
use crate::error::AppError;

/// The cache namespace of every public catalog read.
pub const NAMESPACE: &str = "catalog";

/// A cached public answer: the JSON body and its strong ETag (quoted).
#[derive(Clone)]
pub struct CachedBody {
    pub body: bytes::Bytes,
    pub etag: String,
}

/// Cached answers parsed once (pages read them as values). A page that
/// shows a cached answer (the same bytes, so the same ETag) reuses its
/// parsed form: parsing a listing's JSON was most of a listing page's time.
/// At most 512 answers are kept, the least used going first.
static PARSED: LazyLock<moka::future::Cache<(TypeId, String), Arc<dyn Any + Send + Sync>>> = LazyLock::new(|| {
    moka::future::Cache::builder()
        .max_capacity(512)
        .time_to_idle(std::time::Duration::from_secs(600))
        .build()
});

impl CachedBody {
    /// The ETag is a 128-bit XXH3 of the body: it only has to change when
    /// the body does (no one gains by forging one), and a page of 20 cards
    /// hashes about ten times faster than with SHA-256, which was 6 % of an
    /// uncached list's CPU.
    pub fn new(body: Vec<u8>) -> Self {
        let digest = xxhash_rust::xxh3::xxh3_128(&body);
        Self {
            body: body.into(),
            etag: format!("\"{digest:032x}\""),
        }
    }

    /// The answer parsed, once per version of its body.
    pub async fn parsed<T>(&self) -> Result<Arc<T>, AppError>
    where
        T: serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        let key = (TypeId::of::<T>(), self.etag.clone());
        if let Some(hit) = PARSED.get(&key).await.and_then(|any| any.downcast::<T>().ok()) {
            return Ok(hit);
        }
        let value: Arc<T> = Arc::new(serde_json::from_slice(&self.body).map_err(AppError::internal)?);
        PARSED.insert(key, value.clone()).await;
        Ok(value)
    }

    /// The cache entry: the ETag, a newline, the body; a hit costs no hashing.
    fn to_entry(&self) -> bytes::Bytes {
        let mut entry = Vec::with_capacity(self.etag.len() + 1 + self.body.len());
        entry.extend_from_slice(self.etag.as_bytes());
        entry.push(b'\n');
        entry.extend_from_slice(&self.body);
        entry.into()
    }

    fn from_entry(entry: bytes::Bytes) -> Option<Self> {
        let split = entry.iter().position(|b| *b == b'\n')?;
        let etag = std::str::from_utf8(&entry[..split]).ok()?.to_owned();
        Some(Self {
            body: entry.slice(split + 1..),
            etag,
        })
    }
}

/// The cached answer under `key`, or `compute`'s, stored for the next read.
pub async fn cached_body<F>(ctx: &Context, key: &str, compute: F) -> Result<CachedBody, AppError>
where
    F: AsyncFnOnce() -> Result<Vec<u8>, AppError>,
{
    let ttl = ctx.config.catalog_cache_ttl;
    if ttl.is_zero() {
        return Ok(CachedBody::new(compute().await?));
    }
    let lookup = ctx.cache.lookup(NAMESPACE, key).await;
    if let Some(answer) = lookup.value.clone().and_then(CachedBody::from_entry) {
        return Ok(answer);
    }
    let answer = CachedBody::new(compute().await?);
    ctx.cache.fill(NAMESPACE, &lookup, key, answer.to_entry(), ttl).await;
    Ok(answer)
}

/// After a committed write: every instance reads the catalog afresh.
pub async fn invalidate(ctx: &Context) {
    if let Err(err) = ctx.cache.invalidate_namespace(NAMESPACE).await {
        // Cached reads expire within CATALOG_CACHE_SECONDS anyway.
        tracing::warn!(error = %err, "catalog cache could not be invalidated; entries expire on their own");
    }
}
