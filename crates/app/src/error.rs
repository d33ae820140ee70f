//! The one error every use case returns: a kind (what the caller did or
//! met), a stable dotted `code`, a sentence for a human, the fields or lines
//! it is about, and the facts a client needs to act (when to retry, the
//! version that is current).
//!
//! It knows nothing of HTTP: the server maps a [`ErrorKind`] to a status and
//! the facts to headers for the API, and to messages for the pages. The
//! cause of an unexpected failure is kept for the log and never shown.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What went wrong, as a caller would act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be read (a missing key, a malformed header).
    BadRequest,
    /// Nobody is signed in, or the credentials are not valid.
    Unauthenticated,
    /// The caller is known and may not do this.
    Forbidden,
    /// No such thing, or not the caller's to see.
    NotFound,
    /// The thing's state does not allow it now (stock, a transition, a key in flight).
    Conflict,
    /// The caller changed a version that is no longer current.
    StaleVersion,
    /// The request is well formed and breaks a rule (fields, limits).
    Invalid,
    /// Too many attempts; `retry_after` says when to try again.
    RateLimited,
    /// A partner (a payment gateway) refused or failed.
    Upstream,
    /// A dependency is down or overloaded; retrying shortly may work.
    Unavailable,
    /// An unexpected failure; the cause is logged, never shown.
    Internal,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field in the request (`shipping_address.postal_code`).
    pub field: String,
    /// Stable code: `required`, `invalid_type`, `invalid`, `too_long`...
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A use case's refusal or failure.
#[derive(Debug)]
pub struct AppError {
    kind: ErrorKind,
    code: Cow<'static, str>,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    /// Seconds after which the same request may succeed.
    retry_after: Option<u32>,
    /// The current version's tag, on [`ErrorKind::StaleVersion`].
    current_version: Option<Box<str>>,
    /// Logged for unexpected failures, never sent.
    cause: Option<anyhow::Error>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            code: Cow::Borrowed(code),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            current_version: None,
            cause: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::BadRequest, code, detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::NotFound, code, detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Conflict, code, detail)
    }

    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Forbidden, "auth.forbidden", detail)
    }

    pub fn invalid(code: &'static str, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Invalid, code, detail)
    }

    /// `validation.failed`, naming every invalid field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::invalid("validation.failed", "The request has invalid fields.").with_errors(errors)
    }

    /// A [`Self::validation`] error when there is an invalid field, `Ok` otherwise.
    pub fn unless_valid(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::validation(errors))
        }
    }

    /// An unexpected failure: the cause logged and not shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            ErrorKind::Internal,
            "internal",
            "An unexpected error occurred. Quote the X-Request-Id header when reporting it.",
        );
        err.cause = Some(cause.into());
        err
    }

    /// A dependency is down or overloaded: retry in a second; the cause logged.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(
            ErrorKind::Unavailable,
            "service.unavailable",
            "The service is temporarily unavailable; retry shortly.",
        )
        .retry_after(1);
        err.cause = Some(cause.into());
        err
    }

    /// Names what the problem is about (the lines lacking stock of a
    /// conflict), in the same list as invalid fields.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// A more precise code than the kind's usual one (`cart.empty`).
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Cow::Borrowed(code);
        self
    }

    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The tag of the version that is current, for a caller who edited an older one.
    pub fn with_current_version(mut self, tag: String) -> Self {
        self.current_version = Some(tag.into_boxed_str());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn retry_after_seconds(&self) -> Option<u32> {
        self.retry_after
    }

    pub fn current_version(&self) -> Option<&str> {
        self.current_version.as_deref()
    }

    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.cause.as_ref()
    }

    /// Everything an adapter needs to answer, by value.
    pub fn into_parts(self) -> ErrorParts {
        ErrorParts {
            kind: self.kind,
            code: self.code,
            detail: self.detail,
            errors: self.errors,
            retry_after: self.retry_after,
            current_version: self.current_version,
            cause: self.cause,
        }
    }
}

/// An [`AppError`] taken apart by the adapter that answers it.
#[derive(Debug)]
pub struct ErrorParts {
    pub kind: ErrorKind,
    pub code: Cow<'static, str>,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u32>,
    pub current_version: Option<Box<str>>,
    pub cause: Option<anyhow::Error>,
}

/// `code: detail`, for the command line and the logs.
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)?;
        for error in &self.errors {
            write!(f, "; {}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl From<comptoir_db::Error> for AppError {
    /// The generic mapping; use cases map the outcomes they expect (a taken
    /// email, a missing product) to their own codes before this applies.
    fn from(err: comptoir_db::Error) -> Self {
        use comptoir_db::Error as Db;
        match err {
            Db::NotFound => Self::not_found("resource.not_found", "No such resource."),
            Db::Conflict { constraint } => Self::conflict(
                "resource.conflict",
                format!("The request conflicts with an existing resource ({constraint})."),
            ),
            Db::ForeignKey { constraint } => Self::conflict(
                "resource.reference",
                format!("The request refers to a missing or still-used resource ({constraint})."),
            ),
            Db::Check { constraint } => Self::invalid(
                "resource.invalid",
                format!("The request breaks a rule of the data ({constraint})."),
            ),
            Db::Retryable(cause) => Self::unavailable(cause),
            Db::Other(cause) => Self::internal(cause),
        }
    }
}

/// A connection that cannot be had (pool exhausted, database down) is
/// unavailable for a moment; anything else is classified like a query error.
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => Self::unavailable(err),
            other => comptoir_db::Error::from(other).into(),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::internal(err)
    }
}

/// For `PATCH` fields where `null` means "clear": with `#[serde(default)]`,
/// an absent field is `None` and `null` is `Some(None)`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Option::<T>::deserialize(deserializer).map(Some)
}
