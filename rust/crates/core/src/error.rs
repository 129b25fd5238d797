use thiserror::Error;

/// A request or document the domain refuses. Always the caller's fault, never retried.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
}

/// A storage failure. `Transient` failures must be retried by the platform
/// (the handler returns an error); `Conflict` means a conditional write lost.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("conditional write rejected: {0}")]
    Conflict(String),
    #[error("transient storage failure: {0}")]
    Transient(String),
    #[error("storage failure: {0}")]
    Permanent(String),
}

impl StoreError {
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}
