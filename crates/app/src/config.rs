//! Typed configuration, read from the environment (and `.env` when present)
//! with embedded defaults (the README's configuration table), so that a bare
//! `comptoir serve` works on a machine with a local PostgreSQL.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// Where the program runs; production refuses development shortcuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Everything the program reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    /// May carry a password, hence secret; see [`Config::database_url_redacted`].
    pub database_url: SecretString,
    pub database_max_connections: u32,
    pub database_acquire_timeout: Duration,
    pub redis_url: Option<SecretString>,
    /// Prefix of every cache key, so several deployments can share one Redis.
    pub cache_prefix: String,
    pub cache_memory_mb: u64,
    /// How long public catalog reads stay cached at most (invalidation makes
    /// writes visible at once); zero turns their caching off, for benchmarks.
    pub catalog_cache_ttl: Duration,
    /// The same for facet counts, which depend only on the filters and are
    /// shared by every page and sort order of a listing.
    pub catalog_facets_ttl: Duration,
    /// How long one cache operation may take before the cache is bypassed.
    pub cache_timeout: Duration,
    pub log_format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `info,comptoir_server=debug`.
    pub log_level: String,
    /// Names this process in `X-Instance-Id`, logs and metrics.
    pub instance_id: String,
    pub public_base_url: String,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    pub body_limit_bytes: usize,
    pub cors_allowed_origins: Vec<String>,
    /// Signs access tokens.
    pub jwt_secret: SecretString,
    /// True when no `JWT_SECRET` was given and a random one was made at start.
    pub jwt_secret_generated: bool,
    /// Whether `serve` also runs the background workers in its process.
    /// The `kid` of tokens signed with `jwt_secret`, so keys can be rotated.
    pub jwt_key_id: String,
    pub refresh_token_lifetime: Duration,
    /// Proxies whose `X-Forwarded-For` is believed (addresses or CIDR blocks).
    pub trusted_proxies: Vec<IpBlock>,
    /// Failed logins allowed per account, and per client address, in `login_window`.
    pub login_max_failures: u32,
    pub login_ip_max_failures: u32,
    pub login_window: Duration,
    /// Password hashes computed at once; each holds 19 MiB.
    pub password_hash_concurrency: usize,
    /// Keys of the encryption at rest, `(id, key)`; the first encrypts.
    pub data_keys: Vec<(String, [u8; 32])>,
    /// True when no `DATA_KEYS` was given and the development key is used.
    pub data_keys_development: bool,
    /// Where emails are written as `.eml` files.
    pub mail_dir: std::path::PathBuf,
    pub mail_from: String,
    /// `smtp://user:password@host:587?tls=required` or `smtps://...`; unset,
    /// emails are written to `mail_dir`.
    pub smtp_url: Option<SecretString>,
    pub run_workers: bool,
    pub outbox_poll_interval: Duration,
    /// Card payments go to Stripe when set; to the built-in test gateway otherwise.
    pub stripe_secret_key: Option<SecretString>,
    /// Secrets that sign Stripe's webhooks; several during a rotation.
    pub stripe_webhook_secrets: Vec<SecretString>,
    /// Stripe's API address (tests point it at a local fake).
    pub stripe_api_base: String,
    /// Stripe's publishable key: the shop's checkout collects cards with
    /// Stripe Elements (the card number never reaches the shop).
    pub stripe_publishable_key: Option<String>,
    /// Whether the built-in test gateway takes card payments when Stripe is
    /// not configured (default: everywhere but in production).
    pub test_gateway: bool,
    /// Printed on bank-transfer instructions and invoices.
    pub bank_iban: String,
    pub bank_bic: String,
    /// The seller on invoices: name, address, SIREN and VAT number.
    pub seller_name: String,
    pub seller_address: String,
    pub seller_siren: String,
    pub seller_vat_number: String,
}

/// A configuration value that cannot be used. Its `Display` is one line
/// naming the variable, what it holds (unless secret) and what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// The development secrets shipped in examples; production refuses them.
const KNOWN_DEVELOPMENT_SECRETS: &[&str] = &[
    "change-me",
    "changeme",
    "secret",
    "development",
    "dev-secret-change-me-dev-secret-change-me",
    // deploy/.env.example and deploy/k8s/secret.example.yaml
    "change-me-to-a-long-random-secret-of-at-least-32-bytes",
];

const MIN_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(|name| std::env::var(name).ok())
    }

    /// Reads configuration from any lookup, so tests need not touch the
    /// process environment.
    pub fn from_source(source: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&source);
        let environment = match vars.get("COMPTOIR_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("test") => Environment::Test,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(vars.invalid("COMPTOIR_ENV", other, "expected development, test or production"));
            }
        };

        let bind = vars.parse("BIND", "127.0.0.1:8080", "expected host:port such as 127.0.0.1:8080")?;
        let database_url = vars
            .get("DATABASE_URL")
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/comptoir".to_owned());
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                problem: "expected a postgres:// URL".to_owned(),
            });
        }
        let redis_url = vars.get("REDIS_URL").filter(|url| !url.is_empty());
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError {
                variable: "REDIS_URL",
                problem: "expected a redis:// or rediss:// URL".to_owned(),
            });
        }

        let log_format = match vars.get("LOG_FORMAT").as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            Some(other) => return Err(vars.invalid("LOG_FORMAT", other, "expected json or pretty")),
        };

        let public_base_url = vars.get("PUBLIC_BASE_URL").unwrap_or_else(|| format!("http://{bind}"));
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(vars.invalid(
                "PUBLIC_BASE_URL",
                &public_base_url,
                "expected an http:// or https:// URL",
            ));
        }

        let cors_allowed_origins = match vars.get("CORS_ALLOWED_ORIGINS") {
            None => Vec::new(),
            Some(list) => parse_origins(&list).map_err(|problem| ConfigError {
                variable: "CORS_ALLOWED_ORIGINS",
                problem,
            })?,
        };

        let (jwt_secret, jwt_secret_generated) = match vars.get("JWT_SECRET") {
            Some(secret) => {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(ConfigError {
                        variable: "JWT_SECRET",
                        problem: format!("must be at least {MIN_SECRET_BYTES} bytes long"),
                    });
                }
                (SecretString::from(secret), false)
            }
            None => (SecretString::from(random_secret()), true),
        };

        let data_keys = match vars.get("DATA_KEYS") {
            None => None,
            Some(list) => Some(parse_data_keys(&list).map_err(|problem| ConfigError {
                variable: "DATA_KEYS",
                problem,
            })?),
        };

        let config = Self {
            environment,
            bind,
            database_url: SecretString::from(database_url),
            database_max_connections: vars.parse_in(
                "DATABASE_MAX_CONNECTIONS",
                "10",
                1..=1000,
                "expected a number of connections from 1 to 1000",
            )?,
            database_acquire_timeout: Duration::from_millis(vars.parse_in(
                "DATABASE_ACQUIRE_TIMEOUT_MS",
                "5000",
                1..=600_000,
                "expected milliseconds from 1 to 600000",
            )?),
            redis_url: redis_url.map(SecretString::from),
            cache_prefix: vars.get("CACHE_PREFIX").unwrap_or_else(|| "comptoir:".to_owned()),
            cache_memory_mb: vars.parse_in(
                "CACHE_MEMORY_MB",
                "64",
                1..=65_536,
                "expected megabytes from 1 to 65536",
            )?,
            catalog_cache_ttl: Duration::from_secs(vars.parse_in(
                "CATALOG_CACHE_SECONDS",
                "60",
                0..=86_400,
                "expected seconds from 0 to 86400",
            )?),
            catalog_facets_ttl: Duration::from_secs(vars.parse_in(
                "CATALOG_FACETS_CACHE_SECONDS",
                "60",
                0..=86_400,
                "expected seconds from 0 to 86400",
            )?),
            cache_timeout: Duration::from_millis(vars.parse_in(
                "CACHE_TIMEOUT_MS",
                "250",
                1..=60_000,
                "expected milliseconds from 1 to 60000",
            )?),
            log_format,
            log_level: match vars.get("LOG_LEVEL") {
                None => "info".to_owned(),
                Some(level) if tracing_subscriber::EnvFilter::try_new(&level).is_ok() => level,
                Some(level) => {
                    return Err(vars.invalid(
                        "LOG_LEVEL",
                        &level,
                        "expected a filter such as info, warn or info,comptoir_server=debug",
                    ));
                }
            },
            instance_id: vars.get("INSTANCE_ID").unwrap_or_else(default_instance_id),
            public_base_url,
            request_timeout: Duration::from_secs(vars.parse_in(
                "REQUEST_TIMEOUT_SECONDS",
                "30",
                1..=3600,
                "expected seconds from 1 to 3600",
            )?),
            shutdown_grace: Duration::from_secs(vars.parse_in(
                "SHUTDOWN_GRACE_SECONDS",
                "20",
                0..=3600,
                "expected seconds from 0 to 3600",
            )?),
            body_limit_bytes: vars.parse_in(
                "BODY_LIMIT_BYTES",
                "1048576",
                1024..=1_073_741_824,
                "expected bytes from 1024 to 1073741824",
            )?,
            cors_allowed_origins,
            jwt_secret,
            jwt_secret_generated,
            jwt_key_id: match vars.get("JWT_KEY_ID") {
                None => "k1".to_owned(),
                Some(kid)
                    if (1..=32).contains(&kid.len())
                        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    kid
                }
                Some(kid) => return Err(vars.invalid("JWT_KEY_ID", &kid, "expected 1 to 32 letters, digits, - or _")),
            },
            refresh_token_lifetime: Duration::from_secs(
                86_400 * vars.parse_in::<u64>("REFRESH_TOKEN_DAYS", "30", 1..=365, "expected days from 1 to 365")?,
            ),
            trusted_proxies: match vars.get("TRUSTED_PROXIES") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| {
                        item.parse::<IpBlock>().map_err(|()| {
                            vars.invalid(
                                "TRUSTED_PROXIES",
                                item,
                                "expected IP addresses or CIDR blocks, comma-separated",
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            login_max_failures: vars.parse_in(
                "LOGIN_MAX_FAILURES",
                "10",
                1..=10_000,
                "expected a count from 1 to 10000",
            )?,
            login_ip_max_failures: vars.parse_in(
                "LOGIN_IP_MAX_FAILURES",
                "100",
                1..=1_000_000,
                "expected a count from 1 to 1000000",
            )?,
            login_window: Duration::from_secs(
                60 * vars.parse_in::<u64>(
                    "LOGIN_WINDOW_MINUTES",
                    "15",
                    1..=1440,
                    "expected minutes from 1 to 1440",
                )?,
            ),
            password_hash_concurrency: vars.parse_in(
                "PASSWORD_HASH_CONCURRENCY",
                &std::thread::available_parallelism().map_or(2, usize::from).to_string(),
                1..=256,
                "expected a count from 1 to 256",
            )?,
            data_keys: match &data_keys {
                Some(keys) => keys.clone(),
                None => vec![("dev".to_owned(), development_data_key())],
            },
            data_keys_development: data_keys.is_none(),
            mail_dir: vars.get("MAIL_DIR").unwrap_or_else(|| "var/mail".to_owned()).into(),
            mail_from: match vars.get("MAIL_FROM") {
                None => "Comptoir <no-reply@comptoir.localhost>".to_owned(),
                Some(from) if from.contains('@') && !from.contains(['\r', '\n']) => from,
                Some(from) => {
                    return Err(vars.invalid(
                        "MAIL_FROM",
                        &from,
                        "expected an address such as Shop <shop@example.com>",
                    ));
                }
            },
            smtp_url: vars.get("SMTP_URL").map(SecretString::from),
            run_workers: vars.parse_bool("RUN_WORKERS", true)?,
            outbox_poll_interval: Duration::from_millis(vars.parse_in(
                "OUTBOX_POLL_INTERVAL_MS",
                "500",
                10..=60_000,
                "expected milliseconds from 10 to 60000",
            )?),
            test_gateway: vars.parse_bool("TEST_GATEWAY", environment != Environment::Production)?,
            stripe_secret_key: vars.get("STRIPE_SECRET_KEY").map(SecretString::from),
            stripe_webhook_secrets: vars
                .get("STRIPE_WEBHOOK_SECRET")
                .map(|all| {
                    all.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| SecretString::from(s.to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            stripe_api_base: vars
                .get("STRIPE_API_BASE")
                .unwrap_or_else(|| "https://api.stripe.com".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            stripe_publishable_key: vars.get("STRIPE_PUBLISHABLE_KEY").filter(|key| !key.trim().is_empty()),
            bank_iban: vars
                .get("BANK_IBAN")
                .unwrap_or_else(|| "FR76 3000 6000 0112 3456 7890 189".to_owned()),
            bank_bic: vars.get("BANK_BIC").unwrap_or_else(|| "AGRIFRPPXXX".to_owned()),
            seller_name: vars
                .get("SELLER_NAME")
                .unwrap_or_else(|| "Comptoir Démo SAS".to_owned()),
            seller_address: vars
                .get("SELLER_ADDRESS")
                .unwrap_or_else(|| "1 quai Duguay-Trouin, 35000 Rennes, France".to_owned()),
            seller_siren: vars.get("SELLER_SIREN").unwrap_or_else(|| "123 456 789".to_owned()),
            seller_vat_number: vars
                .get("SELLER_VAT_NUMBER")
                .unwrap_or_else(|| "FR32123456789".to_owned()),
        };
        config.refuse_development_secrets_in_production()?;
        Ok(config)
    }

    fn refuse_development_secrets_in_production(&self) -> Result<(), ConfigError> {
        if self.environment != Environment::Production {
            return Ok(());
        }
        let secret = self.jwt_secret.expose_secret();
        if self.jwt_secret_generated {
            return Err(ConfigError {
                variable: "JWT_SECRET",
                problem: "must be set when COMPTOIR_ENV=production (a generated key would change at every start)"
                    .to_owned(),
            });
        }
        if KNOWN_DEVELOPMENT_SECRETS.contains(&secret) || is_one_repeated_character(secret) {
            return Err(ConfigError {
                variable: "JWT_SECRET",
                problem: "is a development value; set a random secret of at least 32 bytes".to_owned(),
            });
        }
        if self.data_keys.iter().any(|(_, key)| key.iter().all(|b| *b == key[0])) {
            return Err(ConfigError {
                variable: "DATA_KEYS",
                problem:
                    "holds a key of one repeated byte (the example's zeros?); generate one with openssl rand -hex 32"
                        .to_owned(),
            });
        }
        if self.data_keys_development {
            return Err(ConfigError {
                variable: "DATA_KEYS",
                problem: "must be set in production (id:64 hex digits), or personal data would be encrypted with the public development key".to_owned(),
            });
        }
        Ok(())
    }

    /// The database URL with its password hidden, for logs.
    pub fn database_url_redacted(&self) -> String {
        redact_url_password(self.database_url.expose_secret())
    }

    /// Strict-Transport-Security is only sent when the public address is HTTPS.
    pub fn serves_tls(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }
}

struct Vars<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Vars<'_, F> {
    /// A set variable; an empty value counts as unset, as in most shells' `.env` files.
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn invalid(&self, variable: &'static str, value: &str, expected: &str) -> ConfigError {
        ConfigError {
            variable,
            problem: format!("{value:?}: {expected}"),
        }
    }

    fn parse<T: std::str::FromStr>(&self, name: &'static str, default: &str, expected: &str) -> Result<T, ConfigError> {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        raw.parse().map_err(|_| self.invalid(name, &raw, expected))
    }

    fn parse_in<T>(
        &self,
        name: &'static str,
        default: &str,
        range: std::ops::RangeInclusive<T>,
        expected: &str,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd,
    {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        match raw.parse::<T>() {
            Ok(value) if range.contains(&value) => Ok(value),
            _ => Err(self.invalid(name, &raw, expected)),
        }
    }

    fn parse_bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(self.invalid(name, other, "expected true or false")),
        }
    }
}

/// `id:64 hex digits` pairs, comma-separated.
fn parse_data_keys(list: &str) -> Result<Vec<(String, [u8; 32])>, String> {
    let keys: Vec<(String, [u8; 32])> = list
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (id, hex_key) = item
                .split_once(':')
                .ok_or_else(|| "expected id:key pairs such as d1:<64 hex digits>".to_owned())?;
            let valid_id =
                (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid_id {
                return Err(format!("{id:?}: a key id has 1 to 32 letters, digits, - or _"));
            }
            let mut key = [0u8; 32];
            hex::decode_to_slice(hex_key, &mut key)
                .map_err(|_| format!("key {id:?}: expected 64 hex digits (32 bytes)"))?;
            Ok((id.to_owned(), key))
        })
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err("expected at least one id:key pair".to_owned());
    }
    Ok(keys)
}

/// A fixed, public key for development data only: production refuses it.
fn development_data_key() -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b"comptoir development data key: not secret").into()
}

/// An address block: one address, or a CIDR block such as `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    network: std::net::IpAddr,
    prefix: u8,
}

impl IpBlock {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpBlock {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: std::net::IpAddr = address.parse().map_err(|_| ())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(prefix) => prefix.parse::<u8>().ok().filter(|p| *p <= max).ok_or(())?,
        };
        Ok(Self { network, prefix })
    }
}

fn parse_origins(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let valid_scheme = origin.starts_with("http://") || origin.starts_with("https://");
            let host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
            if valid_scheme && !host.is_empty() && !host.contains('/') && origin.is_ascii() {
                Ok(origin.to_owned())
            } else {
                Err(format!(
                    "{origin:?}: expected origins such as https://shop.example.fr, separated by commas, without paths"
                ))
            }
        })
        .collect()
}

fn is_one_repeated_character(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|first| chars.all(|c| c == first))
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

fn default_instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "comptoir".to_owned());
    format!("{host}-{}", std::process::id())
}

pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_source(|name| map.get(name).cloned())
    }

    #[test]
    fn nothing_configured_gives_the_embedded_defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database_url.expose_secret(),
            "postgres://postgres@127.0.0.1:5432/comptoir"
        );
        assert!(config.redis_url.is_none(), "no Redis unless asked for");
        assert!(config.jwt_secret_generated);
        assert_eq!(config.jwt_secret.expose_secret().len(), 64);
        assert_eq!(config.log_format, LogFormat::Json);
        assert!(config.run_workers);
        assert!(!config.serves_tls());
    }

    #[test]
    fn a_bad_value_is_reported_on_one_line_naming_the_variable() {
        let err = config(&[("BIND", "not-an-address")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: BIND: \"not-an-address\": expected host:port such as 127.0.0.1:8080"
        );
        let err = config(&[("DATABASE_MAX_CONNECTIONS", "0")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_MAX_CONNECTIONS");
        let err = config(&[("RUN_WORKERS", "maybe")]).unwrap_err();
        assert_eq!(err.variable, "RUN_WORKERS");
        let err = config(&[("LOG_LEVEL", "info,comptoir=loud")]).unwrap_err();
        assert_eq!(err.variable, "LOG_LEVEL");
        let err = config(&[("CORS_ALLOWED_ORIGINS", "https://shop.example.fr,ftp://x")]).unwrap_err();
        assert_eq!(err.variable, "CORS_ALLOWED_ORIGINS");
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn secrets_never_appear_in_debug_output_nor_in_errors() {
        let secret = "s3cr3t-value-that-must-not-leak-0123456789";
        let config = config(&[
            ("JWT_SECRET", secret),
            ("DATABASE_URL", "postgres://app:hunter2hunter2@db:5432/comptoir"),
        ])
        .unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains(secret), "JWT secret leaked: {debug}");
        assert!(!debug.contains("hunter2"), "database password leaked: {debug}");
        assert_eq!(config.database_url_redacted(), "postgres://app:***@db:5432/comptoir");

        let err = self::config(&[("JWT_SECRET", "short-secret")]).unwrap_err();
        assert!(!err.to_string().contains("short-secret"));
    }

    #[test]
    fn production_refuses_development_secrets() {
        let missing = config(&[("COMPTOIR_ENV", "production")]).unwrap_err();
        assert_eq!(missing.variable, "JWT_SECRET");
        let known = config(&[
            ("COMPTOIR_ENV", "production"),
            ("JWT_SECRET", "dev-secret-change-me-dev-secret-change-me"),
        ])
        .unwrap_err();
        assert_eq!(known.variable, "JWT_SECRET");
        let repeated = config(&[("COMPTOIR_ENV", "production"), ("JWT_SECRET", &"a".repeat(40))]).unwrap_err();
        assert_eq!(repeated.variable, "JWT_SECRET");

        let no_data_key = config(&[
            ("COMPTOIR_ENV", "production"),
            ("JWT_SECRET", "4f1c9a0e7b2d8e3f6a5c1b9d0e2f7a3c4b8d6e1f"),
        ])
        .unwrap_err();
        assert_eq!(no_data_key.variable, "DATA_KEYS");
        let zeros = format!("d1:{}", "00".repeat(32));
        let example = config(&[
            ("COMPTOIR_ENV", "production"),
            ("JWT_SECRET", "4f1c9a0e7b2d8e3f6a5c1b9d0e2f7a3c4b8d6e1f"),
            ("DATA_KEYS", &zeros),
        ])
        .unwrap_err();
        assert_eq!(example.variable, "DATA_KEYS", "the example's key is refused");
        let data_key = format!("d1:{}", "0123456789abcdef".repeat(4));
        let ok = config(&[
            ("COMPTOIR_ENV", "production"),
            ("JWT_SECRET", "4f1c9a0e7b2d8e3f6a5c1b9d0e2f7a3c4b8d6e1f"),
            ("DATA_KEYS", &data_key),
        ])
        .unwrap();
        assert_eq!(ok.data_keys[0].0, "d1");
        assert_eq!(ok.environment, Environment::Production);
        assert!(!ok.jwt_secret_generated);
    }

    #[test]
    fn data_keys_and_trusted_proxies_are_checked_at_start() {
        for bad in ["d1", "d1:abc", "d 1:".to_owned().as_str(), ","] {
            let err = config(&[("DATA_KEYS", bad)]).unwrap_err();
            assert_eq!(err.variable, "DATA_KEYS", "{bad}");
        }
        let two = format!("new:{},old:{}", "01".repeat(32), "02".repeat(32));
        let config = self::config(&[("DATA_KEYS", &two), ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7, ::1")]).unwrap();
        assert_eq!(config.data_keys.len(), 2);
        assert_eq!(config.data_keys[0].0, "new");
        let proxies = &config.trusted_proxies;
        assert!(proxies[0].contains("10.200.3.4".parse().unwrap()));
        assert!(!proxies[0].contains("11.0.0.1".parse().unwrap()));
        assert!(proxies[1].contains("192.168.1.7".parse().unwrap()));
        assert!(!proxies[1].contains("192.168.1.8".parse().unwrap()));
        assert!(proxies[2].contains("::1".parse().unwrap()));
        assert_eq!(
            self::config(&[("TRUSTED_PROXIES", "10.0.0.0/33")])
                .unwrap_err()
                .variable,
            "TRUSTED_PROXIES"
        );
    }

    #[test]
    fn hsts_follows_an_https_public_address() {
        let config = config(&[("PUBLIC_BASE_URL", "https://shop.example.fr")]).unwrap();
        assert!(config.serves_tls());
    }
}
