//! The one error type of the handlers, mapped to HTTP statuses here and
//! nowhere else.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or asks for something impossible (400).
    #[error("{0}")]
    BadRequest(String),
    /// No valid login (401); browsers are sent to the login page instead.
    #[error("not logged in")]
    Unauthenticated,
    /// Logged in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such page, chart or series (404).
    #[error("{0}")]
    NotFound(String),
    /// The name is taken (409).
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the configured limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// Too many renders waiting (503).
    #[error("busy: too many graphs waiting to be drawn, try again")]
    Busy,
    /// Too many ingested records waiting to be written (503).
    #[error("{0}")]
    Backlog(String),
    /// Anything else: the detail goes to the log, the client gets a fixed
    /// message (500).
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Busy | AppError::Backlog(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal(e) = &self {
            eprintln!("rrd-server: internal error: {e:#}");
        }
        let body = serde_json::json!({ "error": self.to_string() }).to_string();
        (
            status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    }
}

/// The handlers' result.
pub type AppResult<T> = Result<T, AppError>;
