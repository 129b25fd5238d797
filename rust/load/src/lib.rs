//! `docproc load`: many documents through a deployed platform, every one
//! followed to its verdict and checked, with throughput and latency measured,
//! optionally under injected faults.
//!
//! Modules, each using only those listed before it:
//! - [`measure`]: what a run produces (samples, checks, the report) and its statistics;
//! - [`ports`]: how a run reaches the platform (API, status feed, replays,
//!   dead-letter queues, fault switch), implemented by the CLI and by tests;
//! - [`mix`]: the documents sent, each with the verdict it must get;
//! - [`plan`]: how a run goes (size, pace, patience, faults);
//! - `tasks`, [`retry`]: work over tasks, requests with retries and backoff;
//! - `upload`: sending one document;
//! - [`faults`]: outages, replayed events, authorizer probes;
//! - `checks`: notifications, audit trails and refused overwrites, verified;
//! - `listen`: the status feed, read in the background until quiet;
//! - [`run`]: the run itself;
//! - [`report`]: the terminal table and the HTML page.

mod checks;
pub mod faults;
mod listen;
pub mod measure;
pub mod mix;
pub mod plan;
pub mod ports;
pub mod report;
pub mod retry;
pub mod run;
mod tasks;
mod upload;

pub use measure::{
    Check, Expected, FaultWindow, LoadReport, Outcome, Percentiles, Sample, Summary, UploadKind,
};
