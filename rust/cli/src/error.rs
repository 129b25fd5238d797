use docproc_core::StoreError;
use thiserror::Error;

/// Why an operator command failed. `Invalid` is the operator's input (exit 2);
/// everything else is the platform's state or an AWS failure (exit 1).
#[derive(Debug, Error)]
pub enum OpsError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{service}: {message}")]
    Remote {
        service: &'static str,
        message: String,
    },
}

impl OpsError {
    pub fn remote(service: &'static str, err: impl std::fmt::Display) -> Self {
        OpsError::Remote {
            service,
            message: err.to_string(),
        }
    }

    /// Process exit code: 2 for bad input (like clap's usage errors), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            OpsError::Invalid(_) => 2,
            _ => 1,
        }
    }
}

/// A mix manifest the operator named that cannot be used.
impl From<docproc_load::mix::MixError> for OpsError {
    fn from(e: docproc_load::mix::MixError) -> Self {
        OpsError::Invalid(e.0)
    }
}

pub type OpsResult<T> = Result<T, OpsError>;
