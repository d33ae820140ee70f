//! The API description: generated from the code, snapshot-reviewed, browsable offline.

use crate::harness::TestApp;

#[tokio::test]
async fn the_served_openapi_document_matches_the_reviewed_snapshot() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", document, {".info.version" => "[version]"});
}

#[tokio::test]
async fn the_command_line_prints_the_served_document() {
    let app = TestApp::spawn().await;
    let served: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, served);
}

#[tokio::test]
async fn every_operation_has_a_summary_a_tag_and_documented_responses() {
    let document = serde_json::to_value(comptoir_server::router::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(operation["summary"].is_string(), "{name} has no summary");
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
            assert!(
                operation["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{name} documents no response"
            );
            // A query parameter documented as a path one misleads every
            // client generated from the document.
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "path" {
                    let placeholder = format!("{{{}}}", parameter["name"].as_str().unwrap_or_default());
                    assert!(path.contains(&placeholder), "{name}: {placeholder} is not in the path");
                }
            }
        }
    }
}

#[test]
fn every_operation_has_its_own_operation_id() {
    // Client generators name their methods after operationIds: two
    // operations with one id make one of them unreachable.
    let document = serde_json::to_value(comptoir_server::router::openapi()).unwrap();
    let mut seen = std::collections::HashMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("{id} names both {other} and {method} {path}");
            }
        }
    }
}

#[tokio::test]
async fn swagger_ui_and_redoc_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.bytes().await.unwrap().len() > 100_000,
        "Swagger UI must be vendored"
    );
    let initializer = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(initializer.contains("/api/v1/openapi.json"), "{initializer}");

    let redoc = app.get("/redoc").await;
    assert_eq!(redoc.status(), 200);
    let html = redoc.text().await.unwrap();
    assert!(html.contains(r#"spec-url="/api/v1/openapi.json""#));
    assert!(!html.contains("cdn."), "ReDoc must not load from a CDN");
    let script = app.get("/redoc/redoc.standalone.js").await;
    assert_eq!(script.status(), 200);
    assert!(script.bytes().await.unwrap().len() > 500_000, "ReDoc must be vendored");
}
