//! Our own extractors. axum's raw `Json`, `Path` and `Query` answer plain-text
//! rejections; these answer problems with field errors (`clippy.toml` bans the
//! raw ones so nobody reaches for them by accident).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError, problem_for_status};

/// A JSON request body, or a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_body_bytes(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// Checks the `Content-Type` and reads the body within the size limit.
pub async fn json_body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json_content_type(req.headers()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            "Send the body as JSON with Content-Type: application/json.",
        ));
    }
    Bytes::from_request(req, state).await.map_err(body_rejection)
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        problem_for_status(StatusCode::PAYLOAD_TOO_LARGE)
    } else {
        ApiError::bad_request("request.unreadable_body", "The request body could not be read.")
    }
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body: malformed JSON is a 400; a well-formed body with
/// missing or mistyped fields is a 422 naming each field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        json_error(&path, &inner)
    })?;
    deserializer.end().map_err(|err| json_error(".", &err))?;
    Ok(value)
}

fn json_error(path: &str, err: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::bad_request(
            "request.malformed_json",
            format!("The request body is not valid JSON: {}.", without_position(err)),
        ),
        Category::Data => ApiError::validation(vec![field_error(path, &without_position(err))]),
    }
}

/// serde's messages end with "at line 1 column 42", which says nothing to an
/// API client once the field is named.
fn without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => message,
    }
}

fn field_error(path: &str, message: &str) -> FieldError {
    let parent = if path == "." { "" } else { path };
    let join = |name: &str| {
        if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        }
    };
    if let Some(name) = backticked_after(message, "missing field `") {
        return FieldError::new(join(name), "required", "is required");
    }
    if let Some(name) = backticked_after(message, "unknown field `") {
        return FieldError::new(join(name), "unknown", "is not a known field");
    }
    let code = if message.starts_with("invalid type") {
        "invalid_type"
    } else if message.starts_with("invalid length") {
        "invalid_length"
    } else {
        "invalid"
    };
    let field = if parent.is_empty() { "body" } else { parent };
    FieldError::new(field, code, message)
}

fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => (
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                body,
            )
                .into_response(),
            Err(err) => ApiError::internal(err).into_response(),
        }
    }
}

/// Path parameters. A value that cannot be parsed (a malformed id) cannot
/// name an existing resource, so it answers 404 like an unknown one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[expect(clippy::disallowed_types, reason = "the wrapper that replaces it")]
        let raw = axum::extract::Path::<T>::from_request_parts(parts, state).await;
        match raw {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(_) => Err(ApiError::not_found("resource.not_found", "No such resource.")),
        }
    }
}

/// Query-string parameters; a malformed one answers 422 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(Self).map_err(|err| {
            let path = err.path().to_string();
            let message = err.into_inner().to_string();
            ApiError::validation(vec![field_error(&path, &message)])
        })
    }
}

pub use comptoir_app::error::double_option;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct Order {
        email: String,
        lines: Vec<Line>,
    }

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct Line {
        quantity: u32,
    }

    fn errors_of(body: &str) -> (StatusCode, Vec<FieldError>) {
        let err = parse_json::<Order>(body.as_bytes()).unwrap_err();
        (err.status(), err.field_errors().to_vec())
    }

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let (status, errors) = errors_of(r#"{"lines": [{"quantity": 1}]}"#);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors, vec![FieldError::new("email", "required", "is required")]);

        let (_, errors) = errors_of(r#"{"email": "a@b.fr", "lines": [{}]}"#);
        assert_eq!(errors[0].field, "lines[0].quantity");
        assert_eq!(errors[0].code, "required");
    }

    #[test]
    fn a_mistyped_field_is_named_without_line_numbers() {
        let (status, errors) = errors_of(r#"{"email": "a@b.fr", "lines": [{"quantity": "two"}]}"#);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors[0].field, "lines[0].quantity");
        assert_eq!(errors[0].code, "invalid_type");
        assert!(!errors[0].message.contains("line"), "{}", errors[0].message);
    }

    #[test]
    fn malformed_json_and_trailing_garbage_are_bad_requests() {
        for body in [r#"{"email": "#, "not json", r#"{"email": "a", "lines": []} extra"#] {
            let err = parse_json::<Order>(body.as_bytes()).unwrap_err();
            assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(err.code(), "request.malformed_json");
        }
    }

    #[test]
    fn json_content_types_are_recognised() {
        let mut headers = HeaderMap::new();
        for (value, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(is_json_content_type(&headers), ok, "{value}");
        }
        assert!(!is_json_content_type(&HeaderMap::new()));
    }
}
