//! AWS SDK adapters for docproc's ports, and the wiring every Lambda shares:
//! configuration from environment variables, SDK configuration that honours
//! `AWS_ENDPOINT_URL`, and JSON logs.

pub mod dynamo;
pub mod env;
pub mod s3;
pub mod sns;

use tracing_subscriber::EnvFilter;

/// Loads the shared SDK configuration. The SDK reads the standard endpoint
/// override (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) itself, so
/// tests and local runs point every client at an emulator without code here.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// JSON logs, one object per line. Honours the Lambda advanced logging
/// level (`AWS_LAMBDA_LOG_LEVEL`) and `RUST_LOG`, defaulting to `info`.
pub fn init_tracing() {
    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| "info".to_string())
        .to_lowercase();
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .init();
}
