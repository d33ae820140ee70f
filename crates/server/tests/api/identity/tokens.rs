//! Access tokens that were not issued as they are presented are refused.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::{bearer, someone};
use crate::harness::{TestApp, problem};

const SECRET: &str = "a-test-signing-key-of-forty-characters!!";

async fn me_with(app: &TestApp, authorization: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/me"))
        .header("authorization", authorization)
        .send()
        .await
        .unwrap()
}

fn claims(user: uuid::Uuid, exp_offset: i64) -> serde_json::Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({"sub": user, "sid": uuid::Uuid::now_v7(), "roles": [{"role": "admin"}], "iss": "comptoir", "iat": now, "exp": now + exp_offset})
}

fn sign(claims: &serde_json::Value, key: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key.as_bytes())).unwrap()
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[tokio::test]
async fn tampered_forged_and_expired_tokens_are_refused() {
    let app = TestApp::builder()
        .var("JWT_SECRET", SECRET)
        .var("JWT_KEY_ID", "k1")
        .spawn()
        .await;
    let user = someone(&app, "victime", &[]).await;
    assert_eq!(me_with(&app, &bearer(&user.token)).await.status(), 200);

    // Signed by us, still valid: accepted. The same with each defect: refused.
    let good = sign(&claims(user.id, 600), SECRET, "k1");
    assert_eq!(me_with(&app, &bearer(&good)).await.status(), 200);

    let unsigned = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
        base64url(claims(user.id, 600).to_string().as_bytes())
    );
    let wrong_key = sign(&claims(user.id, 600), "another-key-that-is-not-ours-at-all-40ch", "k1");
    let wrong_kid = sign(&claims(user.id, 600), SECRET, "k9");
    let expired = sign(&claims(user.id, -120), SECRET, "k1");
    let mut altered = good.clone();
    // Flip the claims: the signature no longer matches.
    let claims_part = base64url(claims(uuid::Uuid::now_v7(), 600).to_string().as_bytes());
    let parts: Vec<&str> = good.split('.').collect();
    altered = altered.replace(parts[1], &claims_part);

    for (name, token, code) in [
        ("alg none", unsigned.as_str(), "auth.invalid_token"),
        ("wrong key", wrong_key.as_str(), "auth.invalid_token"),
        ("wrong kid", wrong_kid.as_str(), "auth.invalid_token"),
        ("expired", expired.as_str(), "auth.token_expired"),
        ("altered claims", altered.as_str(), "auth.invalid_token"),
        ("garbage", "not-a-token", "auth.invalid_token"),
    ] {
        let response = me_with(&app, &bearer(token)).await;
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{name}");
        assert_eq!(problem(response).await["code"], code, "{name}");
    }
    let basic = me_with(&app, "Basic dXNlcjpwYXNz").await;
    assert_eq!(basic.status(), 401);
    let none = app.get("/api/v1/me").await;
    assert_eq!(problem(none).await["code"], "auth.required");
}
