//! The Stripe adapter against a local fake that follows Stripe's documented
//! requests and answers (form-encoded PaymentIntents and Refunds,
//! `Idempotency-Key`, card errors as 402 carrying the PaymentIntent,
//! `Stripe-Should-Retry`), and Stripe's webhooks with real signatures.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use comptoir_server::extract::Path;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{checkout, checkout_body, guest_cart, stocked_variant};
use crate::catalog::admin_token;
use crate::harness::TestApp;

#[derive(Default)]
struct Fake {
    /// Answers already given, by idempotency key (Stripe replays them),
    /// with the request they answered.
    by_key: HashMap<String, (u16, Value)>,
    bodies: HashMap<String, String>,
    intents: HashMap<String, Value>,
    /// Every create request's idempotency key, in order (retries included).
    creates: Vec<String>,
    refunds: Vec<(String, i64)>,
    captures: Vec<String>,
}

type Shared = Arc<Mutex<Fake>>;

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer sk_test_fake")
}

async fn create_intent(State(fake): State<Shared>, headers: HeaderMap, body: String) -> Response {
    if !authorised(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"type": "invalid_request_error"}})),
        )
            .into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let fields = form(&body);
    let mut fake = fake.lock().unwrap();
    fake.creates.push(key.clone());
    // Stripe refuses a key reused with other parameters.
    if fake.bodies.get(&key).is_some_and(|first| *first != body) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters"}})),
        )
            .into_response();
    }
    fake.bodies.insert(key.clone(), body.clone());
    if let Some((status, answer)) = fake.by_key.get(&key) {
        return (StatusCode::from_u16(*status).unwrap(), axum::Json(answer.clone())).into_response();
    }
    let method = fields.get("payment_method").cloned().unwrap_or_default();
    if method == "pm_card_flaky" && fake.creates.iter().filter(|k| **k == key).count() == 1 {
        // A transient failure Stripe says is worth retrying.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("stripe-should-retry", "true")],
            axum::Json(json!({"error": {"type": "api_error", "message": "try again"}})),
        )
            .into_response();
    }
    let id = format!("pi_{}", Uuid::now_v7().simple());
    let amount: i64 = fields.get("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
    let mut intent = json!({
        "id": id, "object": "payment_intent", "amount": amount, "currency": fields.get("currency"),
        "client_secret": format!("{id}_secret_fake"),
        "metadata": {"comptoir_payment_id": fields.get("metadata[comptoir_payment_id]")},
    });
    let (status, answer) = match method.as_str() {
        "pm_card_visa" | "pm_card_flaky" | "pm_card_lost" => {
            intent["status"] = json!("succeeded");
            (200, intent.clone())
        }
        "pm_card_manualCapture" => {
            intent["status"] = json!("requires_capture");
            (200, intent.clone())
        }
        "pm_card_threeDSecure2Required" => {
            intent["status"] = json!("requires_action");
            intent["next_action"] = json!({"type": "use_stripe_sdk"});
            (200, intent.clone())
        }
        _ => {
            intent["status"] = json!("requires_payment_method");
            intent["last_payment_error"] = json!({"code": "card_declined", "decline_code": "generic_decline", "message": "Your card was declined."});
            (
                402,
                json!({"error": {"type": "card_error", "code": "card_declined", "payment_intent": intent.clone()}}),
            )
        }
    };
    fake.intents.insert(id, intent);
    fake.by_key.insert(key, (status, answer.clone()));
    if method == "pm_card_lost" {
        // Charged; the answer is lost on the way back.
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("stripe-should-retry", "false")],
            axum::Json(json!({"error": {"type": "api_error"}})),
        )
            .into_response();
    }
    (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response()
}

async fn get_intent(State(fake): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorised(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match fake.lock().unwrap().intents.get(&id) {
        Some(intent) => axum::Json(intent.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": {"type": "invalid_request_error"}})),
        )
            .into_response(),
    }
}

async fn capture_intent(State(fake): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut fake = fake.lock().unwrap();
    fake.captures.push(key);
    let Some(intent) = fake.intents.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if intent["status"] != "requires_capture" {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"type": "invalid_request_error"}})),
        )
            .into_response();
    }
    intent["status"] = json!("succeeded");
    axum::Json(intent.clone()).into_response()
}

async fn create_refund(State(fake): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let fields = form(&body);
    let mut fake = fake.lock().unwrap();
    if let Some((status, answer)) = fake.by_key.get(&key) {
        return (StatusCode::from_u16(*status).unwrap(), axum::Json(answer.clone())).into_response();
    }
    let amount: i64 = fields.get("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
    let intent = fields.get("payment_intent").cloned().unwrap_or_default();
    fake.refunds.push((intent.clone(), amount));
    let refund = json!({"id": format!("re_{}", Uuid::now_v7().simple()), "object": "refund", "amount": amount,
                        "payment_intent": intent, "status": "succeeded"});
    fake.by_key.insert(key, (200, refund.clone()));
    axum::Json(refund).into_response()
}

async fn start_fake() -> (String, Shared) {
    let fake: Shared = Arc::default();
    let router = axum::Router::new()
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/payment_intents/{id}", get(get_intent))
        .route("/v1/payment_intents/{id}/capture", post(capture_intent))
        .route("/v1/refunds", post(create_refund))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}"), fake)
}

async fn app_with_stripe(base: &str) -> TestApp {
    TestApp::builder()
        .var("STRIPE_SECRET_KEY", "sk_test_fake")
        .var("STRIPE_API_BASE", base)
        .var("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new")
        .spawn()
        .await
}

fn event(id: &str, kind: &str, intent: &str, status: &str) -> String {
    json!({
        "id": id, "object": "event", "type": kind,
        "data": {"object": {"id": intent, "object": "payment_intent", "status": status,
                            "last_payment_error": if kind.ends_with("failed") { json!({"code": "card_declined", "message": "declined"}) } else { Value::Null }}}
    })
    .to_string()
}

async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/api/v1/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn sign(secret: &str, at: i64, body: &str) -> String {
    comptoir_app::payments::webhook::sign(secret, at, body.as_bytes())
}

async fn order_status(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(app.db())
        .await
        .unwrap()
}

async fn place(app: &TestApp, admin: &str, sku: &str, token: &str) -> Value {
    let variant = stocked_variant(app, admin, sku, 2000, 3).await;
    let (cart, cart_token) = guest_cart(app, &[(variant, 1)]).await;
    let (status, placed) = checkout(
        app,
        &cart_token,
        &Uuid::now_v7().to_string(),
        &checkout_body(cart, json!({"type": "card", "token": token})),
    )
    .await;
    assert_eq!(status, 201, "{placed}");
    placed
}

async fn intent_of(app: &TestApp, placed: &Value) -> String {
    sqlx::query_scalar("SELECT gateway_reference FROM payments WHERE id = $1::uuid")
        .bind(placed["payment"]["id"].as_str().unwrap())
        .fetch_one(app.db())
        .await
        .unwrap()
}

#[tokio::test]
async fn card_payments_go_through_stripe_payment_intents_with_the_payments_key() {
    let (base, fake) = start_fake().await;
    let app = app_with_stripe(&base).await;
    let admin = admin_token(&app).await;

    let paid = place(&app, &admin, "STRIPE-OK", "pm_card_visa").await;
    assert_eq!(paid["order"]["status"], "paid");
    assert_eq!(paid["payment"]["gateway"], "stripe");
    let key: String = sqlx::query_scalar("SELECT idempotency_key FROM payments")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        fake.lock().unwrap().creates,
        [key],
        "Comptoir's key is Stripe's Idempotency-Key"
    );

    let declined = place(&app, &admin, "STRIPE-KO", "pm_card_chargeDeclined").await;
    assert_eq!(declined["order"]["status"], "pending_payment");
    assert_eq!(declined["payment"]["status"], "failed");
    assert_eq!(declined["payment"]["failure_code"], "generic_decline");

    // A 503 with Stripe-Should-Retry is retried with the same key.
    let flaky = place(&app, &admin, "STRIPE-FLAKY", "pm_card_flaky").await;
    assert_eq!(flaky["order"]["status"], "paid");
    let creates = fake.lock().unwrap().creates.clone();
    assert_eq!(creates.len(), 4);
    assert_eq!(creates[2], creates[3], "the retry repeats the key");

    // An intent authorised for manual capture is captured, once.
    let manual = place(&app, &admin, "STRIPE-MANUAL", "pm_card_manualCapture").await;
    assert_eq!(manual["order"]["status"], "paid");
    assert_eq!(fake.lock().unwrap().captures.len(), 1);

    // A refund goes to Stripe's Refunds.
    let id = paid["order"]["id"].as_str().unwrap();
    let refund = app
        .client
        .post(app.url(&format!("/api/v1/admin/orders/{id}/refunds")))
        .header("authorization", crate::identity::bearer(&admin))
        .header("idempotency-key", Uuid::now_v7().to_string())
        .json(&json!({"amount_minor": 500, "reason": "geste"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refund.status(), 201);
    let intent = intent_of(&app, &paid).await;
    assert_eq!(fake.lock().unwrap().refunds, [(intent, 500)]);
}

#[tokio::test]
async fn a_webhook_delivered_ten_times_at_once_acts_once() {
    let (base, _fake) = start_fake().await;
    let app = app_with_stripe(&base).await;
    let admin = admin_token(&app).await;
    let placed = place(&app, &admin, "STRIPE-3DS", "pm_card_threeDSecure2Required").await;
    assert_eq!(placed["payment"]["status"], "requires_action");
    let intent = intent_of(&app, &placed).await;
    let body = event("evt_succeeded_1", "payment_intent.succeeded", &intent, "succeeded");
    let signature = sign("whsec_new", now(), &body);
    let deliveries = (0..10).map(|_| deliver(&app, &body, Some(signature.clone())));
    let answers = futures_util::future::join_all(deliveries).await;
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
    let applied = answers.iter().filter(|a| a.1["outcome"] == "applied").count();
    let duplicates = answers.iter().filter(|a| a.1["outcome"] == "duplicate").count();
    assert_eq!((applied, duplicates), (1, 9));
    assert_eq!(
        order_status(&app, placed["order"]["id"].as_str().unwrap()).await,
        "paid"
    );
    let captures: i64 = sqlx::query_scalar("SELECT count(*) FROM payment_ledger WHERE kind = 'capture'")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(captures, 1);
}

#[tokio::test]
async fn stale_forged_truncated_or_missing_signatures_are_refused_and_change_nothing() {
    let (base, _fake) = start_fake().await;
    let app = app_with_stripe(&base).await;
    let admin = admin_token(&app).await;
    let placed = place(&app, &admin, "STRIPE-SIG", "pm_card_threeDSecure2Required").await;
    let intent = intent_of(&app, &placed).await;
    let body = event("evt_forged", "payment_intent.succeeded", &intent, "succeeded");
    let good = sign("whsec_old", now(), &body);
    for (case, signature) in [
        ("stale", Some(sign("whsec_new", now() - 301, &body))),
        ("forged", Some(sign("whsec_attacker", now(), &body))),
        ("truncated", Some(good[..good.len() - 4].to_owned())),
        ("missing", None),
        ("garbage", Some("v1=zz".to_owned())),
    ] {
        let (status, problem) = deliver(&app, &body, signature).await;
        assert_eq!(status, 400, "{case}");
        assert_eq!(problem["code"], "webhook.invalid_signature", "{case}");
    }
    assert_eq!(
        order_status(&app, placed["order"]["id"].as_str().unwrap()).await,
        "pending_payment"
    );
    // Signed by the previous secret during a rotation: accepted.
    let (status, ack) = deliver(&app, &body, Some(good)).await;
    assert_eq!((status, ack["outcome"].as_str()), (200, Some("applied")));
    let (status, _) = deliver(&app, "{not json", Some(sign("whsec_new", now(), "{not json"))).await;
    assert_eq!(status, 400, "a signed body that is no event");
}

#[tokio::test]
async fn events_out_of_order_end_in_the_right_state() {
    let (base, _fake) = start_fake().await;
    let app = app_with_stripe(&base).await;
    let admin = admin_token(&app).await;
    let placed = place(&app, &admin, "STRIPE-ORDER", "pm_card_threeDSecure2Required").await;
    let intent = intent_of(&app, &placed).await;
    // The success arrives first, then the older failure of a first attempt.
    let succeeded = event("evt_b", "payment_intent.succeeded", &intent, "succeeded");
    let failed = event(
        "evt_a",
        "payment_intent.payment_failed",
        &intent,
        "requires_payment_method",
    );
    assert_eq!(
        deliver(&app, &succeeded, Some(sign("whsec_new", now(), &succeeded)))
            .await
            .0,
        200
    );
    assert_eq!(
        deliver(&app, &failed, Some(sign("whsec_new", now(), &failed))).await.0,
        200
    );
    assert_eq!(
        order_status(&app, placed["order"]["id"].as_str().unwrap()).await,
        "paid"
    );

    // And the other way round: a failure, then the success of the retry.
    let other = place(&app, &admin, "STRIPE-ORDER-2", "pm_card_threeDSecure2Required").await;
    let intent = intent_of(&app, &other).await;
    let failed = event(
        "evt_c",
        "payment_intent.payment_failed",
        &intent,
        "requires_payment_method",
    );
    let succeeded = event("evt_d", "payment_intent.succeeded", &intent, "succeeded");
    assert_eq!(
        deliver(&app, &failed, Some(sign("whsec_new", now(), &failed))).await.0,
        200
    );
    assert_eq!(
        order_status(&app, other["order"]["id"].as_str().unwrap()).await,
        "pending_payment"
    );
    assert_eq!(
        deliver(&app, &succeeded, Some(sign("whsec_new", now(), &succeeded)))
            .await
            .0,
        200
    );
    assert_eq!(order_status(&app, other["order"]["id"].as_str().unwrap()).await, "paid");
}

#[tokio::test]
async fn a_charge_whose_answer_was_lost_is_reconciled_by_repeating_the_same_request() {
    let (base, fake) = start_fake().await;
    let app = app_with_stripe(&base).await;
    let admin = admin_token(&app).await;
    let lost = place(&app, &admin, "STRIPE-LOST", "pm_card_lost").await;
    assert_eq!(lost["payment"]["status"], "processing");
    assert_eq!(lost["order"]["status"], "pending_payment");
    let settled = comptoir_app::payments::reconcile(&app.state, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    assert_eq!(order_status(&app, lost["order"]["id"].as_str().unwrap()).await, "paid");
    let fake = fake.lock().unwrap();
    assert_eq!(fake.creates.len(), 2, "the same request, repeated once");
    assert_eq!(fake.intents.len(), 1, "one PaymentIntent: charged once");
}

#[tokio::test]
async fn a_webhook_finds_a_payment_whose_answer_was_lost_by_its_metadata() {
    let (base, fake) = start_fake().await;
    let app = app_with_stripe(&base).await;
    let admin = admin_token(&app).await;
    let lost = place(&app, &admin, "STRIPE-LOST-2", "pm_card_lost").await;
    let intent = fake.lock().unwrap().intents.keys().next().unwrap().clone();
    let body = json!({
        "id": "evt_lost", "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded",
                            "metadata": {"comptoir_payment_id": lost["payment"]["id"]}}}
    })
    .to_string();
    let (status, ack) = deliver(&app, &body, Some(sign("whsec_new", now(), &body))).await;
    assert_eq!((status, ack["outcome"].as_str()), (200, Some("applied")));
    assert_eq!(order_status(&app, lost["order"]["id"].as_str().unwrap()).await, "paid");
    assert_eq!(intent_of(&app, &lost).await, intent);
}

#[tokio::test]
async fn the_shop_takes_cards_with_stripe_elements_and_runs_3d_secure_with_stripe_js() {
    let (base, fake) = start_fake().await;
    let app = TestApp::builder()
        .var("STRIPE_SECRET_KEY", "sk_test_fake")
        .var("STRIPE_PUBLISHABLE_KEY", "pk_test_fake")
        .var("STRIPE_API_BASE", &base)
        .spawn()
        .await;
    let admin = admin_token(&app).await;
    let variant = stocked_variant(&app, &admin, "STRIPE-PAGE", 3000, 5).await.to_string();
    let mut browser = crate::pages::Browser::new();
    let (_, product) = browser.get(&app, "/produits/produit-stripe-page").await;
    let csrf = crate::pages::field(&product, "_csrf");
    browser
        .submit(&app, "/panier/ajouter", &[("variant_id", &variant), ("_csrf", &csrf)])
        .await;

    // The checkout mounts Stripe's card field, under a policy that lets
    // Stripe.js in on this page only.
    let response = browser
        .client
        .get(app.url("/commande"))
        .header(
            "cookie",
            browser
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .send()
        .await
        .unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self' https://js.stripe.com"), "{policy}");
    assert!(policy.contains("frame-src https://js.stripe.com"), "{policy}");
    let form = response.text().await.unwrap();
    assert!(
        form.contains("id=\"stripe-card\"") && form.contains("data-key=\"pk_test_fake\""),
        "{form}"
    );
    assert!(form.contains("https://js.stripe.com/v3/"));
    assert!(!form.contains("tok_visa"), "no test gateway tokens");
    let response = app.get("/produits/produit-stripe-page").await;
    assert!(
        !response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("stripe")
    );

    // What Stripe.js puts in the form: a PaymentMethod that needs 3-D Secure.
    let key = crate::pages::field(&form, "idempotency_key");
    let (status, order_page, body) = browser
        .submit(
            &app,
            "/commande",
            &[
                ("email", "yann@exemple.fr"),
                ("first_name", "Yann"),
                ("last_name", "Le Bihan"),
                ("line1", "1 rue de la Marne"),
                ("postal_code", "56100"),
                ("city", "Lorient"),
                ("country", "FR"),
                ("shipping_option_id", "colissimo"),
                ("card_token", "pm_card_threeDSecure2Required"),
                ("idempotency_key", &key),
                ("_csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(fake.lock().unwrap().creates.len(), 1, "one PaymentIntent");
    let (status, page) = browser.get(&app, &order_page).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Votre banque demande de confirmer le paiement."),
        "{page}"
    );
    let secret = page
        .split("data-client-secret=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        secret.starts_with("pi_") && secret.ends_with("_secret_fake"),
        "{secret}"
    );
    // The ledger keeps what was asked, never the secret.
    let ledger: Vec<serde_json::Value> = sqlx::query_scalar("SELECT detail FROM payment_ledger")
        .fetch_all(app.db())
        .await
        .unwrap();
    assert!(ledger.iter().all(|d| !d.to_string().contains("secret")), "{ledger:?}");
    // Nor does the payment, nor the stored answers: the order's page asks
    // Stripe for it while its customer is there.
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM payments WHERE next_action::text LIKE '%secret%')
              + (SELECT count(*) FROM idempotency_keys WHERE convert_from(response_body, 'UTF8') LIKE '%secret%')",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(stored, 0);
}
