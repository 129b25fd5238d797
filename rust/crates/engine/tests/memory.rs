//! Peak memory for decompression and pixel bombs stays bounded. Alone in its
//! own test binary (one test) so the process high-water mark is ours.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use docproc_engine::{inspect_file, Declared, Limits};
use std::path::PathBuf;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn bombs_are_rejected_with_bounded_peak_memory() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let before = peak_rss_kib();
    for (file, mime, reason) in [
        (
            "zip-bomb.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "zip_compression_ratio",
        ),
        (
            "pdf-stream-bomb.pdf",
            "application/pdf",
            "pdf_stream_too_large",
        ),
        (
            "pdf-objstm-bomb.pdf",
            "application/pdf",
            "pdf_stream_too_large",
        ),
        ("png-pixel-bomb.png", "image/png", "pixel_limit"),
        ("jpeg-pixel-bomb.jpg", "image/jpeg", "pixel_limit"),
    ] {
        let report = inspect_file(
            &dir.join(file),
            &Declared::new(file, mime),
            &Limits::default(),
        )
        .expect("fixture");
        assert_eq!(
            report.verdict.reason().map(|r| r.as_str()),
            Some(reason),
            "{file}"
        );
    }
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    // The bombs expand to 64-100 MiB (or gigapixels); holding any of them
    // would blow far past this.
    assert!(
        grown_mib <= 32,
        "peak RSS grew by {grown_mib} MiB while rejecting bombs"
    );
}
