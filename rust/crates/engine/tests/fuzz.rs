//! Property test: random bytes and mutated corpus files never panic and always
//! get a verdict within the time budget. More cases: PROPTEST_CASES=100000.
//! A coverage-guided target lives in rust/fuzz (cargo fuzz run inspect).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use docproc_engine::{inspect, Declared, Limits};
use proptest::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn seeds() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e != "json")
                && std::fs::metadata(p)
                    .map(|m| m.len() < 256 * 1024)
                    .unwrap_or(false)
        })
        .map(|p| std::fs::read(p).expect("fixture"))
        .collect()
}

/// 2000 cases per property with a fixed seed, so CI is reproducible;
/// PROPTEST_CASES and PROPTEST_RNG_SEED explore further.
fn config() -> ProptestConfig {
    let mut c = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 2000;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = proptest::test_runner::RngSeed::Fixed(0x00d0_c9c0);
    }
    c
}

const BUDGET: Duration = Duration::from_secs(2);

fn limits() -> Limits {
    Limits {
        time_budget: BUDGET,
        ..Limits::default()
    }
}

fn check(data: &[u8], mime: &str) {
    let started = Instant::now();
    let src: &[u8] = data;
    let verdict = inspect(&src, &Declared::new("input.bin", mime), &limits());
    let elapsed = started.elapsed();
    // The budget is checked inside loops; allow one loop iteration of slack.
    assert!(
        elapsed < BUDGET + Duration::from_millis(500),
        "took {elapsed:?}: {verdict:?}"
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096), mime_index in 0usize..4) {
        check(&data, ["application/pdf", "image/png", "text/plain", "application/json"][mime_index]);
    }

    #[test]
    fn mutated_corpus_files_never_panic(seed_index in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..16)) {
        let seeds = seeds();
        let mut data = seeds[seed_index.index(seeds.len())].clone();
        for (at, byte, op) in edits {
            if data.is_empty() { break; }
            let i = at.index(data.len());
            match op {
                0 => data[i] = byte,
                1 => data.truncate(i),
                2 => data.insert(i, byte),
                _ => { data.remove(i); }
            }
        }
        check(&data, "application/pdf");
    }
}
