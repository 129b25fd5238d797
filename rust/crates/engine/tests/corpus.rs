//! Runs every file of the generated corpus (scripts/gen-fixtures.py) through
//! the engine and checks the exact verdict, reason code and key metadata.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use docproc_engine::{inspect_file, Declared, Limits, Verdict};
use serde_json::Value;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(corpus_dir().join("manifest.json"))
        .expect("manifest.json (run scripts/gen-fixtures.py)");
    serde_json::from_str::<Vec<Value>>(&text).expect("manifest is a JSON array")
}

#[test]
fn corpus_has_enough_benign_and_hostile_files() {
    let m = manifest();
    let benign = m.iter().filter(|e| e["verdict"] == "ACCEPTED").count();
    assert!(benign >= 20, "only {benign} benign fixtures");
    assert!(
        m.len() - benign >= 25,
        "only {} hostile fixtures",
        m.len() - benign
    );
}

#[test]
fn every_fixture_gets_its_expected_verdict() {
    let mut failures = Vec::new();
    for entry in manifest() {
        let file = entry["file"].as_str().expect("file");
        let declared = Declared::new(
            entry["filename"].as_str().expect("filename"),
            entry["declared_type"].as_str().expect("declared_type"),
        );
        let report = inspect_file(&corpus_dir().join(file), &declared, &Limits::default())
            .expect("readable fixture");
        let got = serde_json::to_value(&report).expect("report serialises");
        let mut problems = Vec::new();
        if got["verdict"] != entry["verdict"] {
            problems.push(format!(
                "verdict {} (expected {})",
                got["verdict"], entry["verdict"]
            ));
        }
        if let Some(reason) = entry.get("reason") {
            if &got["reason"] != reason {
                problems.push(format!(
                    "reason {} (expected {reason}): {}",
                    got["reason"], got["message"]
                ));
            }
        }
        if let Some(format) = entry.get("format") {
            if &got["format"] != format {
                problems.push(format!("format {} (expected {format})", got["format"]));
            }
        }
        if let Some(detected) = entry.get("detected") {
            if &got["detected"] != detected {
                problems.push(format!(
                    "detected {} (expected {detected})",
                    got["detected"]
                ));
            }
        }
        if let Some(expected) = entry["metadata"].as_object() {
            for (key, value) in expected {
                if &got["metadata"][key] != value {
                    problems.push(format!(
                        "metadata.{key} = {} (expected {value})",
                        got["metadata"][key]
                    ));
                }
            }
        }
        if let Verdict::Rejected(r) = &report.verdict {
            assert!(!r.message.is_empty(), "{file}: rejection without a message");
        }
        if !problems.is_empty() {
            failures.push(format!("{file}: {}", problems.join("; ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures misjudged:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
