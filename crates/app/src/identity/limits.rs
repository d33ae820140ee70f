//! Brute-force protection for sign-in: failed logins are counted per
//! account and per client address in a fixed window. Counters live in Redis
//! when it is configured, so the limits hold across instances, and in this
//! process otherwise or while Redis does not answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cache::Cache;
use crate::config::Config;

/// Counters of this process, for when no shared store answers.
#[derive(Default)]
struct LocalCounters {
    counts: Mutex<HashMap<String, (u64, Instant)>>,
}

impl LocalCounters {
    fn count(&self, key: &str, add: u64, window: Duration) -> (u64, Duration) {
        let now = Instant::now();
        let Ok(mut counts) = self.counts.lock() else {
            return (0, Duration::ZERO);
        };
        if counts.len() > 100_000 {
            counts.retain(|_, (_, until)| *until > now);
        }
        let entry = counts.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += add;
        (entry.0, entry.1.saturating_duration_since(now))
    }

    fn reset(&self, key: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.remove(key);
        }
    }
}

pub struct LoginLimits {
    cache: Cache,
    local: LocalCounters,
    per_account: u64,
    per_ip: u64,
    window: Duration,
}

/// Sign-in is refused until the window ends.
#[derive(Debug, Clone, Copy)]
pub struct Blocked {
    pub retry_after: Duration,
}

impl LoginLimits {
    pub fn new(cache: Cache, config: &Config) -> Self {
        Self {
            cache,
            local: LocalCounters::default(),
            per_account: u64::from(config.login_max_failures),
            per_ip: u64::from(config.login_ip_max_failures),
            window: config.login_window,
        }
    }

    /// Email addresses are not put in Redis keys as they are.
    fn account_key(email: &str) -> String {
        format!(
            "login:account:{}",
            hex::encode(&Sha256::digest(email.to_lowercase().as_bytes())[..16])
        )
    }

    fn ip_key(ip: &str) -> String {
        format!("login:ip:{ip}")
    }

    async fn count(&self, key: &str, add: u64) -> (u64, Duration) {
        match self.cache.shared_count(key, add, self.window).await {
            Some(counted) => counted,
            None => self.local.count(key, add, self.window),
        }
    }

    /// Before checking a password: is this account or address blocked?
    pub async fn check(&self, email: &str, ip: Option<&str>) -> Result<(), Blocked> {
        let (failures, left) = self.count(&Self::account_key(email), 0).await;
        if failures >= self.per_account {
            return Err(Blocked { retry_after: left });
        }
        if let Some(ip) = ip {
            let (failures, left) = self.count(&Self::ip_key(ip), 0).await;
            if failures >= self.per_ip {
                return Err(Blocked { retry_after: left });
            }
        }
        Ok(())
    }

    pub async fn failed(&self, email: &str, ip: Option<&str>) {
        self.count(&Self::account_key(email), 1).await;
        if let Some(ip) = ip {
            self.count(&Self::ip_key(ip), 1).await;
        }
    }

    /// A successful sign-in clears the account's failures (not the
    /// address's: one good password must not reopen a guessing address).
    pub async fn succeeded(&self, email: &str) {
        let key = Self::account_key(email);
        self.local.reset(&key);
        self.cache.shared_reset(&key).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_counters_restart_after_their_window() {
        let counters = LocalCounters::default();
        assert_eq!(counters.count("k", 1, Duration::from_millis(30)).0, 1);
        assert_eq!(counters.count("k", 1, Duration::from_millis(30)).0, 2);
        assert_eq!(counters.count("k", 0, Duration::from_millis(30)).0, 2);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(counters.count("k", 0, Duration::from_millis(30)).0, 0);
        counters.count("k", 1, Duration::from_secs(60));
        counters.reset("k");
        assert_eq!(counters.count("k", 0, Duration::from_secs(60)).0, 0);
    }
}
