//! A browser's session with the shop, kept in cookies so that any instance
//! can serve it:
//! - `comptoir_sid`: a random id, HttpOnly. The CSRF token of every form is
//!   an HMAC of it under a key derived from the JWT secret, so a page can
//!   send it and another site can neither read nor forge it.
//! - `comptoir_cart`: a guest cart's id and token (`{id}.{token}`), HttpOnly;
//!   the token is checked against the cart's stored hash on every use, as
//!   the API's `X-Cart-Token` is.
//!
//! - `comptoir_auth`: once signed in, the refresh token of the account's
//!   session (the one `/me/sessions` lists and can revoke), HttpOnly. Pages
//!   check it on every request and never rotate it, so pages loading at
//!   once cannot trip the API's refresh-reuse alarm; revoking the session,
//!   resetting the password or disabling the account signs the browser out
//!   at its next page.
//!
//! Every cookie is `SameSite=Lax`, `Path=/`, and `Secure` when the shop's
//! public address is `https`.

use axum::http::{HeaderMap, HeaderValue, header};
use comptoir_domain::identity::{Grant, Role};
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Principal, UserCaller};
use crate::error::ApiError;
use comptoir_app::identity::password::constant_time_eq;
use comptoir_app::identity::tokens::secret_hash;

pub const SID_COOKIE: &str = "comptoir_sid";
pub const CART_COOKIE: &str = "comptoir_cart";
pub const AUTH_COOKIE: &str = "comptoir_auth";
/// A year: the cookies only name things the server checks.
const MAX_AGE_SECONDS: u32 = 365 * 24 * 3600;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// What the pages know of the browser: its session id (new when it had
/// none; then `new_sid` is set and must be sent back), its guest cart, and
/// the account it is signed in to.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub sid: String,
    pub new_sid: bool,
    pub cart: Option<(Uuid, String)>,
    pub user: Option<SignedIn>,
    /// The browser sent a sign-in cookie that no longer signs in: the page
    /// removes it.
    pub stale_auth: bool,
}

/// The account a browser is signed in to, through one of its sessions.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: Uuid,
    pub session_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub grants: Vec<Grant>,
    /// The session's refresh token, from the cookie (to sign out).
    pub token: String,
}

impl SignedIn {
    /// The API's caller for this account, to call its handlers in process
    /// under the same authorization rules.
    pub fn principal(&self) -> Principal {
        Principal::User(self.user_caller())
    }

    /// The account as the use cases take a signed-in user.
    pub fn user_caller(&self) -> UserCaller {
        UserCaller {
            id: self.id,
            session_id: self.session_id,
            grants: self.grants.clone(),
        }
    }
}

impl WebSession {
    /// The browser's session, with the account its sign-in cookie opens
    /// (one query, only when it sends one).
    pub async fn load(state: &AppState, headers: &HeaderMap) -> Result<Self, ApiError> {
        let mut session = Self::of(headers);
        let Some(token) = cookie(headers, AUTH_COOKIE).filter(|t| !t.is_empty() && t.len() <= 100) else {
            return Ok(session);
        };
        let mut conn = state.db.acquire().await.map_err(ApiError::unavailable)?;
        match comptoir_db::identity::web_sign_in(&mut conn, &secret_hash(token)).await? {
            Some(found) => {
                // The shop is a customer's place: staff roles (which read
                // every order) stay in the back office.
                let grants = comptoir_app::identity::grants_of(&mut conn, found.user_id)
                    .await?
                    .into_iter()
                    .filter(|g| matches!(g.role(), Role::Customer | Role::B2bBuyer | Role::B2bAdmin))
                    .collect();
                session.user = Some(SignedIn {
                    id: found.user_id,
                    session_id: found.session_id,
                    email: found.email,
                    first_name: found.first_name,
                    last_name: found.last_name,
                    grants,
                    token: token.to_owned(),
                });
            }
            None => session.stale_auth = true,
        }
        Ok(session)
    }

    /// Who the API sees: the account, or a guest.
    /// The shopper this browser is: its account, and its guest cart's token
    /// (which also opens the orders placed with it).
    pub fn shopper(&self) -> comptoir_app::cart::Shopper {
        comptoir_app::cart::Shopper {
            user_id: self.user.as_ref().map(|user| user.id),
            cart_token: self.cart.as_ref().map(|(_, token)| token.clone()),
        }
    }

    /// Whose idempotency keys the browser's forms carry: a signed-in
    /// account's are its own, as the API's are.
    pub fn key_scope(&self) -> comptoir_app::platform::idempotency::CallerScope {
        match &self.user {
            Some(user) => user.principal().idempotency_scope(),
            None => comptoir_app::platform::idempotency::CallerScope::anonymous(),
        }
    }

    /// Parses the cookies alone (no sign-in).
    pub fn of(headers: &HeaderMap) -> Self {
        let existing =
            cookie(headers, SID_COOKIE).filter(|sid| sid.len() == 64 && sid.bytes().all(|b| b.is_ascii_hexdigit()));
        let cart = cookie(headers, CART_COOKIE).and_then(|raw| {
            let (id, token) = raw.split_once('.')?;
            Some((id.parse().ok()?, token.to_owned()))
        });
        match existing {
            Some(sid) => Self {
                sid: sid.to_owned(),
                new_sid: false,
                cart,
                user: None,
                stale_auth: false,
            },
            None => Self {
                sid: new_sid(),
                new_sid: true,
                cart,
                user: None,
                stale_auth: false,
            },
        }
    }

    /// The CSRF token of this session's forms.
    pub fn csrf(&self, state: &AppState) -> String {
        let mut mac = session_mac(state);
        mac.update(b"csrf:");
        mac.update(self.sid.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Whether a form or htmx request carries this session's CSRF token,
    /// compared in constant time.
    pub fn csrf_ok(&self, state: &AppState, sent: Option<&str>) -> bool {
        let Some(sent) = sent else { return false };
        let Ok(sent) = hex::decode(sent.trim()) else {
            return false;
        };
        if self.new_sid {
            return false;
        }
        let mut mac = session_mac(state);
        mac.update(b"csrf:");
        mac.update(self.sid.as_bytes());
        let full = mac.finalize().into_bytes();
        sent.len() == 16 && constant_time_eq(&full[..16], &sent)
    }
}

/// A fresh session id: at sign-in and sign-out the browser gets one, so a
/// CSRF token seen before does not outlive them.
pub fn new_sid() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

fn session_mac(state: &AppState) -> Hmac<Sha256> {
    let secret = state.config.jwt_secret.expose_secret().as_bytes();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(b"comptoir web session\0");
    mac
}

/// A `Set-Cookie` value with the shop's attributes.
pub fn set_cookie(state: &AppState, name: &str, value: &str) -> HeaderValue {
    cookie_for(state, name, value, u64::from(MAX_AGE_SECONDS))
}

/// The sign-in cookie: it lives as long as the session's refresh token.
pub fn auth_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookie_for(state, AUTH_COOKIE, token, state.config.refresh_token_lifetime.as_secs())
}

fn cookie_for(state: &AppState, name: &str, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.public_base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// A `Set-Cookie` value that removes a cookie.
pub fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"))
        .unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others_and_malformed_ones_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; comptoir_cart=nope; lang=en"),
        );
        assert_eq!(cookie(&headers, "lang"), Some("en"));
        assert_eq!(cookie(&headers, "missing"), None);
        let session = WebSession::of(&headers);
        assert!(session.new_sid, "a missing sid is made anew");
        assert!(session.cart.is_none(), "a cart cookie without id and token is ignored");
    }

    #[test]
    fn constant_time_comparison_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
