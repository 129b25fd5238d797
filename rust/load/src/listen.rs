//! The status feed, read in the background for the whole run: every change
//! kept once (by message id) with when it arrived, and read at the end until
//! it is quiet, so late duplicates are counted rather than missed.

use crate::checks::Seen;
use crate::measure::{ms_since, Check};
use crate::ports::StatusFeed;
use crate::tasks::lock;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A feed being read.
pub(crate) struct Listener {
    /// What arrived, per document.
    pub(crate) seen: Arc<Mutex<Seen>>,
    errors: Arc<Mutex<Vec<String>>>,
    /// When the last message arrived, copies included: a copy is activity too.
    last_arrival: Arc<Mutex<Instant>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Listener {
    pub(crate) fn spawn<F: StatusFeed>(feed: Arc<F>, start: Instant) -> Listener {
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let last_arrival = Arc::new(Mutex::new(Instant::now()));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (seen, errors, last_arrival, stop) = (
                seen.clone(),
                errors.clone(),
                last_arrival.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut delivered = HashSet::new();
                while !stop.load(Ordering::Acquire) {
                    match feed.receive().await {
                        Ok(changes) if changes.is_empty() => {}
                        Ok(changes) => {
                            *lock(&last_arrival) = Instant::now();
                            let at = ms_since(start);
                            let mut seen = lock(&seen);
                            for c in changes {
                                if delivered.insert(c.message_id.clone()) {
                                    seen.entry(c.document_id.clone()).or_default().push((c, at));
                                }
                            }
                        }
                        Err(e) => {
                            lock(&errors).push(e);
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            })
        };
        Listener {
            seen,
            errors,
            last_arrival,
            stop,
            task,
        }
    }

    /// Reads on until nothing arrived for `quiet` (or `cap` passed), then
    /// stops; what it read, and a check that fails when the feed never went
    /// quiet (something keeps publishing) or could not be read.
    pub(crate) async fn read_until_quiet(self, quiet: Duration, cap: Duration) -> (Seen, Check) {
        let waited = Instant::now();
        let went_quiet = loop {
            // Quiet since the last message or since the last step, whichever
            // is later: what the last step caused may still be on its way.
            let idle = lock(&self.last_arrival).elapsed().min(waited.elapsed());
            if idle >= quiet {
                break true;
            }
            if waited.elapsed() >= cap {
                break false;
            }
            tokio::time::sleep((quiet - idle).min(Duration::from_millis(200))).await;
        };
        self.stop.store(true, Ordering::Release);
        let _ = self.task.await;
        let errors = std::mem::take(&mut *lock(&self.errors));
        let seen = std::mem::take(&mut *lock(&self.seen));
        let messages: usize = seen.values().map(Vec::len).sum();
        let mut detail = if went_quiet {
            format!(
                "{messages} messages; read until none came for {:.1} s ({:.1} s after the last step)",
                quiet.as_secs_f64(),
                waited.elapsed().as_secs_f64()
            )
        } else {
            format!(
                "{messages} messages; still arriving {:.0} s after the last step: never quiet for {:.1} s",
                cap.as_secs_f64(),
                quiet.as_secs_f64()
            )
        };
        if let Some(first) = errors.first() {
            detail.push_str(&format!(
                "; {} receive errors, first: {first}",
                errors.len()
            ));
        }
        let check = Check {
            name: "status feed read until quiet".into(),
            passed: went_quiet && errors.is_empty(),
            detail,
        };
        (seen, check)
    }
}
