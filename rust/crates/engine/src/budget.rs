use crate::verdict::{Reason, Rejection};
use std::time::{Duration, Instant};

/// A wall-clock budget that parsers check inside every loop.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        Deadline(Instant::now() + budget)
    }

    pub fn check(&self) -> Result<(), Rejection> {
        if Instant::now() > self.0 {
            Err(Rejection::new(
                Reason::TooComplex,
                "inspection exceeded its time budget",
            ))
        } else {
            Ok(())
        }
    }
}
