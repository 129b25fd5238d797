//! Operator workflows behind the `docproc` CLI: API key lifecycle, dead-letter
//! redrive and audit verification. Everything here works on ports (traits), so
//! it is tested in process; `main.rs` wires the AWS SDK adapters in `aws.rs`.

pub mod config;
pub mod dlq;
pub mod error;
pub mod keys;
pub mod ports;

pub use error::OpsError;
