//! `docproc inspect` end to end, as an operator runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use assert_cmd::Command;
use std::path::PathBuf;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/engine/tests/corpus")
        .join(name)
}

fn docproc() -> Command {
    Command::cargo_bin("docproc").expect("docproc binary")
}

#[test]
fn accepted_document_prints_json_and_exits_zero() {
    let out = docproc()
        .arg("inspect")
        .arg(corpus("one-page.pdf"))
        .arg("--content-type")
        .arg("application/pdf")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "ACCEPTED");
    assert_eq!(report["format"], "pdf");
    assert_eq!(report["metadata"]["pages"], 1);
    assert_eq!(report["sha256"].as_str().map(str::len), Some(64));
}

#[test]
fn rejected_document_exits_three_with_reason() {
    let out = docproc()
        .arg("inspect")
        .arg(corpus("zip-slip.docx"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "REJECTED");
    assert_eq!(report["reason"], "zip_unsafe_path");
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = docproc()
        .arg("inspect")
        .arg("/nonexistent/x.pdf")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read /nonexistent/x.pdf"),
        "{stderr}"
    );
}
