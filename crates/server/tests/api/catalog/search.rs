//! What shoppers get from the product list: French search, filters,
//! facets, keyset pages, and cached answers that an admin change refreshes.

use serde_json::{Value, json};

use super::{admin_call, admin_token, create_product, product_body};
use crate::harness::{RedisChoice, TestApp};

async fn names(app: &TestApp, query: &str) -> Vec<String> {
    let response = app.get(&format!("/api/v1/products?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    let list: Value = response.json().await.unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn french_search_stems_ignores_accents_forgives_typos_and_ranks() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    for (name, sku) in [
        ("Chaussure de trail Ar Men", "S-1"),
        ("Vélo de route Iroise", "S-2"),
        ("Sac à dos randonnée", "S-3"),
        ("Casque pour vélo", "S-4"),
    ] {
        create_product(&app, &admin, product_body(name, None, &[(sku, 5000)])).await;
    }
    assert_eq!(names(&app, "q=chaussures").await, ["Chaussure de trail Ar Men"]);
    assert_eq!(names(&app, "q=chausure").await, ["Chaussure de trail Ar Men"]);
    assert_eq!(names(&app, "q=RANDONNEE").await, ["Sac à dos randonnée"]);
    let velo = names(&app, "q=velo").await;
    assert_eq!(velo.len(), 2, "{velo:?}");
    assert_eq!(names(&app, "q=velo%20route").await[0], "Vélo de route Iroise");
    assert!(names(&app, "q=parapente").await.is_empty());
}

#[tokio::test]
async fn filters_sorting_facets_and_pages_cover_every_product_once() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let mut conn = app.db().acquire().await.unwrap();
    let sport = super::seed_category(&mut conn, "sport", None).await;
    let velo = super::seed_category(&mut conn, "velo", Some(sport)).await;
    let genre = super::seed_enum_type(&mut conn, "genre", &["homme", "femme"]).await;
    super::seed_definition(&mut conn, sport, genre, false).await;
    drop(conn);
    for i in 0..7_i64 {
        let mut body = product_body(
            &format!("Maillot {i}"),
            Some(if i % 2 == 0 { velo } else { sport }),
            &[(&format!("M-{i}"), 1000 + i * 1000)],
        );
        body["brand"] = json!(if i < 3 { "Kerlann" } else { "Iroise" });
        body["attributes"] = json!({"genre": if i % 3 == 0 { "femme" } else { "homme" }});
        create_product(&app, &admin, body).await;
    }
    let mut draft = product_body("Maillot brouillon", Some(velo), &[("M-D", 500)]);
    draft["status"] = json!("draft");
    create_product(&app, &admin, draft).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/products?sort=price_desc&limit=3&cursor={c}"),
            None => "/api/v1/products?sort=price_desc&limit=3".into(),
        };
        let page: Value = app.get(&url).await.json().await.unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["price_min_minor"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, [7000, 6000, 5000, 4000, 3000, 2000, 1000], "drafts never appear");

    let list: Value = app
        .get("/api/v1/products?category=sport&brand=Kerlann")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["facets"]["total"], 3);
    assert_eq!(list["facets"]["brands"], json!([{"value": "Kerlann", "count": 3}]));
    let categories = list["facets"]["categories"].as_array().unwrap();
    assert_eq!(categories.iter().map(|c| c["count"].as_i64().unwrap()).sum::<i64>(), 3);
    assert_eq!(names(&app, "category=velo&attr.genre=femme").await.len(), 2);
    assert_eq!(
        names(&app, "min_price=2000&max_price=4000&sort=price_asc").await,
        ["Maillot 1", "Maillot 2", "Maillot 3"]
    );
    let genre_facet = &list["facets"]["attributes"][0];
    assert_eq!(genre_facet["code"], "genre");
    assert_eq!(
        genre_facet["values"],
        json!([{"value": "homme", "count": 2}, {"value": "femme", "count": 1}])
    );
    assert_eq!(
        list["facets"]["price_bands"],
        json!([
            {"min_minor": 0, "max_minor": 2000, "count": 1},
            {"min_minor": 2000, "max_minor": 5000, "count": 2},
        ])
    );

    for bad in [
        "limit=0",
        "limit=101",
        "sort=cheap",
        "min_price=abc",
        "attr.genre=enfant",
        "attr.nope=1",
        "category=nowhere",
        "cursor=zzz",
        "colour=red",
    ] {
        let response = app.get(&format!("/api/v1/products?{bad}")).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn the_list_shows_every_change_of_a_product_and_its_variants() {
    let app = TestApp::builder().var("CATALOG_CACHE_SECONDS", "0").spawn().await;
    let admin = admin_token(&app).await;
    let mut body = product_body("Gourde Bréhat", None, &[("GB-1", 1500), ("GB-2", 1900)]);
    body["brand"] = json!("Iroise");
    body["variants"][1]["options"] = json!([{"name": "contenance", "value": "75 cl"}]);
    body["variants"][1]["compare_at_price_minor"] = json!(2400);
    let product = create_product(&app, &admin, body).await;
    let id = product["id"].as_str().unwrap();
    let list: Value = app.get("/api/v1/products").await.json().await.unwrap();
    assert_eq!(
        list["items"],
        json!([{
            "id": id, "slug": "gourde-brehat", "name": "Gourde Bréhat", "brand": "Iroise",
            "category_id": null, "tax_class": "standard", "image_urls": [],
            "price_min_minor": 1500, "price_max_minor": 1900, "currency": "EUR",
            "variants": [
                {"id": product["variants"][0]["id"], "sku": "GB-1", "options": [],
                 "price_minor": 1500, "compare_at_price_minor": null},
                {"id": product["variants"][1]["id"], "sku": "GB-2",
                 "options": [{"name": "contenance", "value": "75 cl"}],
                 "price_minor": 1900, "compare_at_price_minor": 2400},
            ],
        }])
    );

    let product_path = format!("/api/v1/admin/products/{id}");
    let variant_path = format!(
        "{product_path}/variants/{}",
        product["variants"][0]["id"].as_str().unwrap()
    );
    let (status, _) = admin_call(&app, &admin, "DELETE", &variant_path, None).await;
    assert_eq!(status, 204);
    let list: Value = app.get("/api/v1/products?q=gourde").await.json().await.unwrap();
    assert_eq!(list["items"][0]["price_min_minor"], 1900);
    assert_eq!(list["items"][0]["variants"].as_array().unwrap().len(), 1);

    let (status, _) = admin_call(
        &app,
        &admin,
        "PATCH",
        &product_path,
        Some(json!({"status": "archived"})),
    )
    .await;
    assert_eq!(status, 200);
    let list: Value = app.get("/api/v1/products?q=gourde").await.json().await.unwrap();
    assert_eq!(list["items"], json!([]), "archived products leave the list");
    assert_eq!(list["facets"]["total"], 0);

    let (status, _) = admin_call(
        &app,
        &admin,
        "PATCH",
        &product_path,
        Some(json!({"status": "active", "name": "Gourde Groix"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(names(&app, "q=groix").await, ["Gourde Groix"]);
    let (status, _) = admin_call(&app, &admin, "DELETE", &product_path, None).await;
    assert_eq!(status, 204);
    assert!(names(&app, "").await.is_empty());
}

#[tokio::test]
async fn cached_reads_answer_304_and_an_admin_write_shows_on_the_next_read_of_any_instance() {
    let first = TestApp::builder().redis(RedisChoice::SharedIfAnswering).spawn().await;
    let second = TestApp::builder().database(first.database.share()).spawn().await;
    let admin = admin_token(&first).await;
    let product = create_product(&first, &admin, product_body("Gourde Ouessant", None, &[("G-1", 1500)])).await;

    let read = second.get("/api/v1/products?q=gourde").await;
    let etag = read.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(read.headers()["cache-control"], "public, no-cache");
    let again = second
        .client
        .get(second.url("/api/v1/products?q=gourde"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let variant = product["variants"][0]["id"].as_str().unwrap();
    let path = format!(
        "/api/v1/admin/products/{}/variants/{variant}",
        product["id"].as_str().unwrap()
    );
    let (status, _) = admin_call(&first, &admin, "PATCH", &path, Some(json!({"price_minor": 1290}))).await;
    assert_eq!(status, 200);
    let fresh: Value = second.get("/api/v1/products?q=gourde").await.json().await.unwrap();
    assert_eq!(
        fresh["items"][0]["price_min_minor"], 1290,
        "the other instance reads the change at once"
    );
    let detail: Value = second
        .get(&format!("/api/v1/products/{}", product["slug"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["variants"][0]["price_minor"], 1290);
}

#[tokio::test]
async fn stock_decides_in_stock_and_availability_per_store() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let with_stock = create_product(&app, &admin, product_body("Lampe frontale", None, &[("L-1", 2990)])).await;
    create_product(&app, &admin, product_body("Lampe torche", None, &[("L-2", 1990)])).await;
    let warehouse = crate::identity::new_store(&app, "ENTREPOT").await;
    let brest = crate::identity::new_store(&app, "BREST").await;
    let mut conn = app.db().acquire().await.unwrap();
    // The inventory context writes stock; here it is set up directly.
    sqlx::query("UPDATE stores SET kind = 'warehouse', click_and_collect = false WHERE id = $1")
        .bind(warehouse)
        .execute(&mut *conn)
        .await
        .unwrap();
    let variant: uuid::Uuid = with_stock["variants"][0]["id"].as_str().unwrap().parse().unwrap();
    for (location, on_hand, reserved) in [(warehouse, 5, 2), (brest, 1, 0)] {
        sqlx::query("INSERT INTO stock_levels (variant_id, location_id, on_hand, reserved) VALUES ($1, $2, $3, $4)")
            .bind(variant)
            .bind(location)
            .bind(on_hand)
            .bind(reserved)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    assert_eq!(names(&app, "q=lampe&in_stock=true").await, ["Lampe frontale"]);
    assert_eq!(names(&app, "q=lampe&in_stock=false").await, ["Lampe torche"]);
    let detail: Value = app
        .get(&format!("/api/v1/products/{}", with_stock["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["available_online"], 4);
    assert_eq!(
        detail["variants"][0]["stores"],
        json!([{"location_id": brest, "code": "BREST", "name": "Magasin BREST", "available": 1}])
    );
}

/// `available_online` of a product, as the API's detail answers it.
async fn available(app: &TestApp, slug: &str) -> i64 {
    let detail: Value = app.get(&format!("/api/v1/products/{slug}")).await.json().await.unwrap();
    detail["available_online"].as_i64().unwrap()
}

#[tokio::test]
async fn product_stock_is_kept_in_memory_and_forgotten_the_moment_it_moves() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let variant = crate::orders::stocked_variant(&app, &admin, "LIVE-1", 1200, 5).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::spawn(app.state.stock.clone().listen(app.db().clone(), stopped));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app.state.stock.is_listening() {
        assert!(std::time::Instant::now() < deadline, "the listener connects");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(available(&app, "produit-live-1").await, 5);

    // A change PostgreSQL does not announce is not seen: the stock comes
    // from memory.
    let mut conn = app.db().acquire().await.unwrap();
    sqlx::query("ALTER TABLE stock_levels DISABLE TRIGGER stock_levels_moved")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 10 WHERE variant_id = $1")
        .bind(variant)
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_eq!(available(&app, "produit-live-1").await, 5, "served from memory");
    sqlx::query("ALTER TABLE stock_levels ENABLE TRIGGER stock_levels_moved")
        .execute(&mut *conn)
        .await
        .unwrap();

    // An announced change (a reservation, here) is seen at once.
    sqlx::query("UPDATE stock_levels SET reserved = reserved + 3 WHERE variant_id = $1")
        .bind(variant)
        .execute(&mut *conn)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let now = available(&app, "produit-live-1").await;
        if now == 12 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {now} after the change");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // A location's settings change every variant's stock: all forgotten.
    sqlx::query("UPDATE stores SET ships_online = false")
        .execute(&mut *conn)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while available(&app, "produit-live-1").await != 0 {
        assert!(std::time::Instant::now() < deadline, "the location change is seen");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let _ = stop.send(true);
    listener.await.unwrap();
}
