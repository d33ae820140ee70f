//! Load scenarios against a running Comptoir, each printing one line of
//! figures (`bench/` scripts start the server and call them).
//!
//! `shop`: USERS simultaneous shoppers for SECONDS, each pausing THINK_MS
//! between actions. The `shopper` mix: 80 % browse and search (listing,
//! search with a typo, product page), 15 % cart (open, add, read), 5 %
//! checkout (open, add, pay with the test gateway's `tok_visa`). The
//! `catalog` mix: browsing and search only. Every request is timed; one line
//! gives users, req/s, p50, p95, p99, errors and orders/s. `--orders-log`
//! appends the id of every acknowledged order (the failover check compares
//! it with the database).
//!
//! `checkout`: CLIENTS concurrent shoppers, each looping for DURATION:
//! open a cart, add one unit, check out with the test gateway's `tok_visa`.
//! Only the checkout call is timed. `--hot N` makes every shopper buy among
//! the same N variants (contention on the same stock rows); otherwise each
//! shopper buys its own variant.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};

#[derive(Parser)]
struct Cli {
    /// Where Comptoir answers.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// A shopper or catalog mix of simultaneous users.
    Shop {
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// `shopper` or `catalog`.
        #[arg(long, default_value = "shopper")]
        mix: String,
        /// Pause of each user between two actions.
        #[arg(long, default_value_t = 1000)]
        think_ms: u64,
        /// Accept a self-signed certificate (the development nginx).
        #[arg(long)]
        insecure: bool,
        /// Append the id of each acknowledged order to this file.
        #[arg(long)]
        orders_log: Option<std::path::PathBuf>,
    },
    /// Checkouts per second and their latency.
    Checkout {
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Every client buys among these many variants (0: one each).
        #[arg(long, default_value_t = 0)]
        hot: usize,
        /// Comma-separated variant ids with stock that ships online.
        #[arg(long)]
        variants: String,
    },
}

struct Outcome {
    latency: Option<Duration>,
    ok: bool,
}

async fn one_checkout(client: &reqwest::Client, base: &str, variant: &str) -> anyhow::Result<Outcome> {
    let cart: Value = client
        .post(format!("{base}/api/v1/carts"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let id = cart["id"].as_str().context("cart id")?;
    let token = cart["cart_token"].as_str().context("cart token")?;
    client
        .post(format!("{base}/api/v1/carts/{id}/items"))
        .header("x-cart-token", token)
        .json(&json!({"variant_id": variant, "quantity": 1}))
        .send()
        .await?
        .error_for_status()?;
    let body = json!({
        "cart_id": id,
        "email": "charge@exemple.fr",
        "shipping_address": {"first_name": "Charge", "last_name": "Test", "line1": "1 quai Duguay-Trouin",
                             "postal_code": "35000", "city": "Rennes", "country": "FR"},
        "shipping_option_id": "colissimo",
        "payment_method": {"type": "card", "token": "tok_visa"},
    });
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/checkout"))
        .header("x-cart-token", token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    let latency = started.elapsed();
    Ok(Outcome {
        latency: Some(latency),
        ok: status.as_u16() == 201 && answer["order"]["status"] == "paid",
    })
}

/// The `percent`th percentile in milliseconds (nearest rank).
fn percentile(sorted: &[Duration], percent: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (percent * (sorted.len() - 1) + 50) / 100;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn checkout(base: &str, clients: usize, seconds: u64, hot: usize, variants: &str) -> anyhow::Result<()> {
    let variants: Vec<String> = variants
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    let needed = if hot > 0 { hot } else { clients };
    if variants.len() < needed {
        bail!("{needed} variants needed, {} given", variants.len());
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let shoppers = (0..clients).map(|i| {
        let client = client.clone();
        let base = base.to_owned();
        let variants = variants.clone();
        async move {
            let mut outcomes = Vec::new();
            let mut n = i;
            while Instant::now() < deadline {
                let variant = if hot > 0 { &variants[n % hot] } else { &variants[i] };
                n += clients;
                match one_checkout(&client, &base, variant).await {
                    Ok(outcome) => outcomes.push(outcome),
                    Err(_) => outcomes.push(Outcome {
                        latency: None,
                        ok: false,
                    }),
                }
            }
            outcomes
        }
    });
    let all: Vec<Outcome> = futures_util::future::join_all(shoppers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<Duration> = all.iter().filter(|o| o.ok).filter_map(|o| o.latency).collect();
    latencies.sort();
    let errors = all.iter().filter(|o| !o.ok).count();
    println!(
        "checkout {mode} clients={clients} seconds={seconds} paid={paid} rate={rate:.1}/s p50={p50:.1}ms p95={p95:.1}ms p99={p99:.1}ms errors={errors}",
        mode = if hot > 0 {
            format!("hot={hot}")
        } else {
            "distinct".to_owned()
        },
        paid = latencies.len(),
        rate = latencies.len() as f64 / elapsed,
        p50 = percentile(&latencies, 50),
        p95 = percentile(&latencies, 95),
        p99 = percentile(&latencies, 99),
    );
    Ok(())
}

/// What the shoppers pick from: product slugs, and variants that can ship.
struct Catalog {
    slugs: Vec<String>,
    variants: Vec<String>,
}

async fn discover(client: &reqwest::Client, base: &str) -> anyhow::Result<Catalog> {
    let mut slugs = Vec::new();
    let list: Value = client
        .get(format!("{base}/api/v1/products?limit=100"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for item in list["items"].as_array().context("product list")? {
        if let Some(slug) = item["slug"].as_str() {
            slugs.push(slug.to_owned());
        }
    }
    let mut variants = Vec::new();
    for slug in slugs.iter().take(40) {
        let detail: Value = client
            .get(format!("{base}/api/v1/products/{slug}"))
            .send()
            .await?
            .json()
            .await?;
        for variant in detail["variants"].as_array().into_iter().flatten() {
            if variant["available_online"].as_i64().unwrap_or(0) > 0
                && let Some(id) = variant["id"].as_str()
            {
                variants.push(id.to_owned());
            }
        }
    }
    if slugs.is_empty() || variants.is_empty() {
        bail!("the shop has no product with stock to sell (seed it with --demo)");
    }
    Ok(Catalog { slugs, variants })
}

const SEARCHES: [&str; 10] = [
    "velo",
    "chausure trail",
    "tente",
    "sac a dos",
    "gourde",
    "veste impermeable",
    "kayak",
    "fut de chene",
    "maillot",
    "lampe frontale",
];

/// One request, timed; `Ok(answer)` when it succeeded.
async fn timed(latencies: &mut Vec<Duration>, errors: &mut usize, request: reqwest::RequestBuilder) -> Option<Value> {
    let started = Instant::now();
    let answer = request.send().await;
    let outcome = match answer {
        Ok(response) if response.status().is_success() => Some(response.json::<Value>().await.unwrap_or(Value::Null)),
        _ => None,
    };
    latencies.push(started.elapsed());
    if outcome.is_none() {
        *errors += 1;
    }
    outcome
}

struct UserReport {
    latencies: Vec<Duration>,
    errors: usize,
    orders: Vec<String>,
}

#[expect(clippy::too_many_arguments, reason = "the knobs of one simulated user")]
async fn shopper(
    client: reqwest::Client,
    base: String,
    catalog: std::sync::Arc<Catalog>,
    user: usize,
    deadline: Instant,
    catalog_only: bool,
    think: Duration,
    seed: u64,
) -> UserReport {
    let mut report = UserReport {
        latencies: Vec::new(),
        errors: 0,
        orders: Vec::new(),
    };
    // A small deterministic generator per user: runs are repeatable.
    let mut state = seed ^ (user as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (n.max(1) as u64)).unwrap_or(0)
    };
    // Spread the users' first actions over the first pause.
    tokio::time::sleep(think.mul_f64(next(1000) as f64 / 1000.0)).await;
    while Instant::now() < deadline {
        let roll = next(100);
        let slug = &catalog.slugs[next(catalog.slugs.len())];
        let (latencies, errors) = (&mut report.latencies, &mut report.errors);
        if catalog_only || roll < 80 {
            match next(3) {
                0 => {
                    let page = client.get(format!(
                        "{base}/api/v1/products?limit=20&sort={}",
                        ["newest", "price_asc"][next(2)]
                    ));
                    timed(latencies, errors, page).await;
                }
                1 => {
                    let q = SEARCHES[next(SEARCHES.len())].replace(' ', "%20");
                    timed(
                        latencies,
                        errors,
                        client.get(format!("{base}/api/v1/products?q={q}&limit=20")),
                    )
                    .await;
                }
                _ => {
                    timed(latencies, errors, client.get(format!("{base}/api/v1/products/{slug}"))).await;
                }
            }
        } else {
            let variant = &catalog.variants[next(catalog.variants.len())];
            let Some(cart) = timed(latencies, errors, client.post(format!("{base}/api/v1/carts"))).await else {
                continue;
            };
            let (Some(id), Some(token)) = (cart["id"].as_str(), cart["cart_token"].as_str()) else {
                continue;
            };
            let add = client
                .post(format!("{base}/api/v1/carts/{id}/items"))
                .header("x-cart-token", token)
                .json(&json!({"variant_id": variant, "quantity": 1}));
            if timed(latencies, errors, add).await.is_none() {
                continue;
            }
            if roll < 95 {
                let read = client
                    .get(format!("{base}/api/v1/carts/{id}"))
                    .header("x-cart-token", token);
                timed(latencies, errors, read).await;
            } else {
                let body = json!({
                    "cart_id": id,
                    "email": format!("charge-{user}@exemple.fr"),
                    "shipping_address": {"first_name": "Charge", "last_name": "Test", "line1": "1 quai Duguay-Trouin",
                                         "postal_code": "35000", "city": "Rennes", "country": "FR"},
                    "shipping_option_id": "colissimo",
                    "payment_method": {"type": "card", "token": "tok_visa"},
                });
                // A lost answer is retried with the same key, as a shop's
                // front end does: the order is placed once.
                let key = uuid::Uuid::now_v7().to_string();
                for _ in 0..3 {
                    let pay = client
                        .post(format!("{base}/api/v1/checkout"))
                        .header("x-cart-token", token)
                        .header("idempotency-key", &key)
                        .json(&body);
                    if let Some(placed) = timed(latencies, errors, pay).await {
                        if let Some(order) = placed["order"]["id"].as_str() {
                            report.orders.push(order.to_owned());
                        }
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        tokio::time::sleep(think).await;
    }
    report
}

async fn shop(
    base: &str,
    users: usize,
    seconds: u64,
    mix: &str,
    think_ms: u64,
    insecure: bool,
    orders_log: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let catalog_only = match mix {
        "shopper" => false,
        "catalog" => true,
        other => bail!("unknown mix {other}: shopper or catalog"),
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(users)
        .timeout(Duration::from_secs(30))
        .danger_accept_invalid_certs(insecure)
        .build()?;
    let catalog = std::sync::Arc::new(discover(&client, base).await?);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let think = Duration::from_millis(think_ms);
    let tasks: Vec<_> = (0..users)
        .map(|user| {
            tokio::spawn(shopper(
                client.clone(),
                base.to_owned(),
                catalog.clone(),
                user,
                deadline,
                catalog_only,
                think,
                42,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut orders = Vec::new();
    for task in tasks {
        let report = task.await?;
        latencies.extend(report.latencies);
        errors += report.errors;
        orders.extend(report.orders);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    if let Some(path) = orders_log {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        for order in &orders {
            writeln!(file, "{order}")?;
        }
    }
    println!(
        "shop mix={mix} users={users} think={think_ms}ms seconds={seconds} requests={n} rate={rate:.1}/s \
         p50={p50:.1}ms p95={p95:.1}ms p99={p99:.1}ms errors={errors} ({error_ratio:.2} %) orders={orders_n} orders_rate={orders_rate:.2}/s",
        n = latencies.len(),
        rate = latencies.len() as f64 / elapsed,
        p50 = percentile(&latencies, 50),
        p95 = percentile(&latencies, 95),
        p99 = percentile(&latencies, 99),
        error_ratio = 100.0 * errors as f64 / latencies.len().max(1) as f64,
        orders_n = orders.len(),
        orders_rate = orders.len() as f64 / elapsed,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.scenario {
        Scenario::Shop {
            users,
            seconds,
            mix,
            think_ms,
            insecure,
            orders_log,
        } => {
            shop(
                cli.base_url.trim_end_matches('/'),
                users,
                seconds,
                &mix,
                think_ms,
                insecure,
                orders_log.as_deref(),
            )
            .await
        }
        Scenario::Checkout {
            clients,
            seconds,
            hot,
            variants,
        } => checkout(cli.base_url.trim_end_matches('/'), clients, seconds, hot, &variants).await,
    }
}
