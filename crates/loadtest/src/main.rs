//! Load scenarios against a running Comptoir, each printing one line of
//! figures (`bench/` scripts start the server and call them).
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.scenario {
        Scenario::Checkout {
            clients,
            seconds,
            hot,
            variants,
        } => checkout(cli.base_url.trim_end_matches('/'), clients, seconds, hot, &variants).await,
    }
}
