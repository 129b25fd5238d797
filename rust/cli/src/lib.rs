//! Operator workflows behind the `docproc` CLI: API key lifecycle, dead-letter
//! redrive, audit verification, the pre-apply account check and the review of
//! a saved plan for pull requests. Everything here works on ports (traits) or
//! plain data, so it is tested in process; `main.rs` wires the AWS SDK
//! adapters in `aws.rs` and `aws_account.rs`.

pub mod config;
pub mod dlq;
pub mod error;
pub mod keys;
pub mod plan_review;
pub mod ports;
pub mod preflight;

pub use error::OpsError;
