//! Routes of the platform itself: health, metrics, API documentation.

pub mod contract;
pub mod docs;
pub mod health;
pub mod metrics;

use axum::http::StatusCode;

use crate::error::{ApiError, problem_for_status};

/// Any address no route serves.
pub async fn not_found() -> ApiError {
    problem_for_status(StatusCode::NOT_FOUND)
}
