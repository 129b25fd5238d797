//! Deterministic simulation of the docproc pipeline: the real API,
//! processor and notifier code over the in-memory ports, interleaved at
//! every port call by a seeded executor that also injects throttles,
//! crashes, duplicated and reordered deliveries. See `world` for what a
//! schedule does and `invariants` for what must hold after it.

pub mod invariants;
pub mod ports;
pub mod rng;
pub mod sched;
pub mod world;

use sched::{FaultCounts, Sched};
use world::{Options, Run, World};

/// What one schedule did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub faults: FaultCounts,
    pub invocations: usize,
    pub dead_lettered: usize,
    pub documents: usize,
    pub refusals: usize,
    pub notifications: usize,
    pub audit_reads: usize,
}

/// Runs the schedule `seed` and checks the invariants.
pub fn run_schedule(
    seed: u64,
    options: Options,
    scratch: &std::path::Path,
    trace: bool,
) -> Result<Summary, String> {
    let world = World::default();
    world
        .bucket
        .objects
        .governance_default
        .store(seed.is_multiple_of(2), std::sync::atomic::Ordering::SeqCst);
    // The processor bypasses governance retention, as in prod.
    world
        .bucket
        .objects
        .bypass_governance
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let sched = Sched::new(seed, options.rates);
    sched.set_trace(trace);
    let run = Run::new(&world, &sched, options, scratch);
    let result = run.run().and_then(|()| invariants::check(&world));
    let summary = Summary {
        faults: sched.counts(),
        invocations: world.invocations.load(std::sync::atomic::Ordering::SeqCst),
        dead_lettered: world
            .dead_lettered
            .load(std::sync::atomic::Ordering::SeqCst),
        documents: options.documents,
        refusals: world
            .documents
            .items
            .lock()
            .map(|i| i.values().map(|d| d.refused_versions.len()).sum())
            .unwrap_or(0),
        notifications: world
            .published
            .published
            .lock()
            .map(|p| p.len())
            .unwrap_or(0),
        audit_reads: world.audit_reads.lock().map(|r| r.len()).unwrap_or(0),
    };
    result.map(|()| summary)
}
