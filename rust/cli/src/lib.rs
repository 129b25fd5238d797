//! Operator workflows behind the `docproc` CLI: API key lifecycle, dead-letter
//! redrive, audit verification and the pre-apply account check. Everything
//! here works on ports (traits), so it is tested in process; `main.rs` wires
//! the AWS SDK adapters in `aws.rs` and `aws_account.rs`.

pub mod config;
pub mod dlq;
pub mod error;
pub mod keys;
pub mod ports;
pub mod preflight;

pub use error::OpsError;
