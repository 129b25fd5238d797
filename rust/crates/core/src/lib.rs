//! docproc's domain: access levels and routes, API keys, documents and their
//! lifecycle, the tamper-evident audit chain, and the storage ports the Lambda
//! handlers depend on. Nothing here knows about AWS SDK or Lambda types.

pub mod access;
pub mod audit;
pub mod document;
pub mod error;
pub mod keys;
pub mod memory;
pub mod notification;
pub mod pagination;
pub mod ports;
pub mod presign;
pub mod s3key;
pub mod time_fmt;

pub use error::{DomainError, StoreError};
