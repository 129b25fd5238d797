//! AWS SDK adapters for docproc's ports, and the wiring every Lambda shares:
//! configuration from environment variables, SDK configuration that honours
//! `AWS_ENDPOINT_URL`, and JSON logs.

pub mod dynamo;
pub mod env;
pub mod errors;
pub mod s3;
pub mod sns;

use tracing_subscriber::filter::LevelFilter;

/// Loads the shared SDK configuration. The SDK reads the standard endpoint
/// override (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) itself, so
/// tests and local runs point every client at an emulator without code here.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// JSON logs, one object per line. Honours the Lambda advanced logging
/// level (`AWS_LAMBDA_LOG_LEVEL`) and `RUST_LOG` (a single level), defaulting
/// to `info`. A plain level filter keeps the regex engine out of the binaries.
pub fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_default();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(parse_level(&level))
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .init();
}

/// Parses a log level name; anything unrecognised means `info`.
pub fn parse_level(level: &str) -> LevelFilter {
    match level.trim() {
        "" => LevelFilter::INFO,
        name => name.parse().unwrap_or(LevelFilter::INFO),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_levels_parse_with_info_as_fallback() {
        use tracing_subscriber::filter::LevelFilter;
        assert_eq!(super::parse_level("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(super::parse_level("warn"), LevelFilter::WARN);
        assert_eq!(super::parse_level(""), LevelFilter::INFO);
        assert_eq!(super::parse_level("loud"), LevelFilter::INFO);
    }
}
