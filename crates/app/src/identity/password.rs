//! Password hashing with argon2id at the OWASP parameters, with the number
//! of hashes computed at once capped: each holds 19 MiB, and a login flood
//! must queue rather than exhaust memory.
//!
//! Hashes run on a fixed set of threads of their own rather than tokio's
//! blocking pool: the allocator keeps a freed 19 MiB block in the arena of
//! the thread that freed it, and the blocking pool's coming and going
//! threads left hundreds of MiB behind under a login flood. A fixed thread
//! reuses its own block.

use std::cell::RefCell;
use std::sync::mpsc;
use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, PasswordVerifier as _, Version};

/// m = 19456 KiB, t = 2, p = 1 (OWASP Password Storage Cheat Sheet).
fn owasp() -> Params {
    Params::new(19_456, 2, 1, None).unwrap_or_default()
}

thread_local! {
    /// The 19 MiB a hash works in, allocated once per hashing thread.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2id of `password` with `salt` into `out`, in this thread's memory.
fn compute(params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    MEMORY.with_borrow_mut(|memory| {
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()).hash_password_into_with_memory(
            password,
            salt,
            out,
            &mut memory[..blocks],
        )
    })
}

/// A PHC string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
fn hash_now(password: &str) -> anyhow::Result<String> {
    let params = owasp();
    let salt: [u8; 16] = rand::random();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&params, password.as_bytes(), &salt, &mut out).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    let phc = PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(0x13),
        params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a stored PHC string.
fn verify_now(password: &str, stored: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    let right = if parsed.algorithm == ARGON2ID_IDENT {
        let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&parsed), parsed.salt, parsed.hash) else {
            return Verified::No;
        };
        let mut out = vec![0u8; expected.as_bytes().len()];
        compute(&params, password.as_bytes(), &salt, &mut out).is_ok() && constant_time_eq(&out, expected.as_bytes())
    } else {
        // argon2i or argon2d from an import: the library checks them, and
        // the hash is replaced below.
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
    };
    if !right {
        return Verified::No;
    }
    let current = Params::try_from(&parsed).ok();
    let expected = owasp();
    let outdated = parsed.algorithm != ARGON2ID_IDENT
        || current.is_none_or(|p| {
            p.m_cost() != expected.m_cost() || p.t_cost() != expected.t_cost() || p.p_cost() != expected.p_cost()
        });
    match outdated.then(|| hash_now(password).ok()).flatten() {
        Some(rehashed) => Verified::YesRehashed(rehashed),
        None => Verified::Yes,
    }
}

/// Equality of two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A hash of a password nobody has, checked when an email is unknown so
/// that the answer takes as long as for a known one.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| hash_now("comptoir-timing-equaliser").ok());

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Right, but stored with older parameters: store this new hash.
    YesRehashed(String),
}

type Job = Box<dyn FnOnce() + Send>;

/// Hands work to the hashing threads; they stop when the last handle drops.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
}

impl Hasher {
    pub fn new(concurrency: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..concurrency.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    loop {
                        // Only one idle thread waits on the queue at a time.
                        let next = queue.lock().map_err(|_| ()).and_then(|q| q.recv().map_err(|_| ()));
                        match next {
                            Ok(job) => job(),
                            Err(()) => return,
                        }
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(error = %err, "cannot start a password hashing thread");
            }
        }
        Self { jobs }
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        self.run(move || hash_now(&password)).await?
    }

    /// Checks `password` against `stored`, or against a dummy hash when
    /// there is no account, so both cases take the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.run(move || match stored.or_else(|| DUMMY_HASH.clone()) {
            Some(stored) => verify_now(&password, &stored),
            None => Verified::No,
        })
        .await
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                // A request that timed out or whose client went away while
                // its job queued is not worth 19 MiB and 50 ms of a thread.
                if !done.is_closed() {
                    let _ = done.send(work());
                }
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        Ok(result.await?)
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
        use argon2::PasswordHasher as _;
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

    #[tokio::test]
    async fn our_hashes_are_standard_phc_strings_the_library_accepts() {
        use argon2::PasswordVerifier as _;
        let hasher = Hasher::new(1);
        let hash = hasher.hash("chouchen et kouign-amann").await.unwrap();
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"chouchen et kouign-amann", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"chouchen et kouign-aman", &parsed)
                .is_err()
        );
    }
}
