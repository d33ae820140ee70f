//! The outbox worker: exactly one delivery among competing workers, retries
//! with backoff, parking, leases, and stopping on shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use comptoir_app::cache::Cache;
use comptoir_app::platform::outbox::{DeliveryError, Handlers, OutboxWorker, WorkerSettings, topics};
use comptoir_db::PgPool;
use comptoir_db::platform::outbox as store;
use comptoir_domain::platform::RetryPolicy;
use serde_json::json;
use uuid::Uuid;

use crate::harness::TestDatabase;

type Seen = Arc<Mutex<Vec<Uuid>>>;

fn recording(seen: Seen) -> Handlers {
    Handlers::default().on("test.recorded", move |event| {
        let seen = seen.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            seen.lock().unwrap().push(event.id);
            Ok(())
        }
    })
}

fn settings() -> WorkerSettings {
    WorkerSettings {
        batch_size: 7,
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        retry: RetryPolicy::DEFAULT,
    }
}

async fn enqueue(pool: &PgPool, topic: &str) -> Uuid {
    let mut conn = pool.acquire().await.unwrap();
    store::enqueue(&mut conn, topic, &json!({"n": 1})).await.unwrap()
}

async fn event(pool: &PgPool, id: Uuid) -> store::EventRow {
    let mut conn = pool.acquire().await.unwrap();
    store::find(&mut conn, id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_competing_workers_deliver_each_event_exactly_once() {
    let db = TestDatabase::new().await;
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids.push(enqueue(&db.pool, "test.recorded").await);
    }
    let seen: Seen = Arc::default();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let worker = OutboxWorker::new(db.pool.clone(), recording(seen.clone()), settings());
            tokio::spawn(async move {
                let mut handled = 0;
                loop {
                    match worker.run_once().await.unwrap() {
                        0 => break handled,
                        n => handled += n,
                    }
                }
            })
        })
        .collect();
    let handled: Vec<usize> = futures_util::future::join_all(workers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let mut delivered = seen.lock().unwrap().clone();
    assert_eq!(delivered.len(), 200, "every event delivered once, none twice");
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 200);
    assert!(handled.iter().all(|&n| n > 0), "both workers took part: {handled:?}");
    let undelivered: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE status <> 'delivered'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(undelivered, 0);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_later_with_backoff() {
    let db = TestDatabase::new().await;
    let attempts = Arc::new(Mutex::new(0));
    let handlers = {
        let attempts = attempts.clone();
        Handlers::default().on("test.flaky", move |_| {
            let attempts = attempts.clone();
            async move {
                let mut attempts = attempts.lock().unwrap();
                *attempts += 1;
                if *attempts == 1 {
                    Err(DeliveryError::Transient("mail server unreachable".into()))
                } else {
                    Ok(())
                }
            }
        })
    };
    let id = enqueue(&db.pool, "test.flaky").await;
    let worker = OutboxWorker::new(db.pool.clone(), handlers, settings());

    assert_eq!(worker.run_once().await.unwrap(), 1);
    let row = event(&db.pool, id).await;
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error.as_deref(), Some("mail server unreachable"));
    let wait: f64 =
        sqlx::query_scalar("SELECT extract(epoch FROM available_at - now())::float8 FROM outbox_events WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(
        (3.0..=5.0).contains(&wait),
        "first retry after about 5 s with jitter, got {wait}"
    );
    assert_eq!(worker.run_once().await.unwrap(), 0, "not retried before its time");

    sqlx::query("UPDATE outbox_events SET available_at = now() WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let row = event(&db.pool, id).await;
    assert_eq!(row.status, "delivered");
    assert_eq!(row.attempts, 2);
    assert!(row.delivered_at.is_some());
}

#[tokio::test]
async fn an_event_that_keeps_failing_is_parked_after_the_last_attempt() {
    let db = TestDatabase::new().await;
    let handlers = Handlers::default().on("test.poison", |_| async {
        Err(DeliveryError::Transient("always fails".into()))
    });
    let policy = RetryPolicy {
        base: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
        max_attempts: 3,
    };
    let worker = OutboxWorker::new(
        db.pool.clone(),
        handlers,
        WorkerSettings {
            retry: policy,
            ..settings()
        },
    );
    let id = enqueue(&db.pool, "test.poison").await;
    for _ in 0..50 {
        worker.run_once().await.unwrap();
        if event(&db.pool, id).await.status == "parked" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let row = event(&db.pool, id).await;
    assert_eq!(row.status, "parked");
    assert_eq!(row.attempts, 3);
    assert_eq!(row.last_error.as_deref(), Some("always fails"));
    assert_eq!(
        worker.run_once().await.unwrap(),
        0,
        "a parked event is not claimed again"
    );
}

#[tokio::test]
async fn unknown_topics_and_permanent_failures_are_parked_at_once() {
    let db = TestDatabase::new().await;
    let handlers = Handlers::default().on("test.malformed", |_| async {
        Err(DeliveryError::Permanent("payload has no email".into()))
    });
    let worker = OutboxWorker::new(db.pool.clone(), handlers, settings());
    let unknown = enqueue(&db.pool, "test.nobody_handles_this").await;
    let malformed = enqueue(&db.pool, "test.malformed").await;
    assert_eq!(worker.run_once().await.unwrap(), 2);
    let unknown = event(&db.pool, unknown).await;
    assert_eq!(unknown.status, "parked");
    assert_eq!(
        unknown.last_error.as_deref(),
        Some("no handler for topic test.nobody_handles_this")
    );
    assert_eq!(event(&db.pool, malformed).await.status, "parked");
}

#[tokio::test]
async fn an_event_enqueued_in_a_rolled_back_transaction_is_never_delivered() {
    let db = TestDatabase::new().await;
    let mut tx = db.pool.begin().await.unwrap();
    store::enqueue(&mut tx, "test.recorded", &json!({})).await.unwrap();
    tx.rollback().await.unwrap();
    let seen: Seen = Arc::default();
    let worker = OutboxWorker::new(db.pool.clone(), recording(seen.clone()), settings());
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_event_whose_worker_died_is_delivered_once_its_lease_runs_out() {
    let db = TestDatabase::new().await;
    let id = enqueue(&db.pool, "test.recorded").await;
    {
        // A worker claims it and dies before delivering.
        let mut conn = db.pool.acquire().await.unwrap();
        let claimed = store::claim_due(&mut conn, 10, Duration::from_millis(500))
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
    }
    let seen: Seen = Arc::default();
    let worker = OutboxWorker::new(db.pool.clone(), recording(seen.clone()), settings());
    assert_eq!(worker.run_once().await.unwrap(), 0, "still leased to the dead worker");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(*seen.lock().unwrap(), vec![id]);
    assert_eq!(event(&db.pool, id).await.attempts, 2);
}

#[tokio::test]
async fn a_cache_invalidation_event_drops_the_namespace() {
    let db = TestDatabase::new().await;
    let cache = Cache::memory(1024 * 1024);
    cache
        .set("catalog", "home", &"cached page", Duration::from_secs(60))
        .await;
    {
        let mut conn = db.pool.acquire().await.unwrap();
        store::enqueue(&mut conn, topics::CACHE_INVALIDATE, &json!({"namespace": "catalog"}))
            .await
            .unwrap();
    }
    let worker = OutboxWorker::new(db.pool.clone(), Handlers::standard(cache.clone()), settings());
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(cache.get::<String>("catalog", "home").await, None);
}

#[tokio::test]
async fn a_stopped_worker_claims_nothing_more() {
    let db = TestDatabase::new().await;
    let seen: Seen = Arc::default();
    let worker = OutboxWorker::new(db.pool.clone(), recording(seen.clone()), settings());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));

    let first = enqueue(&db.pool, "test.recorded").await;
    for _ in 0..100 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(*seen.lock().unwrap(), vec![first], "the running worker delivers");

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), running)
        .await
        .unwrap()
        .unwrap();
    let later = enqueue(&db.pool, "test.recorded").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(event(&db.pool, later).await.status, "pending");
    assert_eq!(seen.lock().unwrap().len(), 1);
}
