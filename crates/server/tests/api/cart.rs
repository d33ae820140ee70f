//! Carts: guests reach theirs with a token, customers own theirs, and every
//! answer prices the cart afresh.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalog::{admin_call, admin_token, create_product, product_body};
use crate::harness::TestApp;
use crate::identity::{bearer, role, someone};
use comptoir_domain::identity::{Role, Scope};

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<(&str, &str)>,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path));
    match token {
        Some(("cart", token)) => request = request.header("x-cart-token", token),
        Some((_, token)) => request = request.header("authorization", bearer(token)),
        None => {}
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_guest_fills_a_cart_and_every_answer_is_priced_afresh_with_vat_per_rate() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let gourde = create_product(&app, &admin, product_body("Gourde Bréhat", None, &[("GB-1", 1500)])).await;
    let mut book = product_body("Guide des sentiers", None, &[("GS-1", 1055)]);
    book["tax_class"] = json!("reduced");
    let book = create_product(&app, &admin, book).await;
    let gourde_variant = gourde["variants"][0]["id"].as_str().unwrap().to_owned();
    let book_variant = book["variants"][0]["id"].as_str().unwrap().to_owned();

    let (status, cart) = send(&app, "POST", "/api/v1/carts", None, None).await;
    assert_eq!(status, 201);
    let token = cart["cart_token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/carts/{}", cart["id"].as_str().unwrap());
    let guest = Some(("cart", token.as_str()));

    let (status, cart) = send(
        &app,
        "POST",
        &format!("{path}/items"),
        guest,
        Some(json!({"variant_id": gourde_variant, "quantity": 2})),
    )
    .await;
    assert_eq!(status, 201, "{cart}");
    let (status, _) = send(
        &app,
        "POST",
        &format!("{path}/items"),
        guest,
        Some(json!({"variant_id": book_variant, "quantity": 1})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, cart) = send(
        &app,
        "POST",
        &format!("{path}/items"),
        guest,
        Some(json!({"variant_id": gourde_variant, "quantity": 1})),
    )
    .await;
    assert_eq!(
        cart["lines"].as_array().unwrap().len(),
        2,
        "a variant added again is one line"
    );
    assert_eq!(cart["lines"][0]["quantity"], 3);
    assert_eq!(cart["item_count"], 4);
    // 3 × 15,00 € at 20 % and 10,55 € at 5.5 %.
    assert_eq!(
        cart["totals"],
        json!({"subtotal_minor": 5555, "shipping_minor": 0, "grand_total_minor": 5555, "currency": "EUR",
               "vat": [{"rate": 2000, "base_minor": 3750, "amount_minor": 750},
                       {"rate": 550, "base_minor": 1000, "amount_minor": 55}]})
    );
    assert!(cart.get("cart_token").is_none(), "the token is shown once");
    let warnings: Vec<&str> = cart["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        warnings,
        ["insufficient_stock", "insufficient_stock"],
        "nothing is in stock yet"
    );

    // The price changes: the next answer says so and prices the new one.
    let variant_path = format!(
        "/api/v1/admin/products/{}/variants/{gourde_variant}",
        gourde["id"].as_str().unwrap()
    );
    assert_eq!(
        admin_call(&app, &admin, "PATCH", &variant_path, Some(json!({"price_minor": 1400})))
            .await
            .0,
        200
    );
    let (status, cart) = send(&app, "GET", &path, guest, None).await;
    assert_eq!(status, 200);
    assert_eq!(cart["totals"]["subtotal_minor"], 5255);
    assert!(
        cart["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "price_changed")
    );

    let line = cart["lines"][0]["id"].as_str().unwrap().to_owned();
    let (status, cart) = send(
        &app,
        "PATCH",
        &format!("{path}/items/{line}"),
        guest,
        Some(json!({"quantity": 1})),
    )
    .await;
    assert_eq!((status, cart["totals"]["subtotal_minor"].as_i64()), (200, Some(2455)));
    let (status, cart) = send(&app, "DELETE", &format!("{path}/items/{line}"), guest, None).await;
    assert_eq!((status, cart["lines"].as_array().unwrap().len()), (200, 1));

    // Bad input is refused and changes nothing.
    for (body, field) in [
        (json!({"variant_id": book_variant, "quantity": 0}), "quantity"),
        (json!({"variant_id": book_variant, "quantity": 99}), "quantity"),
        (json!({"variant_id": Uuid::now_v7(), "quantity": 1}), "variant_id"),
        (json!({"variant_id": book_variant, "quantity": "two"}), "quantity"),
    ] {
        let (status, problem) = send(&app, "POST", &format!("{path}/items"), guest, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let mut draft = product_body("Brouillon", None, &[("BR-1", 100)]);
    draft["status"] = json!("draft");
    let draft = create_product(&app, &admin, draft).await;
    let (status, _) = send(
        &app,
        "POST",
        &format!("{path}/items"),
        guest,
        Some(json!({"variant_id": draft["variants"][0]["id"], "quantity": 1})),
    )
    .await;
    assert_eq!(status, 422, "a product that is not for sale");
    let (_, unchanged) = send(&app, "GET", &path, guest, None).await;
    assert_eq!(unchanged["lines"].as_array().unwrap().len(), 1);
    assert_eq!(unchanged["lines"][0]["quantity"], 1);
}

#[tokio::test]
async fn a_cart_is_reached_only_with_its_token_or_by_its_owner() {
    let app = TestApp::spawn().await;
    let (_, guest_cart) = send(&app, "POST", "/api/v1/carts", None, None).await;
    let guest_path = format!("/api/v1/carts/{}", guest_cart["id"].as_str().unwrap());
    assert_eq!(send(&app, "GET", &guest_path, None, None).await.0, 404);
    assert_eq!(
        send(&app, "GET", &guest_path, Some(("cart", "cart_wrong")), None)
            .await
            .0,
        404
    );
    let token = guest_cart["cart_token"].as_str().unwrap();
    assert_eq!(send(&app, "GET", &guest_path, Some(("cart", token)), None).await.0, 200);

    let customer = role(Role::Customer, Scope::Global);
    let alice = someone(&app, "alice", &[customer]).await.token;
    let bob = someone(&app, "bob", &[customer]).await.token;
    let (status, owned) = send(&app, "POST", "/api/v1/carts", Some(("user", alice.as_str())), None).await;
    assert_eq!(status, 201);
    assert!(owned["user_id"].is_string(), "{owned}");
    let owned_path = format!("/api/v1/carts/{}", owned["id"].as_str().unwrap());
    assert_eq!(
        send(&app, "GET", &owned_path, Some(("user", alice.as_str())), None)
            .await
            .0,
        200
    );
    assert_eq!(
        send(&app, "GET", &owned_path, Some(("user", bob.as_str())), None)
            .await
            .0,
        404
    );
    let owned_token = owned["cart_token"].as_str().unwrap();
    assert_eq!(
        send(&app, "GET", &owned_path, Some(("cart", owned_token)), None)
            .await
            .0,
        404,
        "an account's cart needs the account"
    );
    assert_eq!(
        send(&app, "POST", "/api/v1/carts", Some(("user", "not-a-token")), None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn shipping_options_price_the_cart_and_offer_the_stores_that_hold_all_of_it() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let mut body = product_body("Tente Crozon", None, &[("TC-1", 4000)]);
    body["variants"][0]["weight_grams"] = json!(3000);
    let tent = create_product(&app, &admin, body).await;
    let variant: Uuid = tent["variants"][0]["id"].as_str().unwrap().parse().unwrap();
    let brest = crate::identity::new_store(&app, "BREST").await;
    let quimper = crate::identity::new_store(&app, "QUIMPER").await;
    for (store, units) in [(brest, 2), (quimper, 1)] {
        let response = app
            .client
            .post(app.url("/api/v1/admin/stock/adjustments"))
            .header("authorization", bearer(&admin))
            .header("idempotency-key", Uuid::now_v7().to_string())
            .json(&json!({"location_id": store, "variant_id": variant, "delta": units, "reason": "receipt"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let (_, cart) = send(&app, "POST", "/api/v1/carts", None, None).await;
    let token = cart["cart_token"].as_str().unwrap().to_owned();
    let guest = Some(("cart", token.as_str()));
    let path = format!("/api/v1/carts/{}", cart["id"].as_str().unwrap());
    let options_path = format!("{path}/shipping-options?country=FR&postal_code=29000");
    let (status, empty) = send(&app, "GET", &options_path, guest, None).await;
    assert_eq!(
        (status, empty["items"].clone()),
        (200, json!([])),
        "an empty cart travels nowhere"
    );

    send(
        &app,
        "POST",
        &format!("{path}/items"),
        guest,
        Some(json!({"variant_id": variant, "quantity": 2})),
    )
    .await;
    let (status, options) = send(&app, "GET", &options_path, guest, None).await;
    assert_eq!(status, 200, "{options}");
    let offered: Vec<(&str, i64)> = options["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o["price_minor"].as_i64().unwrap()))
        .collect();
    // 80 € of goods: Colissimo is free above 60 €; 6 kg weighs into the
    // transporter's second tier; only Brest holds both tents.
    assert_eq!(
        offered,
        [("colissimo", 0), ("retrait-magasin:BREST", 0), ("transporteur", 2490)]
    );

    let (status, options) = send(&app, "GET", &format!("{path}/shipping-options?country=DE"), guest, None).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = options["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["retrait-magasin:BREST"], "nothing delivers to Germany");
    for bad in ["country=XX", "country=FR&postal_code=2900", "postal_code=29000"] {
        let (status, _) = send(&app, "GET", &format!("{path}/shipping-options?{bad}"), guest, None).await;
        assert_eq!(status, 422, "{bad}");
    }
    assert_eq!(
        send(&app, "GET", &format!("{path}/shipping-options?country=FR"), None, None)
            .await
            .0,
        404
    );

    // Administrators configure the methods; a bad one is refused whole.
    let (status, problem) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/shipping-methods",
        Some(json!({"code": "lourd", "name": "Lourd", "kind": "weight_tiers",
                    "tiers": [{"max_grams": 5000, "price_minor": 990}, {"max_grams": 1000, "price_minor": 500}]})),
    )
    .await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (422, Some("tiers")));
    let (status, _) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/shipping-methods",
        Some(json!({"code": "colissimo", "name": "Doublon", "kind": "flat"})),
    )
    .await;
    assert_eq!(status, 409);
}

async fn sign_in(app: &TestApp, email: &str, cart_token: Option<&str>) -> Value {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": crate::identity::PASSWORD}));
    if let Some(token) = cart_token {
        request = request.header("x-cart-token", token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_guest_cart_merges_into_the_accounts_at_sign_in_capped_by_what_can_ship() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let tent = create_product(&app, &admin, product_body("Tente Groix", None, &[("TG-1", 9000)])).await;
    let lamp = create_product(&app, &admin, product_body("Lampe Sein", None, &[("LS-1", 2500)])).await;
    let tent_variant = tent["variants"][0]["id"].as_str().unwrap().to_owned();
    let lamp_variant = lamp["variants"][0]["id"].as_str().unwrap().to_owned();
    let store = crate::identity::new_store(&app, "RENNES").await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/stock/adjustments"))
        .header("authorization", bearer(&admin))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"location_id": store, "variant_id": tent_variant, "delta": 3, "reason": "receipt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let alice = someone(&app, "alice", &[role(Role::Customer, Scope::Global)]).await;
    let (_, own) = send(
        &app,
        "POST",
        "/api/v1/carts",
        Some(("user", alice.token.as_str())),
        None,
    )
    .await;
    let own_path = format!("/api/v1/carts/{}", own["id"].as_str().unwrap());
    let as_alice = Some(("user", alice.token.as_str()));
    send(
        &app,
        "POST",
        &format!("{own_path}/items"),
        as_alice,
        Some(json!({"variant_id": tent_variant, "quantity": 2})),
    )
    .await;

    let (_, guest) = send(&app, "POST", "/api/v1/carts", None, None).await;
    let token = guest["cart_token"].as_str().unwrap().to_owned();
    let guest_path = format!("/api/v1/carts/{}", guest["id"].as_str().unwrap());
    let as_guest = Some(("cart", token.as_str()));
    send(
        &app,
        "POST",
        &format!("{guest_path}/items"),
        as_guest,
        Some(json!({"variant_id": tent_variant, "quantity": 2})),
    )
    .await;
    send(
        &app,
        "POST",
        &format!("{guest_path}/items"),
        as_guest,
        Some(json!({"variant_id": lamp_variant, "quantity": 1})),
    )
    .await;

    let pair = sign_in(&app, &alice.email, Some(&token)).await;
    assert_eq!(pair["cart_id"], own["id"]);
    let (_, merged) = send(&app, "GET", &own_path, as_alice, None).await;
    let quantities: Vec<(&str, i64)> = merged["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["sku"].as_str().unwrap(), l["quantity"].as_i64().unwrap()))
        .collect();
    // 2 + 2 tents, but 3 can ship; no lamp can ship at all, so none is added.
    assert_eq!(quantities, [("TG-1", 3)]);
    assert_eq!(
        send(&app, "GET", &guest_path, as_guest, None).await.0,
        404,
        "the guest cart is gone"
    );
    let again = sign_in(&app, &alice.email, Some(&token)).await;
    assert!(again.get("cart_id").is_none(), "a merged token merges nothing twice");

    // An account without a cart takes the guest's as it is.
    let bob = someone(&app, "bob", &[role(Role::Customer, Scope::Global)]).await;
    let (_, guest) = send(&app, "POST", "/api/v1/carts", None, None).await;
    let token = guest["cart_token"].as_str().unwrap().to_owned();
    let pair = sign_in(&app, &bob.email, Some(&token)).await;
    assert_eq!(pair["cart_id"], guest["id"]);
    let bob_path = format!("/api/v1/carts/{}", guest["id"].as_str().unwrap());
    assert_eq!(
        send(&app, "GET", &bob_path, Some(("user", bob.token.as_str())), None)
            .await
            .0,
        200
    );
}
