//! Rules of the platform mechanisms every context relies on: idempotency
//! keys and the retry schedule of outbox deliveries.

use std::fmt;
use std::time::Duration;

/// A client-chosen `Idempotency-Key`: 1 to 255 visible ASCII characters.
///
/// Clients usually send a UUID; anything printable is accepted so that
/// integrators can reuse their own request identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    #[error("the Idempotency-Key header is empty")]
    Empty,
    #[error("the Idempotency-Key header is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the Idempotency-Key header may only contain visible ASCII characters")]
    InvalidCharacter,
}

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        if raw.is_empty() {
            return Err(IdempotencyKeyError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(IdempotencyKeyError::TooLong { max: Self::MAX_LEN });
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(IdempotencyKeyError::InvalidCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How long stored idempotency keys are kept before the purge may remove them.
/// Keys are promised for at least 24 h (docs/API-DESIGN.md); two days leaves room for clients
/// that retry across a night.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(48 * 3600);

/// The retry schedule of an outbox event that failed to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
    /// No wait is ever longer than this.
    pub max_delay: Duration,
    /// After this many failed attempts the event is parked for a human.
    pub max_attempts: u32,
}

/// What to do with an event after a failed delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    Park,
}

impl RetryPolicy {
    pub const DEFAULT: Self = Self {
        base: Duration::from_secs(5),
        max_delay: Duration::from_secs(3600),
        max_attempts: 12,
    };

    /// `attempts` counts the failed attempts so far, this one included.
    /// `jitter` in `[0, 1)` spreads retries of events that failed together
    /// (a mail server outage) so they do not all come back in the same second.
    pub fn after_failure(&self, attempts: u32, jitter: f64) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::Park;
        }
        let exponent = attempts.saturating_sub(1).min(30);
        let delay = self.base.saturating_mul(1u32 << exponent).min(self.max_delay);
        // Jitter only shortens the wait (by up to a quarter), so the
        // schedule never exceeds `max_delay`.
        let jitter = jitter.clamp(0.0, 1.0);
        AfterFailure::RetryIn(delay.mul_f64(1.0 - 0.25 * jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_uuid_is_a_valid_idempotency_key() {
        let key = IdempotencyKey::parse("0192f0c1-3b7a-7cc4-9d1e-6a8e2b1f4c55");
        assert_eq!(key.map(|k| k.as_str().len()), Ok(36), "a UUID must be accepted as is");
    }

    #[test]
    fn empty_long_or_non_ascii_keys_are_refused() {
        assert_eq!(IdempotencyKey::parse(""), Err(IdempotencyKeyError::Empty));
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(IdempotencyKeyError::TooLong { max: 255 })
        );
        assert_eq!(IdempotencyKey::parse("clé"), Err(IdempotencyKeyError::InvalidCharacter));
        assert_eq!(IdempotencyKey::parse("a b"), Err(IdempotencyKeyError::InvalidCharacter));
    }

    #[test]
    fn retries_double_until_the_cap_then_park() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            max_attempts: 6,
        };
        let delays: Vec<_> = (1..=6).map(|n| policy.after_failure(n, 0.0)).collect();
        assert_eq!(
            delays,
            vec![
                AfterFailure::RetryIn(Duration::from_secs(1)),
                AfterFailure::RetryIn(Duration::from_secs(2)),
                AfterFailure::RetryIn(Duration::from_secs(4)),
                AfterFailure::RetryIn(Duration::from_secs(8)),
                AfterFailure::RetryIn(Duration::from_secs(10)),
                AfterFailure::Park,
            ]
        );
    }

    proptest! {
        #[test]
        fn retry_delays_stay_within_bounds(attempts in 1u32..200, jitter in 0.0f64..1.0) {
            let policy = RetryPolicy::DEFAULT;
            match policy.after_failure(attempts, jitter) {
                AfterFailure::RetryIn(delay) => {
                    prop_assert!(attempts < policy.max_attempts);
                    prop_assert!(delay <= policy.max_delay);
                    prop_assert!(delay >= policy.base.mul_f64(0.75));
                }
                AfterFailure::Park => prop_assert!(attempts >= policy.max_attempts),
            }
        }

        #[test]
        fn any_visible_ascii_key_round_trips(raw in "[!-~]{1,255}") {
            let key = IdempotencyKey::parse(&raw);
            prop_assert_eq!(key.map(|k| k.as_str().to_owned()), Ok(raw));
        }
    }
}
