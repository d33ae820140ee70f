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

/// Every documented operation is called the ways an outside client gets
/// wrong: anonymous, with a forged token, with a body that is not JSON, not
/// sent as JSON, or empty, and with nonsense in each query parameter, as a
/// shopper and as an administrator. The harness checks each answer against
/// the document (status listed, media type, body schema), so an answer the
/// document does not describe fails this test.
#[tokio::test]
async fn every_operation_answers_bad_calls_as_the_document_says() {
    let app = TestApp::spawn().await;
    let admin = crate::catalog::admin_token(&app).await;
    let shopper = crate::identity::signed_in(&app, "sweep@example.test").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let document = comptoir_server::router::openapi();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let mut sent = 0;
    for (template, item) in document["paths"].as_object().unwrap() {
        if !template.starts_with("/api/v1/") {
            continue;
        }
        let path: String = template
            .split('/')
            .map(|segment| if segment.starts_with('{') { unknown } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in item.as_object().unwrap() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let takes_json = operation.pointer("/requestBody/content/application~1json").is_some();
            let queries: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str())
                .collect();
            let mut calls = vec![
                Call::new(Who::Anonymous, &path),
                Call::new(Who::Forged, &path),
                Call::new(Who::Shopper, &path),
                Call::new(Who::Admin, &path),
            ];
            if takes_json {
                for who in [Who::Shopper, Who::Admin] {
                    for body in [
                        ("application/json", "{"),
                        ("application/json", "{}"),
                        ("text/plain", "{}"),
                        ("application/json", "[1]"),
                    ] {
                        calls.push(Call {
                            body: Some(body),
                            ..Call::new(who, &path)
                        });
                    }
                }
            }
            for name in &queries {
                for junk in ["", "-1", "%FF", "zz"] {
                    calls.push(Call::new(Who::Admin, &format!("{path}?{name}={junk}")));
                }
            }
            for call in calls {
                let url = call.url;
                let mut request = app.client.request(method.clone(), app.url(&url));
                match call.who {
                    Who::Anonymous => {}
                    Who::Forged => request = request.bearer_auth("forged.token.value"),
                    Who::Shopper => request = request.bearer_auth(&shopper),
                    Who::Admin => request = request.bearer_auth(&admin),
                }
                if operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p["name"] == "Idempotency-Key")
                {
                    request = request.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
                }
                if let Some((content_type, body)) = call.body {
                    request = request.header("content-type", content_type).body(body);
                }
                let response = request.send().await.unwrap();
                assert!(
                    response.status().as_u16() < 500 || response.status().as_u16() == 503,
                    "{method} {url} answered {}",
                    response.status()
                );
                let _ = response.bytes().await;
                sent += 1;
            }
        }
    }
    assert!(sent > 500, "only {sent} calls");
}

#[derive(Clone, Copy)]
enum Who {
    Anonymous,
    Forged,
    Shopper,
    Admin,
}

struct Call {
    who: Who,
    url: String,
    /// Content type and body.
    body: Option<(&'static str, &'static str)>,
}

impl Call {
    fn new(who: Who, url: &str) -> Self {
        Self {
            who,
            url: url.to_owned(),
            body: None,
        }
    }
}
