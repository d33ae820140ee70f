//! The typed error every query returns, so callers map outcomes to answers
//! without looking at SQLSTATE codes themselves.

/// A query's failure, classified by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The row the query needed does not exist.
    #[error("row not found")]
    NotFound,
    /// A unique or exclusion constraint refused the write.
    #[error("conflict with an existing row ({constraint})")]
    Conflict { constraint: String },
    /// A foreign key points at a row that does not exist (or still is referenced).
    #[error("reference to a missing or still-referenced row ({constraint})")]
    ForeignKey { constraint: String },
    /// A check constraint refused the values.
    #[error("check constraint {constraint} refused the values")]
    Check { constraint: String },
    /// Two transactions could not both commit; retrying the whole transaction is safe.
    #[error("serialization failure or deadlock")]
    Retryable(#[source] sqlx::Error),
    /// Anything else: the database is unreachable, a bug, a timeout.
    #[error(transparent)]
    Other(sqlx::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// For lookups where a missing row is an answer, not a failure.
pub trait Optional<T> {
    /// `NotFound` becomes `Ok(None)`; every other error stays an error.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> Optional<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::RowNotFound) {
            return Self::NotFound;
        }
        let Some(db_err) = err.as_database_error() else {
            return Self::Other(err);
        };
        let constraint = || db_err.constraint().unwrap_or_default().to_owned();
        match db_err.code().as_deref() {
            Some("23505" | "23P01") => Self::Conflict {
                constraint: constraint(),
            },
            Some("23503") => Self::ForeignKey {
                constraint: constraint(),
            },
            Some("23514") => Self::Check {
                constraint: constraint(),
            },
            // Text PostgreSQL cannot store (a NUL character) is bad input.
            Some("22021" | "22P05") => Self::Check {
                constraint: "text_encoding".to_owned(),
            },
            Some("40001" | "40P01") => Self::Retryable(err),
            _ => Self::Other(err),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Self::Other(sqlx::Error::Migrate(Box::new(err)))
    }
}
