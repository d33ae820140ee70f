//! Gateway webhooks: Stripe's signature scheme, and handling an event once.
//!
//! `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>[,v1=...]` signs
//! `"{t}.{raw body}"` with the endpoint's secret. A signature older than the
//! tolerance is refused (a replayed capture), any `v1` may match any of the
//! configured secrets (several during a rotation), and comparisons take the
//! same time whatever they find.

use comptoir_db::payments as db;
use comptoir_db::platform::audit::Actor;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::{ChargeOutcome, settle};
use crate::Context;
use crate::error::AppError;

/// How old a signature may be, in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the signature is too old")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` against `body` at `now` (unix seconds).
pub fn verify(header: Option<&str>, body: &[u8], secrets: &[SecretString], now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (name, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match name {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
            _ => {} // v0 and future schemes are ignored
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        for signature in &signatures {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
                .map_err(|_| SignatureError::Mismatch)?;
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            if mac.verify_slice(signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// The header a gateway would send for `body` signed at `timestamp` (the
/// tests and the local fake sign with it).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether an event was acted on or had been already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    Duplicate,
    /// About nothing this shop knows (another integration's payment).
    Ignored,
}

/// Handles one gateway event exactly once: the event id is recorded in the
/// transaction of its effect, so a concurrent or later redelivery finds it
/// and does nothing.
pub async fn handle_event(
    state: &Context,
    gateway: &str,
    event_id: &str,
    event_type: &str,
    reference: Option<&str>,
    payment_id: Option<uuid::Uuid>,
    outcome: Option<&ChargeOutcome>,
) -> Result<Handled, AppError> {
    let mut tx = state.db.begin().await?;
    if !db::record_webhook_event(&mut tx, gateway, event_id, event_type).await? {
        return Ok(Handled::Duplicate);
    }
    let mut payment = match reference {
        Some(reference) => db::find_by_reference(&mut tx, gateway, reference).await?,
        None => None,
    };
    if payment.is_none()
        && let Some(id) = payment_id
    {
        // The charge's own answer was lost, so its reference is not known
        // yet: the metadata names the payment.
        payment = comptoir_db::Optional::optional(db::get_payment(&mut tx, id).await)?.filter(|p| p.gateway == gateway);
    }
    let handled = match (payment, outcome) {
        (Some(payment), Some(outcome)) => {
            settle(&mut tx, payment.id, outcome, Actor::System).await?;
            Handled::Applied
        }
        _ => Handled::Ignored,
    };
    tx.commit().await?;
    Ok(handled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(all: &[&str]) -> Vec<SecretString> {
        all.iter().map(|s| SecretString::from((*s).to_owned())).collect()
    }

    #[test]
    fn a_fresh_signature_by_any_current_secret_is_accepted() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_new", 1_000_000, body);
        assert_eq!(
            verify(Some(&header), body, &secrets(&["whsec_old", "whsec_new"]), 1_000_100),
            Ok(())
        );
        // Several v1 during a rotation: one matching is enough.
        let both = format!(
            "{},v1={}",
            sign("whsec_other", 1_000_000, body),
            &header[header.find("v1=").unwrap_or(0) + 3..]
        );
        assert_eq!(verify(Some(&both), body, &secrets(&["whsec_new"]), 1_000_000), Ok(()));
    }

    #[test]
    fn stale_forged_truncated_or_missing_signatures_are_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_a", 1_000_000, body);
        let keys = secrets(&["whsec_a"]);
        assert_eq!(
            verify(Some(&header), body, &keys, 1_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), b"{\"id\":\"evt_2\"}", &keys, 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&sign("whsec_b", 1_000_000, body)), body, &keys, 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header[..header.len() - 2]), body, &keys, 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some("t=1000000"), body, &keys, 1_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some("garbage"), body, &keys, 1_000_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify(None, body, &keys, 1_000_000), Err(SignatureError::Missing));
    }
}
