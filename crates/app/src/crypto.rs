//! Encryption at rest of sensitive personal fields (phone numbers):
//! AES-256-GCM with a random nonce, under a key named by an id stored with
//! the ciphertext, so keys can be rotated: the current key encrypts, every
//! configured key decrypts.
//!
//! Stored form: `[id length][id][12-byte nonce][ciphertext and tag]`.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, AeadCore, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

type GcmNonce = Nonce<<Aes256Gcm as AeadCore>::NonceSize>;

pub struct FieldCipher {
    current: String,
    keys: HashMap<String, Aes256Gcm>,
}

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("the value was encrypted under key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("the value is not one this application encrypted, or it was altered")]
    Corrupt,
}

impl FieldCipher {
    /// `keys`: (id, 32-byte key) pairs; the first one encrypts. (The
    /// configuration never gives an empty list; with one, every operation
    /// would fail with `UnknownKey`.)
    pub fn new(keys: &[(String, [u8; 32])]) -> Self {
        let current = keys.first().map(|(id, _)| id.clone()).unwrap_or_default();
        let keys = keys
            .iter()
            .filter_map(|(id, key)| Some((id.clone(), Aes256Gcm::new_from_slice(key).ok()?)))
            .collect();
        Self { current, keys }
    }

    pub fn encrypt(&self, plaintext: &str) -> Result<Vec<u8>, CipherError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| CipherError::UnknownKey(self.current.clone()))?;
        let nonce_bytes: [u8; 12] = rand::random();
        let nonce = GcmNonce::try_from(&nonce_bytes[..]).map_err(|_| CipherError::Corrupt)?;
        let sealed = cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| CipherError::Corrupt)?;
        let id = self.current.as_bytes();
        let mut out = Vec::with_capacity(1 + id.len() + 12 + sealed.len());
        out.push(u8::try_from(id.len()).map_err(|_| CipherError::Corrupt)?);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, stored: &[u8]) -> Result<String, CipherError> {
        let (&id_len, rest) = stored.split_first().ok_or(CipherError::Corrupt)?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + 12 + 16 {
            return Err(CipherError::Corrupt);
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, sealed) = rest.split_at(12);
        let id = std::str::from_utf8(id).map_err(|_| CipherError::Corrupt)?;
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| CipherError::UnknownKey(id.to_owned()))?;
        let nonce = GcmNonce::try_from(nonce).map_err(|_| CipherError::Corrupt)?;
        let plain = cipher.decrypt(&nonce, sealed).map_err(|_| CipherError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| CipherError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_old_keys_still_decrypt_after_rotation() {
        let old = FieldCipher::new(&[("k1".to_owned(), [1; 32])]);
        let stored = old.encrypt("+33 6 12 34 56 78").unwrap();
        assert!(!stored.windows(4).any(|w| w == b"+33 "), "no plaintext at rest");
        assert_ne!(
            stored,
            old.encrypt("+33 6 12 34 56 78").unwrap(),
            "a fresh nonce each time"
        );
        let rotated = FieldCipher::new(&[("k2".to_owned(), [2; 32]), ("k1".to_owned(), [1; 32])]);
        assert_eq!(rotated.decrypt(&stored).unwrap(), "+33 6 12 34 56 78");
        assert_eq!(&rotated.encrypt("x").unwrap()[..3], b"\x02k2");
        let without_old = FieldCipher::new(&[("k2".to_owned(), [2; 32])]);
        assert!(matches!(without_old.decrypt(&stored), Err(CipherError::UnknownKey(id)) if id == "k1"));
    }

    #[test]
    fn altered_values_are_refused() {
        let cipher = FieldCipher::new(&[("k1".to_owned(), [1; 32])]);
        let mut stored = cipher.encrypt("0612345678").unwrap();
        let last = stored.len() - 1;
        stored[last] ^= 1;
        assert!(matches!(cipher.decrypt(&stored), Err(CipherError::Corrupt)));
        assert!(matches!(cipher.decrypt(b""), Err(CipherError::Corrupt)));
    }
}
