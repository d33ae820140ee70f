//! Load scenarios against a running Comptoir, driven by goose; each prints
//! one line of figures (`bench/` scripts start the server and call them).
//!
//! `shop`: USERS simultaneous shoppers for SECONDS, each pausing THINK_MS
//! between actions. The `shopper` mix gives 80 % of the users to browsing
//! and search (listing, search with a typo, product page), 15 % to carts
//! (open, add, read) and 5 % to checkouts (open, add, pay with the test
//! gateway's `tok_visa`). The `catalog` mix: browsing and search only. Every
//! request is timed; one line gives users, req/s, p50, p95, p99, errors and
//! orders/s. `--orders-log` appends the id of every acknowledged order (the
//! failover check compares it with the database).
//!
//! `checkout`: CLIENTS concurrent shoppers, each looping for SECONDS without
//! a pause: open a cart, add one unit, check out with `tok_visa`. Only the
//! checkout call is reported. `--hot N` makes every shopper buy among the
//! same N variants (contention on the same stock rows); otherwise each
//! shopper buys its own variant.
//!
//! Goose counts a request whose answer is not 2xx as failed, and times it
//! to the answer's headers. Its metrics are reset once every user has
//! started, so the ramp-up is not in the figures.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use goose::config::GooseConfiguration;
use goose::goose::GooseResponse;
use goose::metrics::GooseMetrics;
use goose::prelude::*;
use serde_json::{Value, json};

#[derive(Parser)]
struct Cli {
    /// Where Comptoir answers.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base_url: String,
    #[command(subcommand)]
    scenario: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A shopper or catalog mix of simultaneous users.
    Shop {
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value_t = 30)]
        seconds: usize,
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
        seconds: usize,
        /// Every client buys among these many variants (0: one each).
        #[arg(long, default_value_t = 0)]
        hot: usize,
        /// Comma-separated variant ids with stock that ships online.
        #[arg(long)]
        variants: String,
    },
}

/// What every simulated user reads: set once before the attack starts.
struct Shop {
    /// Product slugs for product pages.
    slugs: Vec<String>,
    /// Variants that can ship, for carts and checkouts.
    variants: Vec<String>,
    /// `checkout`: buy among the first `hot` variants (0: one each).
    hot: usize,
    /// Numbers the users as they start, for their variant and their dice.
    started: AtomicUsize,
    /// The id of every order the shop acknowledged.
    orders: Mutex<Vec<String>>,
}

static SHOP: OnceLock<Shop> = OnceLock::new();

fn shop() -> &'static Shop {
    SHOP.get().expect("the shop is discovered before any user starts")
}

/// One user's state: its number and a small deterministic generator, so
/// that runs are repeatable.
#[derive(Clone)]
struct UserState {
    number: usize,
    dice: u64,
    /// `checkout`: how many checkouts this user made.
    rounds: usize,
}

impl UserState {
    fn roll(&mut self, n: usize) -> usize {
        self.dice ^= self.dice << 13;
        self.dice ^= self.dice >> 7;
        self.dice ^= self.dice << 17;
        usize::try_from(self.dice % (n.max(1) as u64)).unwrap_or(0)
    }
}

async fn start_user(user: &mut GooseUser) -> TransactionResult {
    let number = shop().started.fetch_add(1, Ordering::Relaxed);
    user.set_session_data(UserState {
        number,
        dice: 42 ^ (number as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        rounds: 0,
    });
    Ok(())
}

fn roll(user: &mut GooseUser, n: usize) -> usize {
    user.get_session_data_unchecked_mut::<UserState>().roll(n)
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

/// A listing, a search or a product page, one in three each.
async fn browse(user: &mut GooseUser) -> TransactionResult {
    match roll(user, 3) {
        0 => {
            let sort = ["newest", "price_asc"][roll(user, 2)];
            named_get(user, &format!("/api/v1/products?limit=20&sort={sort}"), "list").await?;
        }
        1 => {
            let q = SEARCHES[roll(user, SEARCHES.len())].replace(' ', "%20");
            named_get(user, &format!("/api/v1/products?q={q}&limit=20"), "search").await?;
        }
        _ => {
            let slug = &shop().slugs[roll(user, shop().slugs.len())];
            named_get(user, &format!("/api/v1/products/{slug}"), "product").await?;
        }
    }
    Ok(())
}

async fn named_get(user: &mut GooseUser, path: &str, name: &str) -> Result<GooseResponse, Box<TransactionError>> {
    let request = GooseRequest::builder()
        .method(GooseMethod::Get)
        .path(path)
        .name(name)
        .build();
    user.request(request).await
}

/// The answer's JSON when the request succeeded.
async fn json_of(response: GooseResponse) -> Option<Value> {
    match response.response {
        Ok(answer) if answer.status().is_success() => answer.json::<Value>().await.ok(),
        _ => None,
    }
}

/// Opens a guest cart and adds one unit of `variant`: the cart's id and token.
async fn cart_with(user: &mut GooseUser, variant: &str) -> Result<Option<(String, String)>, Box<TransactionError>> {
    let opened = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path("/api/v1/carts")
        .name("cart open")
        .build();
    let Some(cart) = json_of(user.request(opened).await?).await else {
        return Ok(None);
    };
    let (Some(id), Some(token)) = (cart["id"].as_str(), cart["cart_token"].as_str()) else {
        return Ok(None);
    };
    let add = user
        .get_request_builder(&GooseMethod::Post, &format!("/api/v1/carts/{id}/items"))?
        .header("x-cart-token", token)
        .json(&json!({"variant_id": variant, "quantity": 1}));
    let add = GooseRequest::builder()
        .set_request_builder(add)
        .name("cart add")
        .build();
    if json_of(user.request(add).await?).await.is_none() {
        return Ok(None);
    }
    Ok(Some((id.to_owned(), token.to_owned())))
}

/// Opens a cart, adds a unit, reads the cart back.
async fn fill_cart(user: &mut GooseUser) -> TransactionResult {
    let variant = shop().variants[roll(user, shop().variants.len())].clone();
    let Some((id, token)) = cart_with(user, &variant).await? else {
        return Ok(());
    };
    let read = user
        .get_request_builder(&GooseMethod::Get, &format!("/api/v1/carts/{id}"))?
        .header("x-cart-token", &token);
    let read = GooseRequest::builder()
        .set_request_builder(read)
        .name("cart read")
        .build();
    user.request(read).await?;
    Ok(())
}

/// Pays the cart with the test gateway. A lost answer is retried with the
/// same key, as a shop's front end does: the order is placed once.
async fn pay(user: &mut GooseUser, id: &str, token: &str) -> TransactionResult {
    let number = user.get_session_data_unchecked::<UserState>().number;
    let body = json!({
        "cart_id": id,
        "email": format!("charge-{number}@exemple.fr"),
        "shipping_address": {"first_name": "Charge", "last_name": "Test", "line1": "1 quai Duguay-Trouin",
                             "postal_code": "35000", "city": "Rennes", "country": "FR"},
        "shipping_option_id": "colissimo",
        "payment_method": {"type": "card", "token": "tok_visa"},
    });
    let key = uuid::Uuid::now_v7().to_string();
    for _ in 0..3 {
        let request = user
            .get_request_builder(&GooseMethod::Post, "/api/v1/checkout")?
            .header("x-cart-token", token)
            .header("idempotency-key", &key)
            .json(&body);
        let request = GooseRequest::builder()
            .set_request_builder(request)
            .name("checkout")
            .build();
        if let Some(placed) = json_of(user.request(request).await?).await {
            if let Some(order) = placed["order"]["id"].as_str() {
                shop()
                    .orders
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(order.to_owned());
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(())
}

/// A shopper's checkout: a random variant.
async fn buy(user: &mut GooseUser) -> TransactionResult {
    let variant = shop().variants[roll(user, shop().variants.len())].clone();
    if let Some((id, token)) = cart_with(user, &variant).await? {
        pay(user, &id, &token).await?;
    }
    Ok(())
}

/// The checkout bench's loop: this user's own variant, or the next hot one.
async fn buy_assigned(user: &mut GooseUser) -> TransactionResult {
    let shop = shop();
    let users = shop.started.load(Ordering::Relaxed).max(1);
    let state = user.get_session_data_unchecked_mut::<UserState>();
    let variant = if shop.hot > 0 {
        shop.variants[(state.number + state.rounds * users) % shop.hot].clone()
    } else {
        shop.variants[state.number % shop.variants.len()].clone()
    };
    state.rounds += 1;
    if let Some((id, token)) = cart_with(user, &variant).await? {
        pay(user, &id, &token).await?;
    }
    Ok(())
}

/// Product slugs and variants with stock, read from the shop's API.
async fn discover(base: &str, insecure: bool) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(insecure)
        .timeout(Duration::from_secs(30))
        .build()?;
    let list: Value = client
        .get(format!("{base}/api/v1/products?limit=100"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let slugs: Vec<String> = list["items"]
        .as_array()
        .context("product list")?
        .iter()
        .filter_map(|item| item["slug"].as_str().map(str::to_owned))
        .collect();
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
    Ok((slugs, variants))
}

/// A goose attack of `users` on `base` for `seconds`, quiet: the figures
/// are printed by the caller.
fn attack(
    base: &str,
    users: usize,
    seconds: usize,
    increase_rate: usize,
    insecure: bool,
) -> anyhow::Result<GooseAttack> {
    configure(base, users, seconds, increase_rate, insecure).map_err(explain)
}

/// Goose's errors say what was wrong only in their fields.
fn explain(error: GooseError) -> anyhow::Error {
    anyhow::anyhow!("goose: {error:?}")
}

fn configure(
    base: &str,
    users: usize,
    seconds: usize,
    increase_rate: usize,
    insecure: bool,
) -> Result<GooseAttack, GooseError> {
    let client = goose::client::GooseClientBuilder::new()
        .without_cookies()
        .timeout(Duration::from_secs(30));
    let attack = GooseAttack::initialize_with_config(GooseConfiguration::default())?
        .set_client_builder_without_cookies(client)?
        .set_default(GooseDefault::Host, base)?
        .set_default(GooseDefault::Users, users)?
        .set_default(GooseDefault::IncreaseRate, increase_rate.max(1).to_string().as_str())?
        .set_default(GooseDefault::RunTime, seconds)?
        .set_default(GooseDefault::AcceptInvalidCerts, insecure)?
        .set_default(GooseDefault::Quiet, 1)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoErrorSummary, true)?
        .set_default(GooseDefault::NoTelnet, true)?;
    Ok(*attack)
}

/// Count, failures and percentiles (ms) over the requests `keep` accepts.
struct Figures {
    requests: usize,
    errors: usize,
    p50: f64,
    p95: f64,
    p99: f64,
}

fn figures(metrics: &GooseMetrics, keep: impl Fn(&str) -> bool) -> Figures {
    let mut times: BTreeMap<u64, usize> = BTreeMap::new();
    let (mut requests, mut errors) = (0, 0);
    for aggregate in metrics.requests.values().filter(|a| keep(&a.path)) {
        requests += aggregate.success_count + aggregate.fail_count;
        errors += aggregate.fail_count;
        for (bucket, count) in aggregate.raw_data.times_us.iter() {
            *times.entry(*bucket).or_default() += count;
        }
    }
    let total: usize = times.values().sum();
    let percentile = |percent: usize| {
        let rank = (percent * total).div_ceil(100).max(1);
        let mut seen = 0;
        for (bucket, count) in &times {
            seen += count;
            if seen >= rank {
                return *bucket as f64 / 1000.0;
            }
        }
        0.0
    };
    Figures {
        requests,
        errors,
        p50: percentile(50),
        p95: percentile(95),
        p99: percentile(99),
    }
}

async fn run_shop(
    base: &str,
    users: usize,
    seconds: usize,
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
    let (slugs, variants) = discover(base, insecure).await?;
    let _ = SHOP.set(Shop {
        slugs,
        variants,
        hot: 0,
        started: AtomicUsize::new(0),
        orders: Mutex::new(Vec::new()),
    });
    let think = Duration::from_millis(think_ms);
    let scenario = |name: &str, weight: usize, work: Transaction| -> Result<Scenario, GooseError> {
        Ok(scenario!(name)
            .set_weight(weight)?
            .set_wait_time(think, think)?
            .register_transaction(transaction!(start_user).set_on_start())
            .register_transaction(work))
    };
    // The users start over one pause, as real shoppers arrive.
    let rate = users.div_ceil(usize::try_from(think_ms / 1000).unwrap_or(1).max(1));
    let mut goose =
        attack(base, users, seconds, rate, insecure)?.register_scenario(scenario("browse", 80, transaction!(browse))?);
    if !catalog_only {
        goose = goose
            .register_scenario(scenario("cart", 15, transaction!(fill_cart))?)
            .register_scenario(scenario("checkout", 5, transaction!(buy))?);
    }
    let metrics = goose.execute().await.map_err(explain)?;
    let all = figures(&metrics, |_| true);
    let paid = figures(&metrics, |name| name == "checkout");
    let orders = std::mem::take(&mut *shop().orders.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if let Some(path) = orders_log {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        for order in &orders {
            writeln!(file, "{order}")?;
        }
    }
    let elapsed = metrics.duration.max(1) as f64;
    println!(
        "shop mix={mix} users={users} think={think_ms}ms seconds={seconds} requests={n} rate={rate:.1}/s \
         p50={p50:.1}ms p95={p95:.1}ms p99={p99:.1}ms errors={errors} ({error_ratio:.2} %) orders={orders_n} orders_rate={orders_rate:.2}/s",
        n = all.requests,
        rate = all.requests as f64 / elapsed,
        p50 = all.p50,
        p95 = all.p95,
        p99 = all.p99,
        errors = all.errors,
        error_ratio = 100.0 * all.errors as f64 / all.requests.max(1) as f64,
        orders_n = paid.requests - paid.errors,
        orders_rate = (paid.requests - paid.errors) as f64 / elapsed,
    );
    Ok(())
}

async fn run_checkout(base: &str, clients: usize, seconds: usize, hot: usize, variants: &str) -> anyhow::Result<()> {
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
    let _ = SHOP.set(Shop {
        slugs: Vec::new(),
        variants,
        hot,
        started: AtomicUsize::new(0),
        orders: Mutex::new(Vec::new()),
    });
    let metrics = attack(base, clients, seconds, clients, false)?
        .register_scenario(
            scenario!("checkout")
                .register_transaction(transaction!(start_user).set_on_start())
                .register_transaction(transaction!(buy_assigned)),
        )
        .execute()
        .await
        .map_err(explain)?;
    let paid = figures(&metrics, |path| path == "checkout");
    let others = figures(&metrics, |path| path != "checkout");
    println!(
        "checkout {mode} clients={clients} seconds={seconds} paid={ok} rate={rate:.1}/s p50={p50:.1}ms p95={p95:.1}ms p99={p99:.1}ms errors={errors}",
        mode = if hot > 0 {
            format!("hot={hot}")
        } else {
            "distinct".to_owned()
        },
        ok = paid.requests - paid.errors,
        rate = (paid.requests - paid.errors) as f64 / metrics.duration.max(1) as f64,
        p50 = paid.p50,
        p95 = paid.p95,
        p99 = paid.p99,
        errors = paid.errors + others.errors,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let base = cli.base_url.trim_end_matches('/');
    match cli.scenario {
        Command::Shop {
            users,
            seconds,
            mix,
            think_ms,
            insecure,
            orders_log,
        } => run_shop(base, users, seconds, &mix, think_ms, insecure, orders_log.as_deref()).await,
        Command::Checkout {
            clients,
            seconds,
            hot,
            variants,
        } => run_checkout(base, clients, seconds, hot, &variants).await,
    }
}
