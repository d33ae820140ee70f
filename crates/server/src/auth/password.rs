//! Password hashing with argon2id at the OWASP parameters, with the number
//! of hashes computed at once capped: each holds 19 MiB, and a login flood
//! must queue rather than exhaust memory.

use std::sync::{Arc, LazyLock};

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

/// m = 19456 KiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, checked when an email is unknown so
/// that the answer takes as long as for a known one.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| hash_now("comptoir-timing-equaliser").ok());

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(argon2().hash_password(password.as_bytes())?.to_string())
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Right, but stored with older parameters: store this new hash.
    YesRehashed(String),
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.run(move || hash_now(&password).map_err(|e| anyhow::anyhow!("argon2: {e}")))
            .await?
    }

    /// Checks `password` against `stored`, or against a dummy hash when
    /// there is no account, so both cases take the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.run(move || {
            let Some(stored) = stored.or_else(|| DUMMY_HASH.clone()) else {
                return Verified::No;
            };
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return Verified::No;
            };
            if argon2().verify_password(password.as_bytes(), &parsed).is_err() {
                return Verified::No;
            }
            let current = Params::try_from(&parsed).ok();
            let expected = argon2().params().clone();
            let outdated = parsed.algorithm.as_str() != "argon2id"
                || current.is_none_or(|p| {
                    p.m_cost() != expected.m_cost()
                        || p.t_cost() != expected.t_cost()
                        || p.p_cost() != expected.p_cost()
                });
            match outdated.then(|| hash_now(&password).ok()).flatten() {
                Some(rehashed) => Verified::YesRehashed(rehashed),
                None => Verified::Yes,
            }
        })
        .await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await?;
        Ok(tokio::task::spawn_blocking(work).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hasher = Hasher::new(2);
        let hash = hasher.hash("marées d'équinoxe à Brest").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_eq!(
            hasher.verify("marées d'équinoxe à Brest", Some(&hash)).await.unwrap(),
            Verified::Yes
        );
        assert_eq!(
            hasher.verify("marées d'équinoxe à brest", Some(&hash)).await.unwrap(),
            Verified::No
        );
        assert_eq!(hasher.verify("anything", None).await.unwrap(), Verified::No);
        assert_eq!(
            hasher.verify("anything", Some("not a hash")).await.unwrap(),
            Verified::No
        );
    }

    #[tokio::test]
    async fn a_hash_with_older_parameters_is_replaced_on_login() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).unwrap(),
        )
        .hash_password(b"galettes et cidre brut")
        .unwrap()
        .to_string();
        let hasher = Hasher::new(1);
        let Verified::YesRehashed(new) = hasher.verify("galettes et cidre brut", Some(&weak)).await.unwrap() else {
            panic!("expected a rehash");
        };
        assert!(new.contains("m=19456,t=2,p=1"));
    }
}
