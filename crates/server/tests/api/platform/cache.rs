//! The cache on both backends, and Redis going away under traffic.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use comptoir_app::cache::Cache;
use comptoir_server::app::AppState;
use comptoir_server::extract::{Json, Path};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;

use crate::harness::{OwnRedis, RedisChoice, TestApp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Product {
    sku: String,
    price_minor: i64,
}

async fn exercise(cache: &Cache) {
    let velo = Product {
        sku: "VELO-1".into(),
        price_minor: 49_900,
    };
    assert_eq!(cache.get::<Product>("products", "velo").await, None);
    cache.set("products", "velo", &velo, Duration::from_secs(60)).await;
    assert_eq!(cache.get::<Product>("products", "velo").await, Some(velo.clone()));

    // Another namespace with the same key is another entry.
    assert_eq!(cache.get::<Product>("categories", "velo").await, None);

    cache.delete("products", "velo").await;
    assert_eq!(cache.get::<Product>("products", "velo").await, None);

    // A namespace is invalidated as a whole; the others stay.
    cache.set("products", "a", &velo, Duration::from_secs(60)).await;
    cache.set("products", "b", &velo, Duration::from_secs(60)).await;
    cache.set("categories", "c", &velo, Duration::from_secs(60)).await;
    cache.invalidate_namespace("products").await.unwrap();
    assert_eq!(cache.get::<Product>("products", "a").await, None);
    assert_eq!(cache.get::<Product>("products", "b").await, None);
    assert_eq!(cache.get::<Product>("categories", "c").await, Some(velo.clone()));
    // After invalidation the namespace works as before.
    cache.set("products", "a", &velo, Duration::from_secs(60)).await;
    assert_eq!(cache.get::<Product>("products", "a").await, Some(velo.clone()));

    // Entries expire on their own.
    cache.set("products", "short", &velo, Duration::from_millis(150)).await;
    assert!(cache.get::<Product>("products", "short").await.is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(cache.get::<Product>("products", "short").await, None);

    // A value of another shape is a miss, not an error.
    cache
        .set(
            "products",
            "shape",
            &json!({"unexpected": true}),
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(cache.get::<Product>("products", "shape").await, None);
}

#[tokio::test]
async fn the_in_process_cache_stores_expires_deletes_and_invalidates() {
    exercise(&Cache::memory(8 * 1024 * 1024)).await;
}

#[tokio::test]
async fn the_redis_cache_stores_expires_deletes_and_invalidates() {
    let redis = OwnRedis::start().await;
    let cache = Cache::redis(&redis.url(), "t:", Duration::from_millis(500));
    exercise(&cache).await;
    cache.ping().await.unwrap();
}

#[tokio::test]
async fn two_instances_sharing_redis_see_each_others_invalidations() {
    let redis = OwnRedis::start().await;
    let first = Cache::redis(&redis.url(), "shop:", Duration::from_millis(500));
    let second = Cache::redis(&redis.url(), "shop:", Duration::from_millis(500));
    first.set("products", "p", &1_i64, Duration::from_secs(60)).await;
    assert_eq!(second.get::<i64>("products", "p").await, Some(1));
    second.invalidate_namespace("products").await.unwrap();
    assert_eq!(first.get::<i64>("products", "p").await, None);

    // Another deployment's prefix is another cache.
    let other = Cache::redis(&redis.url(), "other:", Duration::from_millis(500));
    first.set("products", "p", &2_i64, Duration::from_secs(60)).await;
    assert_eq!(other.get::<i64>("products", "p").await, None);
}

/// A read-through endpoint like the catalog's: the cache or the "database".
fn cached_routes(computations: Arc<AtomicU64>) -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route(
        "/test/cached/{key}",
        get(move |State(state): State<AppState>, Path(key): Path<String>| {
            let computations = computations.clone();
            async move {
                if let Some(value) = state.cache.get::<u64>("test", &key).await {
                    return Json(json!({"value": value, "from_cache": true}));
                }
                let value = computations.fetch_add(1, Ordering::SeqCst) + 1;
                state.cache.set("test", &key, &value, Duration::from_secs(60)).await;
                Json(json!({"value": value, "from_cache": false}))
            }
        }),
    )
}

async fn read(app: &TestApp, key: &str) -> serde_json::Value {
    let response = app.get(&format!("/test/cached/{key}")).await;
    assert_eq!(response.status(), 200, "a cache outage must not fail requests");
    response.json().await.unwrap()
}

#[tokio::test]
async fn requests_keep_succeeding_while_redis_is_down_and_the_cache_comes_back_by_itself() {
    let mut redis = OwnRedis::start().await;
    let computations = Arc::new(AtomicU64::new(0));
    let app = TestApp::builder()
        .redis(RedisChoice::Url(redis.url()))
        .var("CACHE_TIMEOUT_MS", "200")
        .routes(cached_routes(computations.clone()))
        .spawn()
        .await;

    assert_eq!(read(&app, "k").await["from_cache"], false);
    assert_eq!(read(&app, "k").await["from_cache"], true);
    assert_eq!(app.get("/health/ready").await.status(), 200);

    redis.stop();
    let started = std::time::Instant::now();
    for _ in 0..20 {
        assert_eq!(read(&app, "k").await["from_cache"], false);
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a down cache must be bypassed quickly, took {:?}",
        started.elapsed()
    );
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"][2]["name"], "redis");
    assert_eq!(body["checks"][2]["status"], "down");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("cache_errors_total{backend=\"redis\""), "{metrics}");

    redis.restart().await;
    let mut back = false;
    for _ in 0..50 {
        read(&app, "k2").await;
        if read(&app, "k2").await["from_cache"] == true {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "the cache must come back by itself once Redis answers");
    assert_eq!(app.get("/health/ready").await.status(), 200);
}
