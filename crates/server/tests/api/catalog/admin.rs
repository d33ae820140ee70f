//! Administrators and integrations maintain the catalog: validated writes,
//! attribute types defined at run time, optimistic concurrency, slugs.

use serde_json::json;

use super::{admin_call, admin_token, create_product, product_body};
use crate::harness::TestApp;

#[tokio::test]
async fn an_admin_builds_a_category_with_attributes_and_shoppers_see_the_product() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (status, barrels) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/categories",
        Some(json!({"name": "Fûts de chêne"})),
    )
    .await;
    assert_eq!(status, 201, "{barrels}");
    assert_eq!(barrels["slug"], "futs-de-chene");
    let (_, types) = admin_call(&app, &admin, "GET", "/api/v1/admin/attribute-types", None).await;
    let type_id = |name: &str| {
        types["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (name, required) in [("wood_type", true), ("volume_liters", true)] {
        let (status, body) = admin_call(
            &app,
            &admin,
            "POST",
            "/api/v1/admin/attribute-definitions",
            Some(json!({"category_id": barrels["id"], "attribute_type_id": type_id(name), "required": required, "filterable": true})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut body = product_body(
        "Barrique bordelaise 225 L",
        barrels["id"].as_str().map(|s| s.parse().unwrap()),
        &[("BAR-225-MOY", 89000)],
    );
    body["attributes"] = json!({"wood_type": "chene_francais", "volume_liters": "225"});
    body["description"] = json!("**Chauffe moyenne**, <script>alert(1)</script>");
    body["variants"][0]["ean13"] = json!("4006381333931");
    body["variants"][0]["options"] = json!([{"name": "Chauffe", "value": "moyenne"}]);
    let product = create_product(&app, &admin, body).await;
    assert_eq!(
        product["attributes"]["volume_liters"], 225,
        "values are stored normalised"
    );
    assert_eq!(product["price_min_minor"], 89000);

    let detail: serde_json::Value = app
        .get(&format!("/api/v1/products/{}", product["slug"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["name"], "Barrique bordelaise 225 L");
    assert_eq!(detail["vat_rate_basis_points"], 2000);
    assert_eq!(detail["breadcrumbs"][0]["slug"], "futs-de-chene");
    assert_eq!(
        detail["variants"][0]["options"][0],
        json!({"name": "chauffe", "value": "moyenne"})
    );
    assert_eq!(detail["variants"][0]["in_stock"], false);
    let wood = detail["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "wood_type")
        .unwrap();
    assert_eq!(wood["label"], "Essence de bois");
    let html = detail["description_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>Chauffe moyenne</strong>") && !html.contains("<script"),
        "{html}"
    );

    let tree: serde_json::Value = app.get("/api/v1/categories").await.json().await.unwrap();
    assert_eq!(tree["items"][0]["product_count"], 1);
}

#[tokio::test]
async fn a_product_write_reports_every_invalid_field_and_attribute_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let mut conn = app.db().acquire().await.unwrap();
    let category = super::seed_category(&mut conn, "futs", None).await;
    let wood = super::seed_enum_type(&mut conn, "wood", &["chene", "acacia"]).await;
    super::seed_definition(&mut conn, category, wood, true).await;
    let volume = "019ab000-0000-7000-8000-000000000006".parse().unwrap();
    super::seed_definition(&mut conn, category, volume, false).await;
    super::seed_product(&mut conn, "Déjà là", None, &["TAKEN-1"]).await;
    drop(conn);

    let (status, problem) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/products",
        Some(json!({
            "name": "Fût",
            "category_id": category,
            "tax_class": "zero",
            "attributes": {"volume_liters": 0, "colour": "rouge"},
            "variants": [
                {"sku": "taken-1", "price_minor": 100, "ean13": "4006381333932"},
                {"sku": "NEW-1", "price_minor": 500, "compare_at_price_minor": 400},
                {"sku": "NEW-1", "price_minor": -1},
            ],
        })),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    for expected in [
        ("tax_class", "invalid"),
        ("attributes.volume_liters", "too_small"),
        ("attributes.colour", "unknown"),
        ("attributes.wood", "required"),
        ("variants[0].ean13", "invalid"),
        ("variants[0].sku", "taken"),
        ("variants[1].compare_at_price_minor", "out_of_range"),
        ("variants[2].price_minor", "out_of_range"),
        ("variants[2].sku", "taken"),
    ] {
        assert!(fields.contains(&expected), "{expected:?} missing from {fields:?}");
    }
    let (_, list) = admin_call(&app, &admin, "GET", "/api/v1/admin/products", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "nothing was saved");
}

#[tokio::test]
async fn a_stale_if_match_answers_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let product = create_product(&app, &admin, product_body("Tente Glénan 2", None, &[("TNT-2", 19900)])).await;
    let id = product["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/products/{id}");
    let first = app
        .client
        .patch(app.url(&path))
        .header("authorization", crate::identity::bearer(&admin))
        .header("if-match", "\"1\"")
        .json(&json!({"brand": "Iroise"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["etag"], "\"2\"");
    let stale = app
        .client
        .patch(app.url(&path))
        .header("authorization", crate::identity::bearer(&admin))
        .header("if-match", "\"1\"")
        .json(&json!({"brand": "Kerlann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let problem: serde_json::Value = stale.json().await.unwrap();
    assert_eq!(problem["code"], "precondition.failed");
    let (_, now) = admin_call(&app, &admin, "GET", &path, None).await;
    assert_eq!(now["brand"], "Iroise");
    assert_eq!(now["version"], 2);
    let any = app
        .client
        .patch(app.url(&path))
        .header("authorization", crate::identity::bearer(&admin))
        .header("if-match", "*")
        .json(&json!({"brand": "Mor Braz"}))
        .send()
        .await
        .unwrap();
    assert_eq!(any.status(), 200, "If-Match: * accepts any current version");
}

#[tokio::test]
async fn slugs_come_from_french_names_stay_unique_and_do_not_follow_renames() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let first = create_product(
        &app,
        &admin,
        product_body("Vélo électrique Œuvre", None, &[("VAE-1", 199900)]),
    )
    .await;
    let second = create_product(
        &app,
        &admin,
        product_body("Vélo électrique œuvre", None, &[("VAE-2", 199900)]),
    )
    .await;
    assert_eq!(first["slug"], "velo-electrique-oeuvre");
    assert_eq!(second["slug"], "velo-electrique-oeuvre-2");
    let path = format!("/api/v1/admin/products/{}", first["id"].as_str().unwrap());
    let (_, renamed) = admin_call(&app, &admin, "PATCH", &path, Some(json!({"name": "Vélo urbain"}))).await;
    assert_eq!(renamed["slug"], "velo-electrique-oeuvre");
    let (status, problem) = admin_call(
        &app,
        &admin,
        "PATCH",
        &path,
        Some(json!({"slug": "velo-electrique-oeuvre-2"})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["code"], "taken");
}

#[tokio::test]
async fn categories_refuse_cycles_and_deletion_while_they_hold_products() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let (_, sport) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/categories",
        Some(json!({"name": "Sport"})),
    )
    .await;
    let (_, velo) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/categories",
        Some(json!({"name": "Vélo", "parent_id": sport["id"]})),
    )
    .await;
    let (status, problem) = admin_call(
        &app,
        &admin,
        "PATCH",
        &format!("/api/v1/admin/categories/{}", sport["id"].as_str().unwrap()),
        Some(json!({"parent_id": velo["id"]})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["code"], "cycle");
    create_product(
        &app,
        &admin,
        product_body(
            "Vélo de route",
            velo["id"].as_str().map(|s| s.parse().unwrap()),
            &[("VR-1", 99900)],
        ),
    )
    .await;
    let (status, problem) = admin_call(
        &app,
        &admin,
        "DELETE",
        &format!("/api/v1/admin/categories/{}", velo["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "catalog.category_not_empty");
}

#[tokio::test]
async fn attribute_types_check_values_and_refuse_bad_definitions() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    for (id, value, valid) in [
        ("019ab000-0000-7000-8000-000000000001", json!("4006381333931"), true),
        ("019ab000-0000-7000-8000-000000000001", json!("4006381333932"), false),
        ("019ab000-0000-7000-8000-000000000004", json!("FR"), true),
        ("019ab000-0000-7000-8000-000000000004", json!("ZZ"), false),
        ("019ab000-0000-7000-8000-000000000005", json!("acacia"), true),
        ("019ab000-0000-7000-8000-000000000005", json!("pin"), false),
        ("019ab000-0000-7000-8000-000000000006", json!(225), true),
        ("019ab000-0000-7000-8000-000000000006", json!(0), false),
        (
            "019ab000-0000-7000-8000-000000000003",
            json!("javascript:alert(1)"),
            false,
        ),
        ("019ab000-0000-7000-8000-000000000002", json!("cave@domaine.fr"), true),
    ] {
        let answer: serde_json::Value = app
            .post_json(
                &format!("/api/v1/attribute-types/{id}/validate"),
                &json!({"value": value}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["valid"], valid, "{id} {value}: {answer}");
        assert_eq!(answer["errors"].as_array().unwrap().is_empty(), valid);
    }
    let (status, problem) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/attribute-types",
        Some(json!({"name": "grape", "kind": "text", "pattern": "([a-z]", "min": 5, "max": 2})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"pattern") && fields.contains(&"max"), "{fields:?}");
    let (status, created) = admin_call(
        &app,
        &admin,
        "POST",
        "/api/v1/admin/attribute-types",
        Some(json!({"name": "appellation_code", "label": "Code appellation", "kind": "text", "pattern": "[A-Z]{3}-[0-9]{2}"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/api/v1/attribute-types/{}/validate", created["id"].as_str().unwrap());
    let answer: serde_json::Value = app
        .post_json(&path, &json!({"value": "abc-12"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["errors"][0]["code"], "pattern_mismatch");
    let (status, _) = admin_call(
        &app,
        &admin,
        "PATCH",
        &format!("/api/v1/admin/attribute-types/{}", created["id"].as_str().unwrap()),
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(status, 422);
}
