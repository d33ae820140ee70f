//! Outgoing email. Messages are outbox events (topic `email.send`) written
//! in the transaction of what causes them; the worker delivers them.
//!
//! With `SMTP_URL` they go over SMTP (lettre, pooled connections; `smtps://`
//! for TLS, `?tls=required` for STARTTLS), each with a `Message-ID` made from
//! its event so a redelivery can be recognised downstream. Without it,
//! delivery writes each message as an `.eml` file under `MAIL_DIR`, named
//! after its event, so a redelivery rewrites the same file instead of
//! sending twice.

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use comptoir_db::PgConnection;
use comptoir_db::platform::outbox;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::platform::outbox::DeliveryError;

pub const EMAIL_SEND: &str = "email.send";

/// One plain-text message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Queues `email` in the caller's transaction.
pub async fn queue(conn: &mut PgConnection, email: &Email) -> Result<Uuid, comptoir_db::Error> {
    let payload = serde_json::json!({"to": email.to, "subject": email.subject, "text": email.text});
    outbox::enqueue(conn, EMAIL_SEND, &payload).await
}

#[derive(Clone)]
pub struct Mailer {
    pub dir: PathBuf,
    pub from: String,
    /// Set when `SMTP_URL` is.
    pub smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Mailer {
    /// The mailer of the configuration: SMTP when `SMTP_URL` is set, files otherwise.
    pub fn from_config(config: &crate::config::Config) -> Result<Self, lettre::transport::smtp::Error> {
        crate::payments::install_tls_provider();
        let smtp = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())?
                    .timeout(Some(std::time::Duration::from_secs(10)))
                    .build(),
            ),
            None => None,
        };
        Ok(Self {
            dir: config.mail_dir.clone(),
            from: config.mail_from.clone(),
            smtp,
        })
    }

    pub async fn deliver(&self, event_id: Uuid, email: &Email) -> Result<(), DeliveryError> {
        if email.to.contains(['\r', '\n']) || email.subject.contains(['\r', '\n']) {
            return Err(DeliveryError::Permanent("header injection refused".to_owned()));
        }
        if let Some(smtp) = &self.smtp {
            return self.send(smtp, event_id, email).await;
        }
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| DeliveryError::Transient(format!("{}: {e}", self.dir.display())))?;
        let message = self.render(event_id, email);
        let path = self.dir.join(format!("{event_id}.eml"));
        let partial = self.dir.join(format!(".{event_id}.eml.partial"));
        tokio::fs::write(&partial, message)
            .await
            .map_err(|e| DeliveryError::Transient(e.to_string()))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| DeliveryError::Transient(e.to_string()))
    }

    async fn send(
        &self,
        smtp: &AsyncSmtpTransport<Tokio1Executor>,
        event_id: Uuid,
        email: &Email,
    ) -> Result<(), DeliveryError> {
        let permanent = |what: &str, err: &dyn std::fmt::Display| DeliveryError::Permanent(format!("{what}: {err}"));
        let message = Message::builder()
            .from(self.from.parse().map_err(|e| permanent("MAIL_FROM", &e))?)
            .to(email.to.parse().map_err(|e| permanent("recipient", &e))?)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{event_id}@comptoir>")))
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())
            .map_err(|e| permanent("message", &e))?;
        match smtp.send(message).await {
            Ok(_) => Ok(()),
            // A 5xx answer will not change on retry (an unknown mailbox).
            Err(err) if err.is_permanent() => Err(DeliveryError::Permanent(err.to_string())),
            Err(err) => Err(DeliveryError::Transient(err.to_string())),
        }
    }

    fn render(&self, event_id: Uuid, email: &Email) -> String {
        let date = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let text = email.text.replace("\r\n", "\n").replace('\n', "\r\n");
        format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{event_id}@comptoir>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n",
            self.from,
            email.to,
            encode_header(&email.subject),
        )
    }
}

/// RFC 2047: a header with non-ASCII text, as base64 UTF-8.
fn encode_header(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    format!("=?utf-8?B?{}?=", base64(text.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_subjects_are_encoded_words() {
        assert_eq!(encode_header("Hello"), "Hello");
        assert_eq!(encode_header("Réinitialiser"), "=?utf-8?B?UsOpaW5pdGlhbGlzZXI=?=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }
}
