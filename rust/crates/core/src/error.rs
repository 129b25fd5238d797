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

/// A storage failure, as classified by the adapters.
///
/// - `Transient`: retryable (throttling, 5xx, timeouts). Handlers surface it
///   so the platform retries: the API answers 503 with `Retry-After`; the
///   processor and notifier fail the invocation so Lambda retries it (and
///   finally dead-letters it).
/// - `Conflict`: a conditional write lost.
/// - `Permanent`: retrying the same request cannot succeed (bad request,
///   access denied, missing object).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("conditional write rejected: {0}")]
    Conflict(String),
    #[error("transient storage failure: {0}")]
    Transient(String),
    #[error("storage failure: {0}")]
    Permanent(String),
    /// An object larger than the caller can take: permanent, and a verdict
    /// (`too_large`) rather than a failure for the processor.
    #[error("object larger than {limit} bytes")]
    TooLarge { limit: u64 },
}

impl StoreError {
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }

    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Transient(_))
    }
}
