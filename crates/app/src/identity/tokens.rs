//! Access tokens (JWT, HS256 pinned, 15 minutes, with a `kid`) and the
//! opaque secrets (refresh tokens, one-time tokens, API keys), which are
//! 256-bit random values stored only as SHA-256.

use std::collections::HashMap;
use std::time::Duration;

use comptoir_domain::identity::{Grant, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Config;

pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
const ISSUER: &str = "comptoir";

/// A role in a token: the role and the id of what it holds over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleClaim {
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    /// The session (refresh token family) the token was issued for.
    pub sid: Uuid,
    pub roles: Vec<RoleClaim>,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    /// The grants the token carries; a claim that does not parse is dropped
    /// (it cannot have been issued by this code).
    pub fn grants(&self) -> Vec<Grant> {
        self.roles
            .iter()
            .filter_map(|claim| {
                let role: Role = claim.role.parse().ok()?;
                Grant::from_parts(role, claim.store_id, claim.company_id).ok()
            })
            .collect()
    }
}

/// Why a presented access token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

/// Signing and verification keys by `kid`. One signs; all verify, so a
/// key can be rotated without signing everyone out.
pub struct TokenKeys {
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl TokenKeys {
    pub fn from_config(config: &Config) -> Self {
        let secret = config.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 5;
        Self {
            current_kid: config.jwt_key_id.clone(),
            encoding: EncodingKey::from_secret(secret),
            decoding: HashMap::from([(config.jwt_key_id.clone(), DecodingKey::from_secret(secret))]),
            validation,
        }
    }

    pub fn issue(&self, user_id: Uuid, session_id: Uuid, grants: &[Grant]) -> anyhow::Result<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            roles: grants
                .iter()
                .map(|grant| RoleClaim {
                    role: grant.role().as_str().to_owned(),
                    store_id: grant.store_id(),
                    company_id: grant.company_id(),
                })
                .collect(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + i64::try_from(ACCESS_TOKEN_LIFETIME.as_secs()).unwrap_or(900),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current_kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Checks the signature with the key its `kid` names, the pinned
    /// algorithm, the issuer and the expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or(TokenError::Invalid)?;
        match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(err) if matches!(err.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(TokenError::Expired)
            }
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

/// A fresh 256-bit secret, hex encoded, with a readable prefix
/// (`rt_` refresh, `ot_` one-time).
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", hex::encode(bytes))
}

/// What is stored of a secret.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, kid: &str) -> TokenKeys {
        let config = Config::from_source(|name| match name {
            "JWT_SECRET" => Some(secret.to_owned()),
            "JWT_KEY_ID" => Some(kid.to_owned()),
            _ => None,
        })
        .unwrap();
        TokenKeys::from_config(&config)
    }

    #[test]
    fn a_token_verifies_with_its_key_and_carries_its_grants() {
        let keys = keys(&"s".repeat(40), "k1");
        let store = Uuid::now_v7();
        let grant = Role::Cashier
            .scoped(comptoir_domain::identity::Scope::Store(store))
            .unwrap();
        let user = Uuid::now_v7();
        let token = keys.issue(user, Uuid::now_v7(), &[grant]).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, user);
        assert_eq!(claims.grants(), vec![grant]);
    }

    #[test]
    fn tokens_signed_otherwise_are_refused() {
        let ours = keys(&"s".repeat(40), "k1");
        let token = ours.issue(Uuid::now_v7(), Uuid::now_v7(), &[]).unwrap();
        assert!(matches!(
            keys(&"t".repeat(40), "k1").verify(&token),
            Err(TokenError::Invalid)
        ));
        assert!(matches!(
            keys(&"s".repeat(40), "k2").verify(&token),
            Err(TokenError::Invalid)
        ));
        assert!(matches!(ours.verify("not.a.token"), Err(TokenError::Invalid)));
    }

    #[test]
    fn secrets_are_long_random_and_stored_hashed() {
        let a = new_secret("rt_");
        assert!(a.starts_with("rt_") && a.len() == 3 + 64);
        assert_ne!(a, new_secret("rt_"));
        assert_eq!(secret_hash(&a).len(), 32);
    }
}
