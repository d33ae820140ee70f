//! The error every handler answers: a use case's [`AppError`] given its
//! HTTP status and headers, or a refusal of the HTTP layer itself, answered
//! as an RFC 9457 `application/problem+json` document with a stable dotted
//! `code`.
//!
//! The cause of a 5xx goes to the log, inside the request's span (so with its
//! request id); the client only ever sees an opaque message.

pub mod codes;

use std::borrow::Cow;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use comptoir_app::{AppError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:comptoir:problem:validation.failed",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request has invalid fields.",
    "code": "validation.failed",
    "errors": [{"field": "quantity", "code": "invalid_type", "message": "invalid type: string \"two\", expected u32"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:comptoir:problem:{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP reason phrase of `status`.
    pub title: String,
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// Stable machine-readable code, such as `stock.insufficient`.
    pub code: String,
    /// On 422: one entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub use comptoir_app::FieldError;

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Logged for 5xx answers, never sent.
    cause: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code: Cow::Borrowed(code),
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            cause: None,
        }
    }

    // The refusals a use case can make too are made by `AppError`, so the
    // wording, codes and facts (Retry-After) are written once.

    pub fn bad_request(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        AppError::bad_request(code, detail).into()
    }

    pub fn not_found(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        AppError::not_found(code, detail).into()
    }

    pub fn conflict(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        AppError::conflict(code, detail).into()
    }

    /// 422 with one entry per invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        AppError::validation(errors).into()
    }

    /// A 422 naming every invalid field when there is one, `Ok` otherwise.
    pub fn unless_valid(errors: Vec<FieldError>) -> Result<(), Self> {
        Ok(AppError::unless_valid(errors)?)
    }

    /// An unexpected failure: 500, the cause logged and not shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError::internal(cause).into()
    }

    /// A dependency is down or overloaded: 503 with Retry-After, the cause logged.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        AppError::unavailable(cause).into()
    }

    /// Names what the problem is about (the lines lacking stock of a 409),
    /// in the same `errors` list as a 422's fields.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// A more precise code than the status's usual one (`cart.empty` for a 422).
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Cow::Borrowed(code);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// A header the answer will carry (`Retry-After`, say).
    pub fn header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:comptoir:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone().into_owned(),
            code: self.code.clone().into_owned(),
            errors: self.errors.clone(),
        }
    }
}

/// `code: detail`, for the command line, which has no problem document.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)?;
        for error in &self.errors {
            write!(f, "; {}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            let request_id = crate::telemetry::current_request_id();
            match &self.cause {
                Some(cause) => tracing::error!(request_id, code = %self.code, error = ?cause, "request failed"),
                None => tracing::error!(request_id, code = %self.code, "request failed"),
            }
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE))],
            body,
        )
            .into_response();
        response.headers_mut().extend(self.headers);
        response
    }
}

impl From<AppError> for ApiError {
    /// A use case's refusal, answered with the status its kind stands for
    /// and the headers its facts call for.
    fn from(err: AppError) -> Self {
        let parts = err.into_parts();
        let status = match parts.kind {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::StaleVersion => StatusCode::PRECONDITION_FAILED,
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Upstream => StatusCode::BAD_GATEWAY,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut headers = Vec::new();
        if let Some(seconds) = parts.retry_after {
            headers.push((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if parts.kind == ErrorKind::Unauthenticated {
            headers.push((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(tag) = parts
            .current_version
            .and_then(|tag| HeaderValue::try_from(tag.as_ref()).ok())
        {
            headers.push((header::ETAG, tag));
        }
        Self {
            status,
            code: parts.code,
            detail: parts.detail,
            errors: parts.errors,
            headers,
            cause: parts.cause,
        }
    }
}

impl From<comptoir_db::Error> for ApiError {
    fn from(err: comptoir_db::Error) -> Self {
        AppError::from(err).into()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        AppError::from(err).into()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::internal(err)
    }
}

/// The problem answer for a bare status produced below the handlers (an
/// unknown route, a wrong method, a body over the limit, a panic).
pub fn problem_for_status(status: StatusCode) -> ApiError {
    let (code, detail): (&'static str, &'static str) = match status {
        StatusCode::NOT_FOUND => ("route.not_found", "No resource lives at this address."),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method.not_allowed",
            "This resource does not accept this method; the Allow header lists those it does.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "request.too_large",
            "The request body is larger than this server accepts.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "request.unsupported_media_type",
            "The request body has an unsupported Content-Type.",
        ),
        StatusCode::REQUEST_TIMEOUT => ("request.timeout", "The request took too long to arrive."),
        StatusCode::TOO_MANY_REQUESTS => ("rate_limit.exceeded", "Too many requests; wait before retrying."),
        StatusCode::SERVICE_UNAVAILABLE => (
            "service.unavailable",
            "The service is temporarily unavailable; retry shortly.",
        ),
        s if s.is_server_error() => (
            "internal",
            "An unexpected error occurred. Quote the X-Request-Id header when reporting it.",
        ),
        StatusCode::FORBIDDEN => ("auth.forbidden", "You may not do this."),
        StatusCode::UNAUTHORIZED => ("auth.unauthenticated", "Authentication is required."),
        _ => ("request.invalid", "The request cannot be served."),
    };
    ApiError::new(status, code, detail)
}
