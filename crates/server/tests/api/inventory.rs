//! Inventory: stock that never goes negative nor sells twice, a ledger that
//! explains every unit, reservations that expire, alerts that open once,
//! and stores that see only their own stock.

use comptoir_db::inventory::{self as db, Insufficient, NewReservation};
use comptoir_db::platform::audit::Actor;
use comptoir_domain::identity::{Role, Scope};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::catalog::{admin_token, create_product, product_body};
use crate::harness::TestApp;
use crate::identity::{bearer, new_store, role, someone};

/// A product with two variants, answered as the API created it.
async fn two_variants(app: &TestApp, admin: &str) -> (Uuid, Uuid, Uuid) {
    let product = create_product(
        app,
        admin,
        product_body("Gourde Ouessant", None, &[("GO-1", 1500), ("GO-2", 1900)]),
    )
    .await;
    let id = |v: &Value| v.as_str().unwrap().parse::<Uuid>().unwrap();
    (
        id(&product["id"]),
        id(&product["variants"][0]["id"]),
        id(&product["variants"][1]["id"]),
    )
}

async fn adjust(app: &TestApp, token: &str, key: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/admin/stock/adjustments"))
        .header("authorization", bearer(token))
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .header("authorization", bearer(token))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn receive(app: &TestApp, admin: &str, location: Uuid, variant: Uuid, units: i32) {
    let body = json!({"location_id": location, "variant_id": variant, "delta": units, "reason": "receipt"});
    let (status, answer) = adjust(app, admin, &Uuid::now_v7().to_string(), body).await;
    assert_eq!(status, 201, "{answer}");
}

async fn assert_ledger_explains_every_level(app: &TestApp) {
    let mut conn = app.db().acquire().await.unwrap();
    assert_eq!(db::verify_ledger(&mut conn).await.unwrap(), []);
}

fn line(variant: Uuid, location: Uuid) -> NewReservation {
    NewReservation {
        variant_id: variant,
        location_id: location,
        quantity: 1,
        purpose: "cart",
        reference_id: None,
        expires_at: OffsetDateTime::now_utc() + Duration::minutes(15),
    }
}

/// One cart's attempt: reserves every line in one transaction, committed
/// only when all of them could be reserved.
async fn try_cart(pool: &comptoir_db::PgPool, lines: Vec<NewReservation>) -> Result<(), Vec<Insufficient>> {
    let mut tx = pool.begin().await.unwrap();
    match db::reserve_all(&mut tx, &lines, Actor::Anonymous).await {
        Ok(Ok(_)) => {
            tx.commit().await.unwrap();
            Ok(())
        }
        Ok(Err(lacking)) => Err(lacking),
        Err(err) => panic!("a cart met a database error (a deadlock?): {err}"),
    }
}

#[tokio::test]
async fn two_hundred_carts_race_for_ten_units_and_exactly_ten_win_in_any_order_without_deadlock() {
    let app = TestApp::builder().var("DATABASE_MAX_CONNECTIONS", "20").spawn().await;
    let admin = admin_token(&app).await;
    let (_, first, second) = two_variants(&app, &admin).await;
    let store = new_store(&app, "QUIMPER").await;

    // One unit each, 200 carts, 10 units.
    receive(&app, &admin, store, first, 10).await;
    let carts = (0..200).map(|_| {
        let pool = app.db().clone();
        tokio::spawn(async move { try_cart(&pool, vec![line(first, store)]).await })
    });
    let outcomes = futures_util::future::join_all(carts).await;
    let won = outcomes.iter().filter(|o| matches!(o, Ok(Ok(())))).count();
    assert_eq!(won, 10, "exactly the stock there is is sold");
    assert!(outcomes.iter().all(|o| o.is_ok()), "no cart panicked");
    let (_, stock) = get(&app, &admin, &format!("/api/v1/admin/stock?location={store}&q=GO-1")).await;
    assert_eq!(stock["items"][0]["reserved"], 10);
    assert_eq!(stock["items"][0]["available"], 0);

    // Twenty rounds of carts holding both variants, half of them listed in
    // the opposite order: locks are taken in one order, so none deadlocks.
    for round in 0..20 {
        receive(&app, &admin, store, first, 10).await;
        receive(&app, &admin, store, second, 10).await;
        let carts = (0..40).map(|i| {
            let pool = app.db().clone();
            let lines = if i % 2 == 0 {
                vec![line(first, store), line(second, store)]
            } else {
                vec![line(second, store), line(first, store)]
            };
            tokio::spawn(async move { try_cart(&pool, lines).await })
        });
        let outcomes = futures_util::future::join_all(carts).await;
        let won = outcomes.iter().filter(|o| matches!(o, Ok(Ok(())))).count();
        assert_eq!(won, 10, "round {round}");
        assert!(
            outcomes.iter().all(|o| o.is_ok()),
            "round {round}: a cart met a database error"
        );
        // The winners check out: their reservations become sales.
        let mut conn = app.db().acquire().await.unwrap();
        let active = db::list_reservations(&mut conn, Some(&[store]), None, Some("active"), None, 1000)
            .await
            .unwrap();
        for reservation in active {
            let mut tx = app.db().begin().await.unwrap();
            db::close_reservation(&mut tx, reservation.id, db::Closing::Commit, Actor::System)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    }
    assert_ledger_explains_every_level(&app).await;
    let (_, stock) = get(&app, &admin, &format!("/api/v1/admin/stock?location={store}")).await;
    for level in stock["items"].as_array().unwrap() {
        assert_eq!(
            (level["on_hand"].as_i64(), level["reserved"].as_i64()),
            (Some(0), Some(0)),
            "{level}"
        );
    }
}

#[tokio::test]
async fn adjustments_are_idempotent_never_go_below_zero_and_the_ledger_says_who_and_why() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (_, variant, _) = two_variants(&app, &admin).await;
    let store = new_store(&app, "VANNES").await;
    let key = Uuid::now_v7().to_string();
    let receipt =
        json!({"location_id": store, "variant_id": variant, "delta": 7, "reason": "receipt", "note": "BL 4521"});
    let (status, first) = adjust(&app, &admin, &key, receipt.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (first["on_hand"].as_i64(), first["available"].as_i64()),
        (Some(7), Some(7))
    );
    let (status, replay) = adjust(&app, &admin, &key, receipt).await;
    assert_eq!((status, &replay), (201, &first), "a retried request adjusts once");

    let theft = json!({"location_id": store, "variant_id": variant, "delta": -8, "reason": "theft"});
    let (status, problem) = adjust(&app, &admin, &Uuid::now_v7().to_string(), theft).await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "stock.insufficient");
    let count = json!({"location_id": store, "variant_id": variant, "delta": -2, "reason": "count"});
    let (status, counted) = adjust(&app, &admin, &Uuid::now_v7().to_string(), count).await;
    assert_eq!((status, counted["on_hand"].as_i64()), (201, Some(5)));

    for (bad, field) in [
        (
            json!({"location_id": store, "variant_id": variant, "delta": 0, "reason": "count"}),
            "delta",
        ),
        (
            json!({"location_id": store, "variant_id": Uuid::now_v7(), "delta": 1, "reason": "count"}),
            "variant_id",
        ),
        (
            json!({"location_id": store, "variant_id": variant, "delta": 1, "reason": "gift"}),
            "reason",
        ),
    ] {
        let (status, problem) = adjust(&app, &admin, &Uuid::now_v7().to_string(), bad.clone()).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let unknown = json!({"location_id": Uuid::now_v7(), "variant_id": variant, "delta": 1, "reason": "receipt"});
    assert_eq!(adjust(&app, &admin, &Uuid::now_v7().to_string(), unknown).await.0, 404);

    let (status, movements) = get(
        &app,
        &admin,
        &format!("/api/v1/admin/stock/movements?variant={variant}"),
    )
    .await;
    assert_eq!(status, 200);
    let items = movements["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the refused and invalid adjustments left nothing");
    assert_eq!(items[0]["kind"], "adjustment");
    assert_eq!(items[0]["reason"], "count");
    assert_eq!(items[0]["quantity"], -2);
    assert_eq!(items[1]["kind"], "receipt");
    assert_eq!(items[1]["note"], "BL 4521");
    assert_eq!(items[1]["actor"]["type"], "user");
    assert_ledger_explains_every_level(&app).await;

    let mut conn = app.db().acquire().await.unwrap();
    let tampering = sqlx::query("UPDATE stock_movements SET on_hand_delta = 100")
        .execute(&mut *conn)
        .await;
    assert!(tampering.is_err(), "the ledger is append-only");
    sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 1")
        .execute(&mut *conn)
        .await
        .unwrap();
    let mismatches = db::verify_ledger(&mut conn).await.unwrap();
    assert_eq!(mismatches.len(), 1, "a level changed behind the ledger's back is found");
    assert_eq!((mismatches[0].on_hand, mismatches[0].movements_on_hand), (6, 5));
}

#[tokio::test]
async fn stores_see_and_change_only_their_own_stock() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (_, variant, _) = two_variants(&app, &admin).await;
    let brest = new_store(&app, "BREST").await;
    let quimper = new_store(&app, "QUIMPER").await;
    receive(&app, &admin, brest, variant, 3).await;
    receive(&app, &admin, quimper, variant, 4).await;
    let manager = someone(&app, "manager", &[role(Role::Manager, Scope::Store(brest))])
        .await
        .token;
    let cashier = someone(&app, "cashier", &[role(Role::Cashier, Scope::Store(brest))])
        .await
        .token;

    let (status, stock) = get(&app, &cashier, "/api/v1/admin/stock").await;
    assert_eq!(status, 200);
    let locations: Vec<&str> = stock["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location_id"].as_str().unwrap())
        .collect();
    assert_eq!(locations, [brest.to_string()], "only the cashier's store");
    assert_eq!(
        get(&app, &cashier, &format!("/api/v1/admin/stock?location={quimper}"))
            .await
            .0,
        404
    );
    assert_eq!(
        get(
            &app,
            &manager,
            &format!("/api/v1/admin/stock/movements?location={quimper}")
        )
        .await
        .0,
        404
    );
    let (_, locations) = get(&app, &manager, "/api/v1/admin/locations").await;
    assert_eq!(locations["items"].as_array().unwrap().len(), 1);

    let body =
        |location: Uuid| json!({"location_id": location, "variant_id": variant, "delta": -1, "reason": "damage"});
    assert_eq!(
        adjust(&app, &cashier, &Uuid::now_v7().to_string(), body(brest)).await.0,
        403
    );
    assert_eq!(
        adjust(&app, &manager, &Uuid::now_v7().to_string(), body(quimper))
            .await
            .0,
        404
    );
    assert_eq!(
        adjust(&app, &manager, &Uuid::now_v7().to_string(), body(brest)).await.0,
        201
    );
}

#[tokio::test]
async fn expired_reservations_come_back_and_availability_counts_stores_that_ship() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (product, variant, _) = two_variants(&app, &admin).await;
    let warehouse = new_store(&app, "ENTREPOT").await;
    let brest = new_store(&app, "BREST").await;
    let (status, _) = crate::catalog::admin_call(
        &app,
        &admin,
        "PATCH",
        &format!("/api/v1/admin/locations/{warehouse}"),
        Some(json!({"type": "warehouse", "click_and_collect": false})),
    )
    .await;
    assert_eq!(status, 200);
    receive(&app, &admin, warehouse, variant, 5).await;
    receive(&app, &admin, brest, variant, 2).await;

    let mut tx = app.db().begin().await.unwrap();
    let mut stale = line(variant, warehouse);
    stale.quantity = 3;
    stale.expires_at = OffsetDateTime::now_utc() - Duration::seconds(1);
    db::reserve(&mut tx, &stale, Actor::Anonymous).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let availability: Value = app
        .get(&format!("/api/v1/products/{product}/availability"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        availability["variants"][0]["available_online"], 4,
        "5 - 3 reserved + 2 in Brest"
    );

    assert_eq!(comptoir_app::inventory::expire_all_due(app.db()).await.unwrap(), 1);
    let availability: Value = app
        .get(&format!("/api/v1/products/{product}/availability"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(availability["available_online"], 7);
    assert_eq!(
        availability["variants"][0]["stores"],
        json!([{"location_id": brest, "code": "BREST", "name": "Magasin BREST", "available": 2}]),
        "the warehouse offers no click and collect"
    );
    let (_, reservations) = get(&app, &admin, "/api/v1/admin/reservations?status=expired").await;
    assert_eq!(reservations["items"][0]["quantity"], 3);
    assert_eq!(
        app.get(&format!("/api/v1/products/{}/availability", Uuid::now_v7()))
            .await
            .status(),
        404
    );
    assert_ledger_explains_every_level(&app).await;
}

#[tokio::test]
async fn a_low_stock_alert_opens_once_emails_the_managers_once_and_closes_by_itself() {
    let dir = crate::identity::recovery::mail_dir();
    let app = TestApp::builder().var("MAIL_DIR", dir.to_str().unwrap()).spawn().await;
    let admin = admin_token(&app).await;
    let (_, variant, _) = two_variants(&app, &admin).await;
    let store = new_store(&app, "SAINT-MALO").await;
    let manager = someone(&app, "gerante", &[role(Role::Manager, Scope::Store(store))]).await;
    let other_store = new_store(&app, "DINAN").await;
    someone(&app, "autre", &[role(Role::Manager, Scope::Store(other_store))]).await;
    receive(&app, &admin, store, variant, 8).await;
    let (status, level) = crate::catalog::admin_call(
        &app,
        &admin,
        "PUT",
        &format!("/api/v1/admin/locations/{store}/stock/{variant}"),
        Some(json!({"reorder_point": 5, "target_level": 12})),
    )
    .await;
    assert_eq!((status, level["reorder_point"].as_i64()), (200, Some(5)), "{level}");
    let alerts = async || {
        get(&app, &admin, &format!("/api/v1/admin/stock-alerts?location={store}"))
            .await
            .1
    };
    assert_eq!(alerts().await["items"], json!([]));

    // 8 on hand, reorder point 5: an alert opens at 4, stays the only one at
    // 2, closes at 8, and opens again (quietly, the same day) at 3.
    for (delta, open) in [(-3, 0), (-1, 1), (-2, 1), (6, 0), (-5, 1)] {
        let body = json!({"location_id": store, "variant_id": variant, "delta": delta, "reason": "count"});
        assert_eq!(adjust(&app, &admin, &Uuid::now_v7().to_string(), body).await.0, 201);
        assert_eq!(alerts().await["items"].as_array().unwrap().len(), open, "after {delta}");
    }
    let mut conn = app.db().acquire().await.unwrap();
    let notices: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE topic = 'stock.alert_opened'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(
        notices, 1,
        "one notice, however many sales follow and however often stock dips the same day"
    );
    let messages = crate::identity::recovery::mailbox(&app, &dir).await;
    assert_eq!(messages.len(), 1, "the store's manager, and no other store's");
    assert!(
        messages[0].contains(&format!("To: {}", manager.email)),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("GO-1"), "{}", messages[0]);
}

async fn post(app: &TestApp, token: &str, path: &str, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(path))
        .header("authorization", bearer(token))
        .json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn make_warehouse(app: &TestApp, admin: &str, location: Uuid) {
    let path = format!("/api/v1/admin/locations/{location}");
    let (status, answer) =
        crate::catalog::admin_call(app, admin, "PATCH", &path, Some(json!({"type": "warehouse"}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["click_and_collect"], false,
        "a warehouse offers no click and collect"
    );
}

async fn on_hand(app: &TestApp, admin: &str, location: Uuid, sku: &str) -> i64 {
    let (_, stock) = get(app, admin, &format!("/api/v1/admin/stock?location={location}&q={sku}")).await;
    stock["items"]
        .as_array()
        .unwrap()
        .first()
        .map_or(0, |level| level["on_hand"].as_i64().unwrap())
}

#[tokio::test]
async fn a_transfer_leaves_the_source_when_shipped_and_arrives_short_at_the_destination() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (_, first, second) = two_variants(&app, &admin).await;
    let warehouse = new_store(&app, "ENTREPOT").await;
    let store = new_store(&app, "BREST").await;
    let manager = someone(&app, "manager", &[role(Role::Manager, Scope::Store(store))])
        .await
        .token;
    make_warehouse(&app, &admin, warehouse).await;
    receive(&app, &admin, warehouse, first, 10).await;
    receive(&app, &admin, warehouse, second, 4).await;

    let (status, transfer) = post(
        &app,
        &manager,
        "/api/v1/admin/transfers",
        None,
        json!({"source_location_id": warehouse, "destination_location_id": store, "status": "requested",
               "lines": [{"variant_id": first, "quantity": 6}, {"variant_id": second, "quantity": 5}]}),
    )
    .await;
    assert_eq!(status, 201, "{transfer}");
    assert_eq!(transfer["status"], "requested");
    assert!(transfer["number"].as_str().unwrap().starts_with("TR-"));
    let ship = format!("/api/v1/admin/transfers/{}/ship", transfer["id"].as_str().unwrap());
    let receive_path = format!("/api/v1/admin/transfers/{}/receive", transfer["id"].as_str().unwrap());
    let (status, _) = post(&app, &manager, &ship, Some(&Uuid::now_v7().to_string()), json!({})).await;
    assert_eq!(status, 403, "the destination does not ship");

    let (status, problem) = post(&app, &admin, &ship, Some(&Uuid::now_v7().to_string()), json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("stock.insufficient")));
    assert_eq!(
        problem["errors"][0]["field"],
        second.to_string(),
        "the line that lacks stock is named"
    );
    assert_eq!(
        on_hand(&app, &admin, warehouse, "GO-1").await,
        10,
        "nothing left the warehouse"
    );

    receive(&app, &admin, warehouse, second, 1).await;
    let key = Uuid::now_v7().to_string();
    let (status, shipped) = post(&app, &admin, &ship, Some(&key), json!({})).await;
    assert_eq!(
        (status, shipped["status"].as_str()),
        (200, Some("shipped")),
        "{shipped}"
    );
    let (_, replay) = post(&app, &admin, &ship, Some(&key), json!({})).await;
    assert_eq!(replay, shipped, "a retried shipment ships once");
    let (_, other) = post(
        &app,
        &admin,
        "/api/v1/admin/transfers",
        None,
        json!({"source_location_id": warehouse, "destination_location_id": store, "status": "requested",
               "lines": [{"variant_id": first, "quantity": 1}]}),
    )
    .await;
    let other_ship = format!("/api/v1/admin/transfers/{}/ship", other["id"].as_str().unwrap());
    let (status, problem) = post(&app, &admin, &other_ship, Some(&key), json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("idempotency.key_reused")),
        "a key names one request: another transfer's shipment is not a replay"
    );
    let elsewhere = new_store(&app, "LORIENT").await;
    let (status, _) = post(
        &app,
        &manager,
        "/api/v1/admin/transfers",
        None,
        json!({"source_location_id": elsewhere, "destination_location_id": store,
               "lines": [{"variant_id": first, "quantity": 1}]}),
    )
    .await;
    assert_eq!(status, 404, "a manager does not send another store's stock");
    let (status, _) = post(
        &app,
        &admin,
        "/api/v1/admin/transfers",
        None,
        json!({"source_location_id": warehouse, "destination_location_id": store, "note": "a\u{0}b",
               "lines": [{"variant_id": first, "quantity": 1}]}),
    )
    .await;
    assert_eq!(status, 422, "text PostgreSQL cannot store is bad input");
    assert_eq!(on_hand(&app, &admin, warehouse, "GO-1").await, 4);
    assert_eq!(on_hand(&app, &admin, warehouse, "GO-2").await, 0);
    let cancel = format!("/api/v1/admin/transfers/{}/cancel", transfer["id"].as_str().unwrap());
    let (status, problem) = post(&app, &admin, &cancel, None, json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (409, Some("transfer.invalid_transition"))
    );

    let too_many = json!({"lines": [{"variant_id": first, "received_quantity": 6, "damaged_quantity": 1}]});
    assert_eq!(
        post(
            &app,
            &manager,
            &receive_path,
            Some(&Uuid::now_v7().to_string()),
            too_many
        )
        .await
        .0,
        422
    );
    let (status, received) = post(
        &app,
        &manager,
        &receive_path,
        Some(&Uuid::now_v7().to_string()),
        json!({"lines": [{"variant_id": first, "received_quantity": 4, "damaged_quantity": 1}]}),
    )
    .await;
    assert_eq!(
        (status, received["status"].as_str()),
        (200, Some("received")),
        "{received}"
    );
    let line = |variant: Uuid| {
        received["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["variant_id"] == variant.to_string())
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            line(first)["received_quantity"].as_i64(),
            line(first)["damaged_quantity"].as_i64(),
            line(first)["short_quantity"].as_i64()
        ),
        (Some(4), Some(1), Some(1)),
        "the difference is recorded"
    );
    assert_eq!(line(second)["received_quantity"], 5, "lines left out arrived whole");
    assert_eq!(on_hand(&app, &admin, store, "GO-1").await, 4);
    assert_eq!(on_hand(&app, &admin, store, "GO-2").await, 5);
    let (_, movements) = get(&app, &admin, &format!("/api/v1/admin/stock/movements?location={store}")).await;
    assert!(
        movements["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["kind"] == "transfer_in")
    );
    assert_ledger_explains_every_level(&app).await;
}

#[tokio::test]
async fn replenishment_proposes_from_sales_and_requests_a_transfer_in_one_call() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (_, first, second) = two_variants(&app, &admin).await;
    let warehouse = new_store(&app, "ENTREPOT").await;
    let store = new_store(&app, "VANNES").await;
    make_warehouse(&app, &admin, warehouse).await;
    for variant in [first, second] {
        receive(&app, &admin, warehouse, variant, 50).await;
        let path = format!("/api/v1/admin/locations/{store}/stock/{variant}");
        let thresholds = json!({"reorder_point": 3, "target_level": 8});
        assert_eq!(
            crate::catalog::admin_call(&app, &admin, "PUT", &path, Some(thresholds))
                .await
                .0,
            200
        );
    }
    receive(&app, &admin, store, first, 10).await;
    receive(&app, &admin, store, second, 4).await;
    // Six units of the first variant sold at the counter.
    let mut tx = app.db().begin().await.unwrap();
    let mut sale = line(first, store);
    sale.quantity = 6;
    sale.purpose = "pos";
    let reservation = db::reserve(&mut tx, &sale, Actor::System).await.unwrap().unwrap();
    db::close_reservation(&mut tx, reservation.id, db::Closing::Commit, Actor::System)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let suggestions_path = format!("/api/v1/admin/replenishment/suggestions?location={store}&lead_time_days=7");
    let (status, suggestions) = get(&app, &admin, &suggestions_path).await;
    assert_eq!(status, 200, "{suggestions}");
    let items = suggestions["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the unsold variant is above its reorder point: {suggestions}"
    );
    assert_eq!(items[0]["variant_id"], first.to_string());
    assert_eq!(items[0]["sold"], 6);
    // Four left, two more sold during the 7-day lead time: 8 + 2 - 4.
    assert_eq!(items[0]["suggested_quantity"], 6);
    assert_eq!(items[0]["source_location_id"], warehouse.to_string());

    let (status, transfer) = post(
        &app,
        &admin,
        "/api/v1/admin/replenishment/transfers",
        None,
        json!({"location_id": store, "lead_time_days": 7}),
    )
    .await;
    assert_eq!(status, 201, "{transfer}");
    assert_eq!(transfer["status"], "requested");
    assert_eq!(transfer["source_location_id"], warehouse.to_string());
    assert_eq!(
        transfer["lines"],
        json!([{"variant_id": first, "sku": "GO-1", "quantity": 6,
        "received_quantity": null, "damaged_quantity": null, "short_quantity": null}])
    );
    let (_, again) = get(&app, &admin, &suggestions_path).await;
    assert_eq!(again["items"], json!([]), "what was requested is not requested twice");
    let (status, problem) = post(
        &app,
        &admin,
        "/api/v1/admin/replenishment/transfers",
        None,
        json!({"location_id": store, "lead_time_days": 7}),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("replenishment.nothing_to_send"))
    );
}
