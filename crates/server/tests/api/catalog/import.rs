//! The product CSV: import upserts by SKU, reports rejected lines, changes
//! nothing on error unless asked; export then import changes nothing.

use serde_json::Value;

use super::{admin_token, seed_category};
use crate::harness::TestApp;
use crate::identity::bearer;

const HEADER: &str = "sku;product_slug;product_name;brand;category;status;tax_class;description;image_urls;attributes;options;ean13;price_minor;compare_at_price_minor;weight_grams";

async fn import(app: &TestApp, token: &str, query: &str, csv: String) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/admin/products/import{query}")))
        .header("authorization", bearer(token))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn export(app: &TestApp, token: &str) -> String {
    let response = app
        .client
        .get(app.url("/api/v1/admin/products/export"))
        .header("authorization", bearer(token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn an_import_creates_and_updates_by_sku_and_its_export_imports_unchanged() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let mut conn = app.db().acquire().await.unwrap();
    seed_category(&mut conn, "running", None).await;
    drop(conn);
    let csv = format!(
        "{HEADER}\n\
         RUN-1-42;trail-ar-men;Chaussure de trail Ar Men;Kerlann;running;active;standard;\"Légère, **étanche**;\n- crantée\";;;pointure=42|couleur=bleu;4006381333931;12999;14999;320\n\
         RUN-1-43;trail-ar-men;Chaussure de trail Ar Men;Kerlann;running;active;standard;\"Légère, **étanche**;\n- crantée\";;;pointure=43|couleur=bleu;;12999;14999;330\n"
    );
    let (status, report) = import(&app, &admin, "", csv.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(2), Some(0))
    );

    let exported = export(&app, &admin).await;
    assert!(exported.starts_with(HEADER), "{exported}");
    let (status, report) = import(&app, &admin, "", exported.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["unchanged"], 2, "{report}");
    assert_eq!(
        report["created"].as_u64().unwrap() + report["updated"].as_u64().unwrap(),
        0
    );
    assert_eq!(export(&app, &admin).await, exported);

    // A changed price, with commas as separator this time.
    let changed = exported
        .replace(';', "\u{1}")
        .replace(',', ";")
        .replace('\u{1}', ",")
        .replace(",12999,", ",11999,");
    let (status, report) = import(&app, &admin, "", changed).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["updated"], 2);
    let product: Value = app.get("/api/v1/products/trail-ar-men").await.json().await.unwrap();
    assert_eq!(product["price_min_minor"], 11999);
}

#[tokio::test]
async fn rejected_rows_are_reported_by_line_and_the_file_changes_nothing_unless_partial() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let csv = format!(
        "{HEADER}\n\
         OK-1;bonnet;Bonnet marin;;;active;standard;;;;;;1990;;80\n\
         BAD-1;gant;Gant;;nulle-part;active;standard;;;;;;abc;;80\n\
         BAD-2;chaussette;Chaussette;;;active;flat;;;;;4006381333932;990;;40\n"
    );
    let (status, problem) = import(&app, &admin, "", csv.clone()).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "import.rejected");
    let rejected = problem["report"]["rejected"].as_array().unwrap();
    let lines: Vec<u64> = rejected.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4]);
    assert!(
        rejected[0]["reason"].as_str().unwrap().contains("category"),
        "{}",
        rejected[0]
    );
    let nothing: Value = app.get("/api/v1/products").await.json().await.unwrap();
    assert_eq!(
        nothing["items"].as_array().unwrap().len(),
        0,
        "a file with errors changes nothing"
    );

    let (status, report) = import(&app, &admin, "?partial=true", csv).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 2);
    let some: Value = app.get("/api/v1/products").await.json().await.unwrap();
    assert_eq!(some["items"][0]["slug"], "bonnet");

    for (content_type, body, expected) in [
        ("application/json", "{}".to_owned(), 415),
        ("text/csv", "nom;prix\nx;1\n".to_owned(), 422),
        ("text/csv", format!("{HEADER}\nX;x;X\n"), 422),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/admin/products/import"))
            .header("authorization", bearer(&admin))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), expected, "{content_type}");
    }
}

#[tokio::test]
async fn a_file_can_be_uploaded_as_multipart_form_data() {
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let csv = format!("{HEADER}\nUP-1;gourde;Gourde;;;active;standard;;;;;;1290;;200\n");
    let boundary = "comptoirboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"produits.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let response = app
        .client
        .post(app.url("/api/v1/admin/products/import"))
        .header("authorization", bearer(&admin))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 1);
}

#[tokio::test]
async fn a_compressed_export_arrives_whole() {
    // The export streams page by page; compressed, the stream was polled
    // once more after its end and panicked, cutting the file.
    let app = TestApp::spawn().await;
    let admin = admin_token(&app).await;
    let mut conn = app.db().acquire().await.unwrap();
    seed_category(&mut conn, "running", None).await;
    drop(conn);
    let rows: String = (0..600)
        .map(|i| {
            format!("RUN-{i};trail-{i};Chaussure {i};Kerlann;running;active;standard;;;;pointure=42;;12999;;320\n")
        })
        .collect();
    let (status, report) = import(&app, &admin, "", format!("{HEADER}\n{rows}")).await;
    assert_eq!(status, 200, "{report}");
    let plain = export(&app, &admin).await;
    assert!(plain.len() > 40_000, "the export spans several pages");

    let response = app
        .client
        .get(app.url("/api/v1/admin/products/export"))
        .header("authorization", bearer(&admin))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let gzipped = response.bytes().await.expect("the whole compressed file");
    // A gzip stream ends with the length of what it holds (RFC 1952, ISIZE).
    let trailer: [u8; 4] = gzipped[gzipped.len() - 4..].try_into().unwrap();
    assert_eq!(u32::from_le_bytes(trailer) as usize, plain.len());
}
