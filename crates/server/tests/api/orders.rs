//! Checkout, payments and orders: what a shopper pays, what the shop
//! records, and that neither stock nor money is ever counted twice.

mod stripe;

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalog::{admin_token, create_product, product_body};
use crate::harness::TestApp;
use crate::identity::{bearer, new_store, signed_in};

/// A product with one variant at `price`, with `units` in a store that
/// ships online; answers the variant.
pub async fn stocked_variant(app: &TestApp, admin: &str, sku: &str, price: i64, units: i64) -> Uuid {
    let product = create_product(
        app,
        admin,
        product_body(&format!("Produit {sku}"), None, &[(sku, price)]),
    )
    .await;
    let variant: Uuid = product["variants"][0]["id"].as_str().unwrap().parse().unwrap();
    let store = new_store(app, &format!("S-{sku}")).await;
    let response = app
        .client
        .post(app.url("/api/v1/admin/stock/adjustments"))
        .header("authorization", bearer(admin))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"location_id": store, "variant_id": variant, "delta": units, "reason": "receipt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    variant
}

/// A guest's cart holding `items`; answers its id and token.
pub async fn guest_cart(app: &TestApp, items: &[(Uuid, i64)]) -> (Uuid, String) {
    let cart: Value = app
        .client
        .post(app.url("/api/v1/carts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id: Uuid = cart["id"].as_str().unwrap().parse().unwrap();
    let token = cart["cart_token"].as_str().unwrap().to_owned();
    for (variant, quantity) in items {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/carts/{id}/items")))
            .header("x-cart-token", &token)
            .json(&json!({"variant_id": variant, "quantity": quantity}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    (id, token)
}

pub fn checkout_body(cart: Uuid, payment: Value) -> Value {
    json!({
        "cart_id": cart,
        "email": "maelys@exemple.fr",
        "shipping_address": {
            "first_name": "Maëlys", "last_name": "Le Gall", "line1": "12 rue de Siam",
            "postal_code": "29200", "city": "Brest", "country": "FR", "phone": "+33 6 12 34 56 78"
        },
        "shipping_option_id": "colissimo",
        "payment_method": payment,
    })
}

pub fn card(token: &str) -> Value {
    json!({"type": "card", "token": token})
}

/// Sends a checkout; answers the status and body.
pub async fn checkout(app: &TestApp, cart_token: &str, key: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/checkout"))
        .header("x-cart-token", cart_token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn stock_of(app: &TestApp, variant: Uuid) -> (i64, i64) {
    let row: (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(on_hand), 0)::bigint, coalesce(sum(reserved), 0)::bigint FROM stock_levels WHERE variant_id = $1",
    )
    .bind(variant)
    .fetch_one(app.db())
    .await
    .unwrap();
    row
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(app.db())
        .await
        .unwrap()
}

async fn ledger_agrees(app: &TestApp) {
    let mut conn = app.db().acquire().await.unwrap();
    let mismatches = comptoir_db::inventory::verify_ledger(&mut conn).await.unwrap();
    assert!(mismatches.is_empty(), "stock and ledger disagree: {mismatches:?}");
}

#[tokio::test]
async fn a_guest_pays_by_card_and_the_order_is_paid_with_totals_that_add_up() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let gourde = stocked_variant(&app, &admin, "GOURDE-1", 1500, 5).await;
    let mut book = product_body("Guide des sentiers", None, &[("GUIDE-1", 1055)]);
    book["tax_class"] = json!("reduced");
    let book = create_product(&app, &admin, book).await;
    let book_variant: Uuid = book["variants"][0]["id"].as_str().unwrap().parse().unwrap();
    let store = new_store(&app, "ENTREPOT").await;
    let stocked = app
        .client
        .post(app.url("/api/v1/admin/stock/adjustments"))
        .header("authorization", bearer(&admin))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"location_id": store, "variant_id": book_variant, "delta": 3, "reason": "receipt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stocked.status(), 201);
    let (cart, token) = guest_cart(&app, &[(gourde, 2), (book_variant, 1)]).await;

    let (status, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_visa")),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    let order = &placed["order"];
    assert_eq!(order["status"], "paid");
    assert_eq!(placed["payment"]["status"], "succeeded");
    let number = order["number"].as_str().unwrap();
    assert!(
        number.starts_with("CMD-20") && number.len() == "CMD-2026-000001".len(),
        "{number}"
    );
    // 2 × 15,00 + 10,55 = 40,55 of goods; Colissimo costs 6,90 below 60 €.
    let totals = &order["totals"];
    assert_eq!(totals["subtotal_minor"], 4055);
    assert_eq!(totals["shipping_minor"], 690);
    assert_eq!(totals["grand_total_minor"], 4745);
    assert_eq!(totals["currency"], "EUR");
    let vat = totals["vat"].as_array().unwrap();
    assert_eq!(vat.len(), 2, "{totals}");
    let sum: i64 = vat
        .iter()
        .map(|v| v["base_minor"].as_i64().unwrap() + v["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 4745, "bases and VAT add up to the grand total");
    assert_eq!(vat[0]["rate"], 2000);
    assert_eq!(vat[1]["rate"], 550);
    assert!(order["invoice_number"].as_str().unwrap().starts_with("FA-20"));
    assert_eq!(order["shipping"]["address"]["city"], "Brest");

    // The units left the shelves; nothing stays reserved.
    assert_eq!(stock_of(&app, gourde).await, (3, 0));
    assert_eq!(stock_of(&app, book_variant).await, (2, 0));
    ledger_agrees(&app).await;
    // The cart is spent.
    let gone = app
        .client
        .get(app.url(&format!("/api/v1/carts/{cart}")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // The guest reads the order with the cart's token; nobody else finds it.
    let id = order["id"].as_str().unwrap();
    let read = app
        .client
        .get(app.url(&format!("/api/v1/orders/{id}")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let detail: Value = read.json().await.unwrap();
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["pending_payment", "paid"]);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}")).await.status(), 404);
    let stranger = signed_in(&app, "stranger@exemple.fr").await;
    let other = app
        .client
        .get(app.url(&format!("/api/v1/orders/{id}")))
        .header("authorization", bearer(stranger["access_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    // The money is in the ledger once, and the customer is told.
    assert_eq!(
        count(&app, "SELECT count(*) FROM payment_ledger WHERE kind = 'capture'").await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM outbox_events WHERE topic = 'email.send' AND payload->>'subject' LIKE 'Commande % confirmée'").await,
        1
    );
}

#[tokio::test]
async fn a_declined_card_keeps_the_order_waiting_and_the_customer_pays_again() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "KAYAK-1", 45_000, 2).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let (status, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_chargeDeclined")),
    )
    .await;
    assert_eq!(status, 201, "a declined card still places the order");
    assert_eq!(placed["order"]["status"], "pending_payment");
    assert_eq!(placed["payment"]["status"], "failed");
    assert_eq!(placed["payment"]["failure_code"], "card_declined");
    assert_eq!(stock_of(&app, variant).await, (2, 1), "the unit waits for the payment");

    let id = placed["order"]["id"].as_str().unwrap();
    let pay = |token_card: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let response = app
                .client
                .post(app.url(&format!("/api/v1/orders/{id}/payments")))
                .header("x-cart-token", token)
                .header("idempotency-key", Uuid::now_v7().to_string())
                .json(&json!({"payment_method": card(token_card)}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, again) = pay("tok_visa").await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["order"]["status"], "paid");
    assert_eq!(stock_of(&app, variant).await, (1, 0));
    let (status, paid_twice) = pay("tok_visa").await;
    assert_eq!(status, 409, "{paid_twice}");
    assert_eq!(paid_twice["code"], "order.not_payable");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM test_gateway_charges WHERE status = 'succeeded'"
        )
        .await,
        1
    );
    ledger_agrees(&app).await;
}

#[tokio::test]
async fn an_order_not_paid_in_time_is_cancelled_and_its_stock_comes_back() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "SUP-1", 60_000, 1).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let (_, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_chargeDeclined")),
    )
    .await;
    let id: Uuid = placed["order"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        comptoir_app::orders::cancel_overdue(&app.state).await.unwrap(),
        0,
        "not yet due"
    );
    sqlx::query("UPDATE orders SET payment_due_at = now() - interval '1 second' WHERE id = $1")
        .bind(id)
        .execute(app.db())
        .await
        .unwrap();
    assert_eq!(comptoir_app::orders::cancel_overdue(&app.state).await.unwrap(), 1);
    assert_eq!(stock_of(&app, variant).await, (1, 0), "the unit is for sale again");
    let status: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    ledger_agrees(&app).await;
}

#[tokio::test]
async fn three_d_secure_completes_through_the_gateway_webhook() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "VELO-1", 89_900, 1).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let (status, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_threeDSecure")),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(placed["order"]["status"], "pending_payment");
    assert_eq!(placed["payment"]["status"], "requires_action");
    let url = placed["payment"]["next_action"]["url"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&url).await.status(), 200, "the challenge page shows");
    let approved = app
        .client
        .post(app.url(&format!("{url}?outcome=approve")))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    // The gateway's webhook travels through the outbox.
    let worker = comptoir_app::platform::outbox::OutboxWorker::new(
        app.db().clone(),
        comptoir_app::platform::outbox::Handlers::for_app(&app.state),
        Default::default(),
    );
    while worker.run_once().await.unwrap() > 0 {}
    let id = placed["order"]["id"].as_str().unwrap();
    let order: Value = app
        .client
        .get(app.url(&format!("/api/v1/orders/{id}")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "paid", "{order}");
    assert_eq!(order["payments"][0]["status"], "succeeded");
    assert_eq!(stock_of(&app, variant).await, (0, 0));
}

#[tokio::test]
async fn bank_transfer_orders_wait_until_the_shop_records_the_transfer_then_ship() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "FUT-225", 32_000, 4).await;
    let (cart, token) = guest_cart(&app, &[(variant, 2)]).await;
    let (status, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, json!({"type": "bank_transfer"})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["order"]["status"], "awaiting_payment");
    assert_eq!(placed["payment"]["status"], "awaiting_transfer");
    assert_eq!(placed["payment"]["next_action"]["type"], "bank_transfer");
    assert_eq!(placed["payment"]["next_action"]["reference"], placed["order"]["number"]);
    let id = placed["order"]["id"].as_str().unwrap();
    let transition = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let response = app
                .client
                .post(app.url(&format!("/api/v1/admin/orders/{id}/transitions")))
                .header("authorization", bearer(&admin))
                .header("idempotency-key", Uuid::now_v7().to_string())
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, early) = transition(json!({"to": "shipped"})).await;
    assert_eq!(
        (status, early["code"].as_str()),
        (409, Some("order.invalid_transition"))
    );
    let (status, paid) = transition(json!({"to": "paid", "note": "virement reçu le 2 décembre"})).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["paid_minor"], paid["totals"]["grand_total_minor"]);
    assert_eq!(stock_of(&app, variant).await, (2, 0));
    let (status, _) = transition(json!({"to": "processing"})).await;
    assert_eq!(status, 200);
    let (status, shipped) =
        transition(json!({"to": "shipped", "carrier": "Colissimo", "tracking_number": "6A12345678901"})).await;
    assert_eq!(status, 200);
    assert_eq!(shipped["shipping"]["tracking_number"], "6A12345678901");
    let (status, cancelled) = transition(json!({"to": "cancelled"})).await;
    assert_eq!(
        (status, cancelled["code"].as_str()),
        (409, Some("order.invalid_transition")),
        "shipped orders are not cancelled"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM outbox_events WHERE topic = 'email.send' AND payload->>'text' LIKE '%6A12345678901%'"
        )
        .await,
        1,
        "the customer gets the tracking number"
    );
    let history: Vec<&str> = shipped["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["awaiting_payment", "paid", "processing", "shipped"]);
    assert_eq!(shipped["history"][1]["actor_kind"], "user");
}

#[tokio::test]
async fn refunds_by_line_restock_and_never_exceed_what_was_paid() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "MAILLOT-1", 3000, 5).await;
    let (cart, token) = guest_cart(&app, &[(variant, 3)]).await;
    let (_, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_visa")),
    )
    .await;
    let order = &placed["order"];
    let id = order["id"].as_str().unwrap();
    let line = order["lines"][0]["id"].as_str().unwrap();
    assert_eq!(stock_of(&app, variant).await, (2, 0));
    let refund = |body: Value, key: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let response = app
                .client
                .post(app.url(&format!("/api/v1/admin/orders/{id}/refunds")))
                .header("authorization", bearer(&admin))
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let key = Uuid::now_v7().to_string();
    let body = json!({"lines": [{"line_id": line, "quantity": 1}], "restock": true, "reason": "taille trop petite"});
    let (status, first) = refund(body.clone(), key.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["refund"]["amount_minor"], 3000);
    assert!(
        first["refund"]["credit_note_number"]
            .as_str()
            .unwrap()
            .starts_with("AV-20")
    );
    assert_eq!(first["order"]["status"], "paid", "the rest still ships");
    assert_eq!(
        stock_of(&app, variant).await,
        (3, 0),
        "the returned unit is back on the shelf"
    );
    let (status, replay) = refund(body, key).await;
    assert_eq!(status, 201);
    assert_eq!(
        replay["refund"]["id"], first["refund"]["id"],
        "the same key refunds once"
    );

    let (status, too_much) = refund(
        json!({"amount_minor": 99_999, "reason": "erreur"}),
        Uuid::now_v7().to_string(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(too_much["code"], "refund.exceeds_paid");
    let (status, too_many) = refund(
        json!({"lines": [{"line_id": line, "quantity": 3}], "reason": "tout"}),
        Uuid::now_v7().to_string(),
    )
    .await;
    assert_eq!(status, 422, "only two units are left to refund: {too_many}");

    // 90 € of goods ship free.
    // The rest of the order goes out; a refund after shipping marks it.
    let shipped = app
        .client
        .post(app.url(&format!("/api/v1/admin/orders/{id}/transitions")))
        .header("authorization", bearer(&admin))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"to": "shipped"}))
        .send()
        .await
        .unwrap();
    assert_eq!(shipped.status(), 409, "paid goes to processing first");
    for to in ["processing", "shipped"] {
        let moved = app
            .client
            .post(app.url(&format!("/api/v1/admin/orders/{id}/transitions")))
            .header("authorization", bearer(&admin))
            .header("idempotency-key", Uuid::now_v7().to_string())
            .json(&json!({"to": to}))
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), 200, "{to}");
    }
    let (status, gesture) = refund(
        json!({"amount_minor": 500, "reason": "retard de livraison"}),
        Uuid::now_v7().to_string(),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(gesture["order"]["status"], "partially_refunded");
    let rest = 3000 * 3 - 3000 - 500;
    let (status, last) = refund(
        json!({"amount_minor": rest, "reason": "geste"}),
        Uuid::now_v7().to_string(),
    )
    .await;
    assert_eq!(status, 201, "{last}");
    assert_eq!(last["order"]["status"], "refunded");
    assert_eq!(last["order"]["refunded_minor"], last["order"]["paid_minor"]);
    let (refunded_at_gateway,): (i64,) = sqlx::query_as("SELECT refunded_minor FROM test_gateway_charges")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(refunded_at_gateway, 3000 * 3);
    ledger_agrees(&app).await;

    // Each refund has its credit note, printable and as PDF.
    let refund_id = first["refund"]["id"].as_str().unwrap();
    let note = app
        .client
        .get(app.url(&format!("/api/v1/orders/{id}/credit-notes/{refund_id}?format=html")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 200);
    let html = note.text().await.unwrap();
    let credit_note = first["refund"]["credit_note_number"].as_str().unwrap();
    assert!(html.contains(&format!("Avoir {credit_note}")), "{html}");
    assert!(html.contains("Rectifie la facture FA-20"));
    // One jersey: 30,00 € TTC, of which 5,00 € VAT.
    assert!(html.contains("25,00\u{a0}€") && html.contains("5,00\u{a0}€"), "{html}");
}

#[tokio::test]
async fn a_paid_order_has_an_invoice_with_the_legal_mentions_and_a_packing_slip() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "FUT-BORDELAIS", 123_450, 2).await;
    let (cart, token) = guest_cart(&app, &[(variant, 2)]).await;
    let path = |id: &str, rest: &str| format!("/api/v1/orders/{id}/{rest}");
    let (_, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_chargeDeclined")),
    )
    .await;
    let id = placed["order"]["id"].as_str().unwrap().to_owned();
    let unpaid = app
        .client
        .get(app.url(&path(&id, "invoice")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(unpaid.status(), 404, "no invoice before payment");
    let pay = app
        .client
        .post(app.url(&path(&id, "payments")))
        .header("x-cart-token", &token)
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"payment_method": card("tok_visa")}))
        .send()
        .await
        .unwrap();
    assert_eq!(pay.status(), 201);

    let html = app
        .client
        .get(app.url(&format!("{}?format=html", path(&id, "invoice"))))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for mention in [
        "Facture FA-20",
        "SIREN 123 456 789",
        "N° TVA intracommunautaire FR32123456789",
        "Maëlys Le Gall",
        "PU HT",
        "20 %",
        // 2 × 1 234,50 € TTC: 2 057,50 € HT + 411,50 € VAT.
        "2\u{202f}057,50\u{a0}€",
        "411,50\u{a0}€",
        "2\u{202f}469,00\u{a0}€",
        "indemnité forfaitaire de 40 €",
    ] {
        assert!(html.contains(mention), "{mention} in {html}");
    }
    let pdf = app
        .client
        .get(app.url(&path(&id, "invoice")))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    assert!(
        String::from_utf8_lossy(&bytes).contains("(Facture FA-20"),
        "the number is in the text"
    );

    let slip = app
        .client
        .get(app.url(&format!("/api/v1/admin/orders/{id}/packing-slip")))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap();
    assert_eq!(slip.status(), 200);
    let slip = slip.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&slip).contains("(FUT-BORDELAIS)"));
    let bad = app
        .client
        .get(app.url(&format!("{}?format=docx", path(&id, "invoice"))))
        .header("x-cart-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn bad_checkouts_get_clear_answers_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "CASQUE-1", 5000, 1).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;

    let no_key = app
        .client
        .post(app.url("/api/v1/checkout"))
        .header("x-cart-token", &token)
        .json(&checkout_body(cart, card("tok_visa")))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 400);

    let mut bad = checkout_body(cart, card(""));
    bad["email"] = json!("pas-un-email");
    bad["shipping_address"]["postal_code"] = json!("2920");
    let (status, problem) = checkout(&app, &token, &Uuid::now_v7().to_string(), &bad).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["email", "shipping_address.postal_code", "payment_method.token"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let mut unknown_option = checkout_body(cart, card("tok_visa"));
    unknown_option["shipping_option_id"] = json!("teleportation");
    let (status, problem) = checkout(&app, &token, &Uuid::now_v7().to_string(), &unknown_option).await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("shipping_option_id"))
    );
    let (status, _) = checkout(
        &app,
        "cart_wrong",
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_visa")),
    )
    .await;
    assert_eq!(status, 404, "another's cart does not exist");

    // Someone buys the last unit first.
    let (other_cart, other_token) = guest_cart(&app, &[(variant, 1)]).await;
    let (status, _) = checkout(
        &app,
        &other_token,
        &Uuid::now_v7().to_string(),
        &checkout_body(other_cart, card("tok_visa")),
    )
    .await;
    assert_eq!(status, 201);
    let (status, problem) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_visa")),
    )
    .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["code"], "stock.insufficient");
    assert_eq!(problem["errors"][0]["field"], variant.to_string());
    assert_eq!(
        count(&app, "SELECT count(*) FROM orders").await,
        1,
        "no half-written order"
    );
    assert_eq!(stock_of(&app, variant).await, (0, 0));
}

#[tokio::test]
async fn two_hundred_checkouts_of_the_last_ten_units_make_exactly_ten_paid_orders() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "DERNIER-1", 2500, 10).await;
    let mut carts = Vec::new();
    for _ in 0..200 {
        carts.push(guest_cart(&app, &[(variant, 1)]).await);
    }
    let attempts = carts.into_iter().map(|(cart, token)| {
        let app = &app;
        async move {
            checkout(
                app,
                &token,
                &Uuid::now_v7().to_string(),
                &checkout_body(cart, card("tok_visa")),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let paid = answers
        .iter()
        .filter(|(status, body)| *status == 201 && body["order"]["status"] == "paid")
        .count();
    let refused = answers
        .iter()
        .filter(|(status, body)| *status == 409 && body["code"] == "stock.insufficient")
        .count();
    assert_eq!(
        (paid, refused),
        (10, 190),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert_eq!(stock_of(&app, variant).await, (0, 0));
    ledger_agrees(&app).await;
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 10);
    assert_eq!(
        count(&app, "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id) OR NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded')").await,
        0,
        "every order has its lines and its payment"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM test_gateway_charges").await, 10);
}

#[tokio::test]
async fn fifty_checkouts_with_one_key_make_one_order_and_one_charge() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "UNIQUE-1", 9900, 5).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let key = Uuid::now_v7().to_string();
    let body = checkout_body(cart, card("tok_visa"));
    let attempts = (0..50).map(|_| checkout(&app, &token, &key, &body));
    let answers = futures_util::future::join_all(attempts).await;
    let created: Vec<&Value> = answers.iter().filter(|a| a.0 == 201).map(|a| &a.1).collect();
    let in_flight = answers
        .iter()
        .filter(|a| a.0 == 409 && a.1["code"] == "idempotency.in_flight")
        .count();
    assert_eq!(
        created.len() + in_flight,
        50,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(!created.is_empty());
    assert!(
        created.iter().all(|c| c["order"]["id"] == created[0]["order"]["id"]),
        "one order for all"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM test_gateway_charges").await, 1);
    // Later, the stored answer; with another body, a refusal.
    let (status, replay) = checkout(&app, &token, &key, &body).await;
    assert_eq!((status, &replay["order"]["id"]), (201, &created[0]["order"]["id"]));
    let mut other = body.clone();
    other["email"] = json!("autre@exemple.fr");
    let (status, problem) = checkout(&app, &token, &key, &other).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("idempotency.key_reused"))
    );
    assert_eq!(stock_of(&app, variant).await, (4, 0));
}

#[tokio::test]
async fn a_gateway_that_times_out_after_charging_is_reconciled_without_a_second_charge() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "PERDU-1", 12_000, 2).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let key = Uuid::now_v7().to_string();
    let body = checkout_body(cart, card("tok_timeoutAfterCharge"));
    let (status, placed) = checkout(&app, &token, &key, &body).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["order"]["status"], "pending_payment");
    assert_eq!(
        placed["payment"]["status"], "processing",
        "the outcome is not known yet"
    );

    // The reconciliation asks the gateway, which did charge.
    let settled = comptoir_app::payments::reconcile(&app.state, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    // The shopper's retry with the key now gets the paid order.
    let (status, retried) = checkout(&app, &token, &key, &body).await;
    assert_eq!(status, 201);
    assert_eq!(retried["order"]["status"], "paid");
    assert_eq!(retried["order"]["id"], placed["order"]["id"]);
    assert_eq!(
        count(&app, "SELECT count(*) FROM test_gateway_charges").await,
        1,
        "charged once"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM payment_ledger WHERE kind = 'capture'").await,
        1
    );
    assert_eq!(stock_of(&app, variant).await, (1, 0));
}

#[tokio::test]
async fn customers_see_their_own_orders_and_cancel_before_shipping_with_a_refund() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "GILET-1", 4200, 3).await;
    let customer = signed_in(&app, "yann@exemple.fr").await;
    let access = customer["access_token"].as_str().unwrap().to_owned();
    let cart: Value = app
        .client
        .post(app.url("/api/v1/carts"))
        .header("authorization", bearer(&access))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cart_id: Uuid = cart["id"].as_str().unwrap().parse().unwrap();
    let added = app
        .client
        .post(app.url(&format!("/api/v1/carts/{cart_id}/items")))
        .header("authorization", bearer(&access))
        .json(&json!({"variant_id": variant, "quantity": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let placed: Value = app
        .client
        .post(app.url("/api/v1/checkout"))
        .header("authorization", bearer(&access))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&checkout_body(cart_id, card("tok_visa")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(placed["order"]["status"], "paid", "{placed}");
    let id = placed["order"]["id"].as_str().unwrap();

    let mine: Value = app
        .client
        .get(app.url("/api/v1/me/orders"))
        .header("authorization", bearer(&access))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], id);

    // A reason the database could not store is refused before any refund.
    let refused = app
        .client
        .post(app.url(&format!("/api/v1/orders/{id}/cancel")))
        .header("authorization", bearer(&access))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"reason": "oups\u{0000}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(count(&app, "SELECT count(*) FROM test_gateway_refunds").await, 0);
    let cancelled = app
        .client
        .post(app.url(&format!("/api/v1/orders/{id}/cancel")))
        .header("authorization", bearer(&access))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"reason": "commandé deux fois"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["refunded_minor"], cancelled["paid_minor"]);
    assert_eq!(stock_of(&app, variant).await, (3, 0), "both units are back");
    ledger_agrees(&app).await;

    let admin_list: Value = app
        .client
        .get(app.url("/api/v1/admin/orders?status=cancelled&q=maelys"))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin_list["items"].as_array().unwrap().len(), 1, "{admin_list}");
    let bad = app
        .client
        .get(app.url("/api/v1/admin/orders?status=lost&from=yesterday"))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn cancelling_while_a_three_d_secure_approval_is_on_its_way_refunds_the_charge() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "RACE-1", 7000, 1).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let (_, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_threeDSecure")),
    )
    .await;
    let url = placed["payment"]["next_action"]["url"].as_str().unwrap().to_owned();
    // The customer approves; the gateway's webhook has not arrived yet.
    let approved = app
        .client
        .post(app.url(&format!("{url}?outcome=approve")))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let id = placed["order"]["id"].as_str().unwrap();
    let cancelled = app
        .client
        .post(app.url(&format!("/api/v1/orders/{id}/cancel")))
        .header("x-cart-token", &token)
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        cancelled["paid_minor"], 7000,
        "the approval that came first is recorded"
    );
    assert_eq!(cancelled["refunded_minor"], 7000, "and given back");
    let (refunded,): (i64,) = sqlx::query_as("SELECT refunded_minor FROM test_gateway_charges")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(refunded, 7000);
    // The late webhook changes nothing.
    let worker = comptoir_app::platform::outbox::OutboxWorker::new(
        app.db().clone(),
        comptoir_app::platform::outbox::Handlers::for_app(&app.state),
        Default::default(),
    );
    while worker.run_once().await.unwrap() > 0 {}
    assert_eq!(stock_of(&app, variant).await, (1, 0));
    ledger_agrees(&app).await;
}

#[tokio::test]
async fn paying_again_with_the_same_key_after_a_lost_answer_continues_the_same_attempt() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "RETRY-1", 3300, 1).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let (_, placed) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_chargeDeclined")),
    )
    .await;
    let id = placed["order"]["id"].as_str().unwrap();
    let key = Uuid::now_v7().to_string();
    let pay = || {
        app.client
            .post(app.url(&format!("/api/v1/orders/{id}/payments")))
            .header("x-cart-token", &token)
            .header("idempotency-key", &key)
            .json(&json!({"payment_method": card("tok_timeoutAfterCharge")}))
            .send()
    };
    let first: Value = pay().await.unwrap().json().await.unwrap();
    assert_eq!(first["payment"]["status"], "processing", "{first}");
    // Someone else sending the same key (without the cart's token) learns
    // nothing and charges nothing: the attempt is still the customer's.
    let stranger = app
        .client
        .post(app.url(&format!("/api/v1/orders/{id}/payments")))
        .header("idempotency-key", &key)
        .json(&json!({"payment_method": card("tok_timeoutAfterCharge")}))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 404);
    // The gateway answers again after a moment (its test token times out only once).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let again = pay().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["payment"]["id"], first["payment"]["id"], "the same attempt");
    assert_eq!(again["order"]["status"], "paid");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM test_gateway_charges WHERE status = 'succeeded'"
        )
        .await,
        1
    );
    let replay = pay().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
}

#[tokio::test]
async fn without_stripe_a_production_shop_takes_no_fake_card_payment() {
    let app = TestApp::builder().var("TEST_GATEWAY", "false").spawn().await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "PROD-1", 1000, 1).await;
    let (cart, token) = guest_cart(&app, &[(variant, 1)]).await;
    let (status, problem) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, card("tok_visa")),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("payment.method_unavailable"))
    );
    assert_eq!(count(&app, "SELECT count(*) FROM orders").await, 0);
    assert_eq!(stock_of(&app, variant).await, (1, 0));
    let page = app.get("/api/v1/test-gateway/charges/ch_test_x/authenticate").await;
    assert_eq!(page.status(), 404);
    // A bank transfer still works.
    let (status, _) = checkout(
        &app,
        &token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, json!({"type": "bank_transfer"})),
    )
    .await;
    assert_eq!(status, 201);
}
