//! The API description: `/api/v1/openapi.json`, Swagger UI at `/docs` and
//! ReDoc at `/redoc`, both served from the binary so they work offline.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::AppState;

pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

static REDOC_JS: &[u8] = include_bytes!("../../../assets/vendor/redoc/redoc.standalone.js");

const REDOC_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Comptoir API reference</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/api/v1/openapi.json"></redoc>
<script src="/redoc/redoc.standalone.js"></script>
</body>
</html>
"#;

pub fn router(openapi: serde_json::Value) -> Router<AppState> {
    Router::from(SwaggerUi::new("/docs").external_url_unchecked(OPENAPI_PATH, openapi))
        .route("/redoc", get(|| async { Html(REDOC_PAGE) }))
        .route("/redoc/redoc.standalone.js", get(redoc_js))
}

async fn redoc_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        REDOC_JS,
    )
}
