//! The address book and the phone number, stored encrypted.

use serde_json::{Value, json};

use super::{call, someone};
use crate::harness::{TestApp, problem};

fn brest() -> Value {
    json!({
        "label": "Maison", "first_name": "Anne", "last_name": "Kerjean", "line1": "12 rue de Siam",
        "postal_code": "29200", "city": "Brest", "country": "fr", "phone": "06 12 34 56 78",
        "is_default_shipping": true, "is_default_billing": true
    })
}

#[tokio::test]
async fn a_customer_keeps_addresses_with_one_default_of_each_kind() {
    let app = TestApp::spawn().await;
    let anne = someone(&app, "anne", &[]).await;
    let created = call(
        &app,
        &anne.token,
        reqwest::Method::POST,
        "/api/v1/me/addresses",
        Some(brest()),
    )
    .await;
    assert_eq!(created.status(), 201);
    let home: Value = created.json().await.unwrap();
    assert_eq!(home["country"], "FR");
    assert_eq!(home["phone"], "0612345678");
    assert_eq!(home["is_default_shipping"], true);

    let mut work = brest();
    work["label"] = json!("Bureau");
    work["line1"] = json!("3 place de la Liberté");
    work["is_default_billing"] = json!(false);
    let work: Value = call(
        &app,
        &anne.token,
        reqwest::Method::POST,
        "/api/v1/me/addresses",
        Some(work),
    )
    .await
    .json()
    .await
    .unwrap();
    let list: Value = call(&app, &anne.token, reqwest::Method::GET, "/api/v1/me/addresses", None)
        .await
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let shipping: Vec<_> = items
        .iter()
        .filter(|a| a["is_default_shipping"] == true)
        .map(|a| &a["id"])
        .collect();
    assert_eq!(shipping, vec![&work["id"]], "the newest default took the flag");
    let billing: Vec<_> = items
        .iter()
        .filter(|a| a["is_default_billing"] == true)
        .map(|a| &a["id"])
        .collect();
    assert_eq!(billing, vec![&home["id"]]);

    // The phone number is not readable in the database.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT phone_encrypted FROM addresses WHERE id = $1")
        .bind(uuid::Uuid::parse_str(home["id"].as_str().unwrap()).unwrap())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("0612345678"));

    let path = format!("/api/v1/me/addresses/{}", home["id"].as_str().unwrap());
    let moved: Value = call(
        &app,
        &anne.token,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"postal_code": "29000", "city": "Quimper", "phone": ""})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(moved["city"], "Quimper");
    assert!(moved["phone"].is_null());
    assert_eq!(moved["line1"], "12 rue de Siam", "untouched fields stay");
    assert_eq!(
        call(&app, &anne.token, reqwest::Method::DELETE, &path, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        call(&app, &anne.token, reqwest::Method::DELETE, &path, None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn addresses_are_checked_field_by_field_and_private_to_their_owner() {
    let app = TestApp::spawn().await;
    let anne = someone(&app, "anne", &[]).await;
    let bob = someone(&app, "bob", &[]).await;
    let bad = call(
        &app,
        &anne.token,
        reqwest::Method::POST,
        "/api/v1/me/addresses",
        Some(json!({"first_name": "Anne", "postal_code": "", "country": "XX", "phone": "abc", "city": ""})),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let body = problem(bad).await;
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        vec!["city", "country", "last_name", "line1", "phone", "postal_code"]
    );

    let mut french = brest();
    french["postal_code"] = json!("96000");
    let refused = call(
        &app,
        &anne.token,
        reqwest::Method::POST,
        "/api/v1/me/addresses",
        Some(french),
    )
    .await;
    assert_eq!(problem(refused).await["errors"][0]["field"], "postal_code");
    let mut british = brest();
    british["country"] = json!("GB");
    british["postal_code"] = json!("SW1A 1AA");
    let created: Value = call(
        &app,
        &anne.token,
        reqwest::Method::POST,
        "/api/v1/me/addresses",
        Some(british),
    )
    .await
    .json()
    .await
    .unwrap();
    let path = format!("/api/v1/me/addresses/{}", created["id"].as_str().unwrap());
    let by_bob = call(
        &app,
        &bob.token,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"city": "Paris"})),
    )
    .await;
    assert_eq!(by_bob.status(), 404);
    assert_eq!(
        call(&app, &bob.token, reqwest::Method::DELETE, &path, None)
            .await
            .status(),
        404
    );
    let bobs: Value = call(&app, &bob.token, reqwest::Method::GET, "/api/v1/me/addresses", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(bobs["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_account_phone_number_is_stored_encrypted() {
    let app = TestApp::spawn().await;
    let anne = someone(&app, "anne", &[]).await;
    let updated: Value = call(
        &app,
        &anne.token,
        reqwest::Method::PATCH,
        "/api/v1/me",
        Some(json!({"phone": "+33 6 98 76 54 32"})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(updated["phone"], "+33698765432");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT phone_encrypted FROM users WHERE id = $1")
        .bind(anne.id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains("698765432"));
    assert_eq!(&stored[1..4], b"dev", "sealed under the configured key id");
    let bad = call(
        &app,
        &anne.token,
        reqwest::Method::PATCH,
        "/api/v1/me",
        Some(json!({"phone": "call me"})),
    )
    .await;
    assert_eq!(problem(bad).await["errors"][0]["field"], "phone");
}
