//! `TestApp`: a running Comptoir on a loopback port with its own database.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use comptoir_app::config::{Config, LogFormat};
use comptoir_db::PgPool;
use comptoir_server::app::{self, AppState};
use comptoir_server::telemetry::SharedBuffer;
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;

/// The PostgreSQL server the tests use (no database name).
pub fn pg_server_url() -> String {
    std::env::var("TEST_PG_SERVER_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// The shared Redis the tests use when it answers.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

// ---------------------------------------------------------------- databases

/// A database of its own for one test, dropped with it.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
    /// Whether dropping this handle drops the database.
    owned: bool,
}

/// Both locks are session-level advisory locks on the server's `postgres`
/// database, so they also serialise test processes running side by side.
const TEMPLATE_LOCK: i64 = 0x436f_6d70_7470_6c31;
const CLONE_LOCK: i64 = 0x436f_6d70_636c_6e31;

static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

impl TestDatabase {
    pub async fn new() -> Self {
        let template = TEMPLATE.get_or_init(ensure_template).await.clone();
        let name = format!("comptoir_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = admin_connection().await;
        exec(&mut admin, format!("SELECT pg_advisory_lock({CLONE_LOCK})"))
            .await
            .unwrap();
        let created = exec(&mut admin, format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
        exec(&mut admin, format!("SELECT pg_advisory_unlock({CLONE_LOCK})"))
            .await
            .unwrap();
        created.unwrap();
        let url = format!("{}/{name}", pg_server_url());
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(20)
            .connect(&url)
            .await
            .unwrap();
        Self {
            name,
            url,
            pool,
            owned: true,
        }
    }

    /// Another handle on the same database, for a second instance of the
    /// application; the first handle still owns it.
    pub fn share(&self) -> Self {
        Self {
            name: self.name.clone(),
            url: self.url.clone(),
            pool: self.pool.clone(),
            owned: false,
        }
    }

    /// An empty database (not from the template), for start-up tests.
    pub fn unmigrated_url() -> (String, String) {
        let name = format!("comptoir_test_{}", uuid::Uuid::now_v7().simple());
        (format!("{}/{name}", pg_server_url()), name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.owned {
            drop_database_blocking(self.name.clone());
        }
    }
}

/// Drops a database from a thread of its own, as `Drop` cannot await.
pub fn drop_database_blocking(name: String) {
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut admin = admin_connection().await;
            let _ = exec(&mut admin, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        });
    })
    .join();
}

/// Runs a statement built at run time (database names cannot be bound).
async fn exec(conn: &mut PgConnection, sql: String) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(conn).await
}

async fn admin_connection() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", pg_server_url()))
        .await
        .unwrap()
}

/// The template's name carries a hash of the migrations, so a changed
/// migration gets a new template and a stale one is never used.
async fn ensure_template() -> String {
    let mut hasher = Sha256::new();
    for migration in comptoir_db::MIGRATOR.iter() {
        hasher.update(migration.version.to_le_bytes());
        hasher.update(migration.sql.as_str().as_bytes());
    }
    let digest = hex::encode(hasher.finalize());
    let template = format!("comptoir_tpl_{}", &digest[..16]);

    let mut admin = admin_connection().await;
    exec(&mut admin, format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .await
        .unwrap();
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&template)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    if !exists {
        // Built under another name and renamed, so a half-built template is never cloned.
        let building = format!("{template}_building");
        exec(&mut admin, format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await
            .unwrap();
        exec(&mut admin, format!("CREATE DATABASE {building}")).await.unwrap();
        let pool = PgPool::connect(&format!("{}/{building}", pg_server_url()))
            .await
            .unwrap();
        comptoir_db::pool::migrate(&pool).await.unwrap();
        pool.close().await;
        exec(&mut admin, format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await
            .unwrap();
    }
    exec(&mut admin, format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .await
        .unwrap();
    template
}

// ---------------------------------------------------------------- logs

static LOGS: OnceLock<SharedBuffer> = OnceLock::new();

/// Installs the production JSON logger writing into a buffer the tests read.
pub fn capture_logs() -> SharedBuffer {
    LOGS.get_or_init(|| {
        let buffer = SharedBuffer::default();
        comptoir_server::telemetry::init_logging_to(LogFormat::Json, "info", buffer.clone());
        buffer
    })
    .clone()
}

/// The captured JSON log lines that mention `needle`.
pub fn log_lines_with(needle: &str) -> Vec<serde_json::Value> {
    capture_logs()
        .contents()
        .lines()
        .filter(|line| line.contains(needle))
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

// ---------------------------------------------------------------- redis

static SHARED_REDIS_ANSWERS: tokio::sync::OnceCell<bool> = tokio::sync::OnceCell::const_new();

pub async fn shared_redis_answers() -> bool {
    *SHARED_REDIS_ANSWERS
        .get_or_init(|| async {
            let Ok(client) = redis::Client::open(redis_url()) else {
                return false;
            };
            let ping = async {
                let mut conn = client.get_multiplexed_async_connection().await?;
                redis::cmd("PING").query_async::<String>(&mut conn).await
            };
            matches!(tokio::time::timeout(Duration::from_millis(500), ping).await, Ok(Ok(_)))
        })
        .await
}

/// A Redis server of the test's own on a free port, which the test may stop
/// and start again.
pub struct OwnRedis {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    pub async fn start() -> Self {
        let port = free_port();
        let mut redis = Self { port, child: None };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ---------------------------------------------------------------- app

pub enum RedisChoice {
    /// The shared Redis when it answers, the in-process cache otherwise.
    SharedIfAnswering,
    InProcess,
    Url(String),
}

pub struct TestAppBuilder {
    routes: OpenApiRouter<AppState>,
    redis: RedisChoice,
    vars: HashMap<String, String>,
    database: Option<TestDatabase>,
}

impl TestAppBuilder {
    /// Extra routes mounted under the platform middleware.
    pub fn routes(mut self, routes: OpenApiRouter<AppState>) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    pub fn redis(mut self, redis: RedisChoice) -> Self {
        self.redis = redis;
        self
    }

    /// Runs over an existing database (another instance of one shop).
    pub fn database(mut self, database: TestDatabase) -> Self {
        self.database = Some(database);
        self
    }

    /// Sets a configuration variable as the environment would.
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    pub async fn spawn(self) -> TestApp {
        capture_logs();
        let database = match self.database {
            Some(database) => database,
            None => TestDatabase::new().await,
        };
        let mut vars = self.vars;
        vars.entry("COMPTOIR_ENV".into()).or_insert_with(|| "test".into());
        vars.insert("DATABASE_URL".into(), database.url.clone());
        vars.entry("CACHE_PREFIX".into())
            .or_insert_with(|| format!("{}:", database.name));
        // Emails a test delivers land in a folder of its own, never in the
        // source tree.
        vars.entry("MAIL_DIR".into()).or_insert_with(|| {
            std::env::temp_dir()
                .join(format!("comptoir-mail-{}", database.name))
                .to_string_lossy()
                .into_owned()
        });
        match self.redis {
            RedisChoice::SharedIfAnswering if shared_redis_answers().await => {
                vars.insert("REDIS_URL".into(), redis_url());
            }
            RedisChoice::SharedIfAnswering | RedisChoice::InProcess => {}
            RedisChoice::Url(url) => {
                vars.insert("REDIS_URL".into(), url);
            }
        }
        let config = Config::from_source(|name| vars.get(name).cloned()).unwrap();
        let state = comptoir_server::serve::state(config, database.pool.clone());

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let contract = crate::contract::Violations::default();
        let router = crate::contract::checked(app::build_with(state.clone(), self.routes), contract.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let grace = state.config.shutdown_grace;
        let server = tokio::spawn(comptoir_server::serve::serve_until(
            listener,
            router,
            shutdown_rx,
            grace,
        ));
        TestApp {
            base_url: format!("http://{address}"),
            client: {
                comptoir_app::payments::install_tls_provider();
                reqwest::Client::builder().no_proxy().build().unwrap()
            },
            state,
            database,
            shutdown,
            server,
            contract,
        }
    }
}

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub database: TestDatabase,
    pub shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Answers that differ from the OpenAPI document (see `contract`).
    contract: crate::contract::Violations,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            routes: OpenApiRouter::new(),
            redis: RedisChoice::SharedIfAnswering,
            vars: HashMap::new(),
            database: None,
        }
    }

    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub fn db(&self) -> &PgPool {
        &self.database.pool
    }

    /// Waits until the server task has returned (after `shutdown`).
    pub async fn wait_stopped(&mut self) {
        let _ = (&mut self.server).await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.server.abort();
        let differences = std::mem::take(&mut *self.contract.lock().unwrap_or_else(|e| e.into_inner()));
        if differences.is_empty() || std::thread::panicking() {
            return;
        }
        // COMPTOIR_CONTRACT_LOG collects every difference of a whole run in
        // one file instead of failing at the first test.
        if let Ok(log) = std::env::var("COMPTOIR_CONTRACT_LOG") {
            use std::io::Write;
            if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
                for line in &differences {
                    let _ = writeln!(file, "{line}");
                }
            }
            return;
        }
        panic!(
            "answers the OpenAPI document does not describe:\n  {}",
            differences.join("\n  ")
        );
    }
}

/// Reads a problem answer, checking it is one.
pub async fn problem(response: reqwest::Response) -> serde_json::Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json", "not a problem answer");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["status"], status,
        "problem status differs from the HTTP status: {body}"
    );
    for field in ["type", "title", "detail", "code"] {
        assert!(body[field].is_string(), "problem without {field}: {body}");
    }
    body
}
