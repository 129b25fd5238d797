//! The scheduler's shared state and its scheduling point. Every port call of
//! every task passes through `Sched::point`: the task yields there, so the
//! executor (which polls one randomly chosen task at a time) interleaves the
//! tasks at port-call granularity; then the seeded plan may fail the call
//! (a throttle or 5xx: `StoreError::Transient`) or crash the task there
//! (a Lambda sandbox killed mid-invocation: the task is never polled again).

use crate::rng::Rng;
use docproc_core::StoreError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

/// What runs in a task, which decides the faults it can meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An API Lambda invocation (a client retries it on a 5xx).
    Api,
    /// A processor invocation: may be crashed, and Lambda retries it.
    Processor,
    /// The stream consumer: its publishes may fail (the batch is retried).
    Notifier,
    /// Reads only (audit verification); faults would only hide reads.
    Reader,
}

#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// Chance that a port call fails transiently.
    pub transient: f64,
    /// Chance that a processor task is crashed at a port call.
    pub crash: f64,
}

impl FaultRates {
    pub const NONE: FaultRates = FaultRates {
        transient: 0.0,
        crash: 0.0,
    };
}

#[derive(Debug)]
struct State {
    rng: Rng,
    rates: FaultRates,
    current: (u64, Role),
    crashed: Option<u64>,
    /// Every task that writes is finished: the stream will not grow.
    producers_done: bool,
    port_calls: u64,
    transients: u64,
    crashes: u64,
    trace: bool,
}

#[derive(Debug)]
pub struct Sched {
    state: Mutex<State>,
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Counts of what the plan did in one schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub port_calls: u64,
    pub transients: u64,
    pub crashes: u64,
}

impl Sched {
    pub fn new(seed: u64, rates: FaultRates) -> Self {
        Sched {
            state: Mutex::new(State {
                rng: Rng::new(seed),
                rates,
                current: (0, Role::Reader),
                crashed: None,
                producers_done: false,
                port_calls: 0,
                transients: 0,
                crashes: 0,
                trace: false,
            }),
        }
    }

    pub fn with_rng<T>(&self, f: impl FnOnce(&mut Rng) -> T) -> T {
        f(&mut lock(&self.state).rng)
    }

    /// Prints every scheduling point (task, role, port call, fault) to stderr.
    pub fn set_trace(&self, on: bool) {
        lock(&self.state).trace = on;
    }

    pub fn set_rates(&self, rates: FaultRates) {
        lock(&self.state).rates = rates;
    }

    pub fn set_current(&self, task: u64, role: Role) {
        lock(&self.state).current = (task, role);
    }

    /// The task crashed at its last scheduling point (taken once).
    pub fn take_crashed(&self, task: u64) -> bool {
        let mut s = lock(&self.state);
        if s.crashed == Some(task) {
            s.crashed = None;
            return true;
        }
        false
    }

    pub fn set_producers_done(&self, done: bool) {
        lock(&self.state).producers_done = done;
    }

    pub fn producers_done(&self) -> bool {
        lock(&self.state).producers_done
    }

    pub fn counts(&self) -> FaultCounts {
        let s = lock(&self.state);
        FaultCounts {
            port_calls: s.port_calls,
            transients: s.transients,
            crashes: s.crashes,
        }
    }

    /// The scheduling point before a port call named `op`.
    pub async fn point(&self, op: &str) -> Result<(), StoreError> {
        Yield(false).await;
        let fault = {
            let mut s = lock(&self.state);
            s.port_calls += 1;
            let (task, role) = s.current;
            let rates = s.rates;
            let fault = if role == Role::Processor && s.rng.chance(rates.crash) {
                s.crashes += 1;
                s.crashed = Some(task);
                Some(None)
            } else if role != Role::Reader && s.rng.chance(rates.transient) {
                s.transients += 1;
                Some(Some(StoreError::Transient(format!(
                    "simulated throttle in {op}"
                ))))
            } else {
                None
            };
            if s.trace {
                let what = match &fault {
                    None => "",
                    Some(None) => "  CRASH",
                    Some(Some(_)) => "  THROTTLED",
                };
                eprintln!("task {task:>3} {role:?}: {op}{what}");
            }
            fault
        };
        match fault {
            None => Ok(()),
            Some(Some(error)) => Err(error),
            // Crashed: the executor drops the task at this point.
            Some(None) => std::future::pending().await,
        }
    }

    /// A scheduling point with no port call (a consumer waiting for work).
    pub async fn idle(&self) {
        Yield(false).await
    }
}

/// Pending once, then ready: hands control back to the executor.
struct Yield(bool);

impl Future for Yield {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}
