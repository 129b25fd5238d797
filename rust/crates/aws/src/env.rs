//! Typed access to the environment variables Terraform sets on each function.
//! A missing or malformed variable fails start-up with a message naming it.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is required but not set")]
    Missing(&'static str),
    #[error("environment variable {name} is malformed: {message}")]
    Malformed { name: &'static str, message: String },
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

pub fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Malformed {
                name,
                message: e.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_malformed_variables_are_named() {
        assert_eq!(
            required("DOCPROC_TEST_SURELY_UNSET"),
            Err(ConfigError::Missing("DOCPROC_TEST_SURELY_UNSET"))
        );
        assert_eq!(parsed::<u64>("DOCPROC_TEST_SURELY_UNSET", 7), Ok(7));
        // PATH is always set and never a number.
        let err = parsed::<u64>("PATH", 0).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("environment variable PATH is malformed"),
            "{err}"
        );
    }
}
