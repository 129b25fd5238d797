//! `docproc-sim [--schedules N] [--seed S] [--documents D] [--trace]`: runs schedules
//! S, S+1, … S+N-1 and checks every invariant after each. On a violation it
//! prints the seed and the command that replays it, and exits 1.

use docproc_sim::invariants::INVARIANTS;
use docproc_sim::world::Options;
use docproc_sim::{run_schedule, Summary};
use std::process::ExitCode;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or(format!("{name} takes a whole number")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        Ok::<_, String>((
            arg(&args, "--schedules", 10_000)?,
            arg(&args, "--seed", 1)?,
            arg(&args, "--documents", 2)?,
        ))
    })();
    let (schedules, first_seed, documents) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("docproc-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let options = Options {
        documents: documents as usize,
        ..Options::default()
    };
    let scratch = std::env::temp_dir();
    let trace = args.iter().any(|a| a == "--trace");
    let started = Instant::now();
    let mut total = Summary::default();
    for seed in first_seed..first_seed + schedules {
        match run_schedule(seed, options, &scratch, trace) {
            Ok(s) => {
                total.faults.port_calls += s.faults.port_calls;
                total.faults.transients += s.faults.transients;
                total.faults.crashes += s.faults.crashes;
                total.invocations += s.invocations;
                total.dead_lettered += s.dead_lettered;
                total.documents += s.documents;
                total.refusals += s.refusals;
                total.notifications += s.notifications;
                total.audit_reads += s.audit_reads;
            }
            Err(violation) => {
                println!("schedule {seed} broke an invariant: {violation}");
                println!(
                    "replay it (--trace prints every port call): cargo run -p docproc-sim -- --seed {seed} --schedules 1 --documents {documents}"
                );
                println!("0 passed, 1 failed");
                return ExitCode::FAILURE;
            }
        }
    }
    println!(
        "{schedules} schedules (seeds {first_seed}..{}) in {:.1} s: {} documents, {} processor invocations, {} port calls, {} throttles, {} crashes, {} dead-lettered and redriven, {} refused uploads, {} notifications, {} audit reads during the run",
        first_seed + schedules - 1,
        started.elapsed().as_secs_f64(),
        total.documents,
        total.invocations,
        total.faults.port_calls,
        total.faults.transients,
        total.faults.crashes,
        total.dead_lettered,
        total.refusals,
        total.notifications,
        total.audit_reads,
    );
    println!("invariants held after every schedule:");
    for invariant in INVARIANTS {
        println!("  - {invariant}");
    }
    println!("simulation: {schedules} passed, 0 failed");
    ExitCode::SUCCESS
}
