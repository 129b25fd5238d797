//! Engine throughput against raw SHA-256 of the same bytes, and peak RSS, for
//! documents of every kind users send, generated at bench time: 10 MiB and
//! 1 GiB text, a 1 GiB CSV ledger, a 1 GiB JSON export and the same records
//! as 1 GiB of JSON Lines, three PDFs (200,000 small objects with a classic
//! xref table, and again in object streams with an xref stream; 3000 pages
//! with content streams), photos of about 100 MiB (PNG, JPEG, TIFF) and
//! office files (a 300k-row XLSX, a 100k-paragraph DOCX, a 300k-row ODS;
//! also compared with inflating their entries once), measured in one run on
//! one machine.
//!
//!     cargo bench -p docproc-engine --bench throughput --profile lambda [-- --size-mib N]
//!
//! (`--profile lambda` builds the engine as the Lambda zips do; without it
//! the numbers are those of `--release`.)
//!
//! Each measurement runs in a child process (this binary re-executed) so the
//! peak RSS it reports (VmHWM) belongs to that measurement alone.

use docproc_engine::{inspect, inspect_file, sha256_file, Declared, FileSource, Limits, Verdict};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../tests/support/pdfgen.rs"]
mod pdfgen;

#[path = "../tests/support/docgen.rs"]
mod docgen;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

/// A UTF-8 log-like text document of exactly `bytes` bytes.
fn generate(path: &Path, bytes: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut written = 0u64;
    let mut i = 0u64;
    while written < bytes {
        let line = format!(
            "2026-11-28T00:00:{:02}Z INFO docproc request={i:016x} status=ok latency_ms={} café\n",
            i % 60,
            i % 997
        );
        let take = (bytes - written).min(line.len() as u64) as usize;
        out.write_all(&line.as_bytes()[..take])?;
        written += take as u64;
        i += 1;
    }
    out.flush()
}

fn declared_for(path: &Path) -> Declared {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("txt");
    let mime = match ext {
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        "json" => "application/json",
        "jsonl" => "application/jsonl",
        "png" => "image/png",
        "jpg" => "image/jpeg",
        "tif" => "image/tiff",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        _ => "text/plain",
    };
    Declared::new(format!("bench.{ext}"), mime)
}

fn child(mode: &str, path: &Path) {
    let declared = declared_for(path);
    let started = Instant::now();
    let detail = match mode {
        "sha256" => sha256_file(path)
            .map(|h| h[..12].to_string())
            .unwrap_or_else(|e| e.to_string()),
        "inflate" => docgen::inflate_entries(path)
            .map(|n| n.to_string())
            .unwrap_or_else(|e| e.to_string()),
        "engine" => {
            let src =
                FileSource::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
            format!(
                "{:?}",
                inspect(&src, &declared, &Limits::default()).reason()
            )
        }
        _ => inspect_file(path, &declared, &Limits::default())
            .map(|r| format!("{:?}", r.verdict.reason()))
            .unwrap_or_else(|e| e.to_string()),
    };
    let secs = started.elapsed().as_secs_f64();
    println!("{secs} {} {detail}", peak_rss_mib());
}

/// Rows comparing the engine with SHA-256 of the same file.
fn report(label: &str, path: &Path, mib: f64) {
    report_with(label, path, mib, false)
}

/// [`report`], plus inflating a container's entries once when `container`.
fn report_with(label: &str, path: &Path, mib: f64, container: bool) {
    // Warm the page cache so every measurement reads the same way.
    let _ = measure("sha256", path);
    let (sha_s, sha_rss) = measure("sha256", path);
    let mut rows = vec![("sha256 (sha2)", (sha_s, sha_rss))];
    if let Some(secs) = openssl_seconds(path) {
        rows.push(("openssl dgst", (secs, f64::NAN)));
    }
    if container {
        rows.push(("inflate entries", measure("inflate", path)));
    }
    rows.push(("engine", measure("engine", path)));
    rows.push(("hash+engine", measure("both", path)));
    for (mode, (secs, rss)) in rows {
        println!(
            "{:<18} {:<14} {:>9.3} {:>10.0} {:>12.1}% {:>14.1}",
            label,
            mode,
            secs,
            mib / secs,
            100.0 * sha_s / secs,
            rss
        );
    }
}

/// Generates a PDF and checks the engine accepts it with the right page
/// count before anything is timed.
fn generate_pdf(path: &Path, pages: u64, content_bytes: usize) -> f64 {
    generate_pdf_with(path, pages, |out| {
        pdfgen::write_pdf(out, pages, content_bytes)
    })
}

/// [`generate_pdf`] with any generator of `pages` pages.
fn generate_pdf_with(
    path: &Path,
    pages: u64,
    write: impl FnOnce(std::io::BufWriter<std::fs::File>) -> std::io::Result<pdfgen::Generated>,
) -> f64 {
    let file = std::fs::File::create(path).unwrap_or_else(|e| panic!("create: {e}"));
    let generated = write(std::io::BufWriter::with_capacity(1 << 20, file))
        .unwrap_or_else(|e| panic!("generate pdf: {e}"));
    let src = FileSource::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    match inspect(&src, &declared_for(path), &Limits::default()) {
        Verdict::Accepted { metadata, .. } if metadata.get("pages") == Some(&pages.into()) => {}
        other => panic!("generated PDF ({generated:?}) not accepted as expected: {other:?}"),
    }
    generated.bytes as f64 / (1u64 << 20) as f64
}

/// Runs of each measurement; the median is reported (the machine may be
/// shared, and one slow run should not decide a ratio).
const RUNS: usize = 3;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Median seconds and largest peak RSS of [`RUNS`] runs of `mode`.
fn measure(mode: &str, path: &Path) -> (f64, f64) {
    let runs: Vec<(f64, f64)> = (0..RUNS).map(|_| measure_once(mode, path)).collect();
    (
        median(runs.iter().map(|r| r.0).collect()),
        runs.iter().map(|r| r.1).fold(f64::NAN, f64::max),
    )
}

fn measure_once(mode: &str, path: &Path) -> (f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap_or_else(|_| PathBuf::from("throughput")))
        .args(["--child", mode])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("re-exec: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let secs = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let rss = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    (secs, rss)
}

/// Median wall time of `openssl dgst -sha256`, a second baseline, when
/// installed.
fn openssl_seconds(path: &Path) -> Option<f64> {
    let once = || {
        let started = Instant::now();
        let status = Command::new("openssl")
            .args(["dgst", "-sha256"])
            .arg(path)
            .stdout(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| started.elapsed().as_secs_f64())
    };
    let runs: Option<Vec<f64>> = (0..RUNS).map(|_| once()).collect();
    runs.map(median)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], Path::new(&args[3]));
        return;
    }
    let big_mib: u64 = args
        .iter()
        .position(|a| a == "--size-mib")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    println!("ratios are against sha2 in this run; the engine alone excludes hashing, hash+engine is `docproc inspect`; seconds are the median of {RUNS} runs");
    println!(
        "{:<18} {:<14} {:>9} {:>10} {:>13} {:>14}",
        "document", "measurement", "seconds", "MiB/s", "vs sha256", "peak RSS MiB"
    );
    for mib in [10, big_mib] {
        let path = dir.path().join(format!("doc-{mib}.txt"));
        generate(&path, mib << 20).unwrap_or_else(|e| panic!("generate: {e}"));
        report(&format!("{mib} MiB text"), &path, mib as f64);
    }
    let objects = dir.path().join("objects-200k.pdf");
    let mib = generate_pdf(&objects, 200_000, 0);
    report(&format!("pdf 200k obj {mib:.0}M"), &objects, mib);
    let packed = dir.path().join("objstm-200k.pdf");
    let mib = generate_pdf_with(&packed, 200_000, |out| {
        pdfgen::write_pdf_object_streams(out, 200_000)
    });
    report(&format!("pdf 200k objstm {mib:.0}M"), &packed, mib);
    let pages = dir.path().join("pages-3000.pdf");
    let mib = generate_pdf(&pages, 3000, 16 * 1024);
    report(&format!("pdf 3k pages {mib:.0}M"), &pages, mib);
    for path in [objects, packed, pages] {
        let _ = std::fs::remove_file(path);
    }

    let csv = dir.path().join("ledger.csv");
    let bytes = docgen::write_csv(&csv, big_mib << 20).unwrap_or_else(|e| panic!("csv: {e}"));
    accepted(&csv, "columns", 5);
    report(&format!("{} MiB csv", bytes >> 20), &csv, mib_of(bytes));
    let _ = std::fs::remove_file(&csv);

    let json = dir.path().join("export.json");
    let bytes = docgen::write_json(&json, big_mib << 20).unwrap_or_else(|e| panic!("json: {e}"));
    accepted(&json, "encoding", "utf-8");
    report(&format!("{} MiB json", bytes >> 20), &json, mib_of(bytes));
    let _ = std::fs::remove_file(&json);

    let jsonl = dir.path().join("export.jsonl");
    let (bytes, records) =
        docgen::write_json_lines(&jsonl, big_mib << 20).unwrap_or_else(|e| panic!("jsonl: {e}"));
    accepted(&jsonl, "records", records);
    report(&format!("{} MiB jsonl", bytes >> 20), &jsonl, mib_of(bytes));
    let _ = std::fs::remove_file(&jsonl);

    let png = dir.path().join("photo.png");
    let bytes = docgen::write_png(&png, 6000, 6000).unwrap_or_else(|e| panic!("png: {e}"));
    accepted(&png, "width", 6000);
    report(&format!("png 6000² {}M", bytes >> 20), &png, mib_of(bytes));
    let _ = std::fs::remove_file(&png);

    let jpeg = dir.path().join("photo.jpg");
    let bytes =
        docgen::write_jpeg(&jpeg, 12_000, 8_000, 100 << 20).unwrap_or_else(|e| panic!("jpeg: {e}"));
    accepted(&jpeg, "width", 12_000);
    report(
        &format!("jpeg 12000x8000 {}M", bytes >> 20),
        &jpeg,
        mib_of(bytes),
    );
    let _ = std::fs::remove_file(&jpeg);

    let tiff = dir.path().join("scan.tif");
    let bytes = docgen::write_tiff(&tiff, 6000, 6000).unwrap_or_else(|e| panic!("tiff: {e}"));
    accepted(&tiff, "width", 6000);
    report(
        &format!("tiff 6000² {}M", bytes >> 20),
        &tiff,
        mib_of(bytes),
    );
    let _ = std::fs::remove_file(&tiff);

    let xlsx = dir.path().join("ledger.xlsx");
    let (bytes, sheet) = docgen::write_xlsx(&xlsx, 300_000).unwrap_or_else(|e| panic!("xlsx: {e}"));
    accepted(&xlsx, "sheets", 1);
    report_container("xlsx 300k", &xlsx, bytes, sheet);

    let docx = dir.path().join("report.docx");
    let (bytes, body) = docgen::write_docx(&docx, 100_000).unwrap_or_else(|e| panic!("docx: {e}"));
    accepted(&docx, "title", "Report");
    report_container("docx 100k", &docx, bytes, body);

    let ods = dir.path().join("ledger.ods");
    let (bytes, content) = docgen::write_ods(&ods, 300_000).unwrap_or_else(|e| panic!("ods: {e}"));
    accepted(&ods, "title", "Ledger");
    report_container("ods 300k", &ods, bytes, content);
}

/// The rows of a container of `bytes` holding `inflated` bytes of its main
/// part, then removes it.
fn report_container(label: &str, path: &Path, bytes: u64, inflated: u64) {
    report_with(
        &format!("{label} {}M>{}M", bytes >> 20, inflated >> 20),
        path,
        mib_of(bytes),
        true,
    );
    let _ = std::fs::remove_file(path);
}

fn mib_of(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

/// The engine must accept a generated document (with `key` = `value` in its
/// metadata) before it is timed: a fast rejection is not throughput.
fn accepted(path: &Path, key: &str, value: impl Into<serde_json::Value>) {
    let src = FileSource::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let value = value.into();
    match inspect(&src, &declared_for(path), &Limits::default()) {
        Verdict::Accepted { metadata, .. } if metadata.get(key) == Some(&value) => {}
        other => panic!(
            "{} not accepted with {key} = {value}: {other:?}",
            path.display()
        ),
    }
}
