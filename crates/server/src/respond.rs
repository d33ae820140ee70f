//! Answers the API and the pages give alike.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// A PDF document shown in the browser, named `{name}.pdf`, never stored
/// by a shared cache (invoices and slips are personal).
pub fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}
