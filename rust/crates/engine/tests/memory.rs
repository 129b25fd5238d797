//! Peak memory stays bounded and the time budget holds on hostile input:
//! decompression and pixel bombs from the corpus, and documents of hundreds
//! of MiB generated on the fly (never held in memory) that lie about their
//! own structure. A counting global allocator measures each case's peak heap;
//! the tests of this binary run one at a time (`serial`) so every
//! measurement and the process high-water mark are the case's own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic
#![allow(unsafe_code)] // the counting allocator

use docproc_engine::{inspect, inspect_file, Declared, Limits, Source, Verdict};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Count the new block before freeing the old: realloc may copy.
            grow(new_size);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

fn grow(n: usize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peak heap growth (bytes) while `f` runs.
fn peak_heap<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

const MIB: u64 = 1 << 20;
/// Every hostile case must stay under this much heap.
const HEAP_CAP: usize = 64 << 20;
/// "Hundreds of MiB": big enough that buffering any part whole blows the cap.
const HUGE: u64 = 300 * MIB;

/// A document generated on demand: literal pieces and long runs of a
/// repeated pattern. Only a 64 KiB tile per run is ever in memory.
struct Synth {
    parts: Vec<(u64, Vec<u8>, u64)>, // (start, tile or literal, length)
    len: u64,
    slow: Slow,
    reached_end: AtomicBool,
}

#[derive(Clone, Copy, PartialEq)]
enum Slow {
    Never,
    /// Every read sleeps this long.
    Always(Duration),
    /// Reads sleep once the whole document has been read through once: the
    /// first (encoding) pass is fast, the structural pass is slow.
    AfterFirstPass(Duration),
}

impl Synth {
    fn new() -> Self {
        Synth {
            parts: Vec::new(),
            len: 0,
            slow: Slow::Never,
            reached_end: AtomicBool::new(false),
        }
    }

    fn bytes(mut self, b: impl AsRef<[u8]>) -> Self {
        let b = b.as_ref().to_vec();
        let n = b.len() as u64;
        self.parts.push((self.len, b, n));
        self.len += n;
        self
    }

    /// `pattern` repeated up to `len` bytes (the last copy may be cut).
    fn repeat(mut self, pattern: impl AsRef<[u8]>, len: u64) -> Self {
        let pattern = pattern.as_ref();
        let mut tile = Vec::new();
        while tile.len() < 64 * 1024 {
            tile.extend_from_slice(pattern);
        }
        self.parts.push((self.len, tile, len));
        self.len += len;
        self
    }

    fn slow(mut self, slow: Slow) -> Self {
        self.slow = slow;
        self
    }
}

impl Source for Synth {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.slow {
            Slow::Always(d) => std::thread::sleep(d),
            Slow::AfterFirstPass(d) if self.reached_end.load(Ordering::Relaxed) => {
                std::thread::sleep(d)
            }
            _ => {}
        }
        let want = (buf.len() as u64).min(self.len.saturating_sub(offset)) as usize;
        let mut done = 0;
        for (start, data, len) in &self.parts {
            if done == want {
                break;
            }
            let at = offset + done as u64;
            if at >= start + len {
                continue;
            }
            let mut rel = at - start;
            while done < want && rel < *len {
                // Literals are used as they are; runs wrap around their tile
                // at a multiple of the pattern (the tile is whole patterns).
                let (src, from) = if *len == data.len() as u64 {
                    (&data[..], rel as usize)
                } else {
                    let period = data.len() as u64;
                    (&data[..], (rel % period) as usize)
                };
                let n = (src.len() - from)
                    .min(want - done)
                    .min((len - rel) as usize);
                buf[done..done + n].copy_from_slice(&src[from..from + n]);
                done += n;
                rel += n as u64;
            }
        }
        if offset + done as u64 >= self.len {
            self.reached_end.store(true, Ordering::Relaxed);
        }
        Ok(done)
    }
}

/// Runs one hostile case: its verdict, its peak heap and its wall time.
fn run(src: &Synth, filename: &str, mime: &str, limits: &Limits) -> (Verdict, usize, Duration) {
    let started = Instant::now();
    let (verdict, peak) = peak_heap(|| inspect(src, &Declared::new(filename, mime), limits));
    let took = started.elapsed();
    eprintln!(
        "{filename}: {} MiB document -> {:?} ({}), peak heap {:.1} MiB, {took:?}",
        src.len() / MIB,
        verdict.reason(),
        match &verdict {
            Verdict::Rejected(r) => r.message.as_str(),
            Verdict::Accepted { .. } => "accepted",
        },
        peak as f64 / MIB as f64
    );
    (verdict, peak, took)
}

fn assert_case(src: Synth, filename: &str, mime: &str, want: Option<&str>) {
    let _serial = serial();
    let (verdict, peak, _) = run(&src, filename, mime, &Limits::default());
    assert_eq!(verdict.reason().map(|r| r.as_str()), want, "{filename}");
    assert!(peak < HEAP_CAP, "{filename}: peak heap {} MiB", peak >> 20);
}

/// With a small budget and a source that gets slow, the engine gives up with
/// `too_complex` close to the budget instead of walking the whole document.
fn assert_budget_holds(src: Synth, filename: &str, mime: &str) {
    let _serial = serial();
    let budget = Duration::from_millis(500);
    let limits = Limits {
        time_budget: budget,
        ..Limits::default()
    };
    let (verdict, peak, took) = run(&src, filename, mime, &limits);
    assert_eq!(
        verdict.reason().map(|r| r.as_str()),
        Some("too_complex"),
        "{filename}"
    );
    assert!(
        took < budget + Duration::from_millis(1500),
        "{filename}: took {took:?} with a {budget:?} budget"
    );
    assert!(peak < HEAP_CAP, "{filename}: peak heap {} MiB", peak >> 20);
}

#[test]
fn xml_huge_text_node_is_rejected_in_bounded_memory() {
    let doc = Synth::new()
        .bytes("<doc>")
        .repeat("text ", HUGE)
        .bytes("</doc>");
    assert_case(doc, "huge-text.xml", "application/xml", Some("too_complex"));
}

#[test]
fn xml_huge_comment_is_rejected_in_bounded_memory() {
    let doc = Synth::new()
        .bytes("<doc><!--")
        .repeat("<<>> ", HUGE)
        .bytes("--></doc>");
    assert_case(
        doc,
        "huge-comment.xml",
        "application/xml",
        Some("too_complex"),
    );
}

#[test]
fn xml_many_mid_sized_nodes_respect_the_time_budget() {
    // 64 comments of 1 MiB: each under the event cap, together far beyond
    // the budget when the source is slow.
    let doc = Synth::new()
        .bytes("<doc>")
        .repeat(format!("<!--{}-->", "c".repeat(MIB as usize - 7)), 64 * MIB)
        .bytes("</doc>")
        .slow(Slow::AfterFirstPass(Duration::from_millis(20)));
    assert_budget_holds(doc, "slow.xml", "application/xml");
}

#[test]
fn json_huge_string_is_accepted_in_bounded_memory() {
    let doc = Synth::new().bytes("[\"").repeat("abcd", HUGE).bytes("\"]");
    assert_case(doc, "huge-string.json", "application/json", None);
}

#[test]
fn json_huge_invalid_string_is_rejected_in_bounded_memory() {
    // The flaw (an unpaired surrogate escape) sits after 300 MiB of string.
    let doc = Synth::new()
        .bytes("{\"k\": \"")
        .repeat("\\u00e9 ", HUGE / 7 * 7)
        .bytes("\\ud800\"}");
    assert_case(
        doc,
        "bad-string.json",
        "application/json",
        Some("malformed"),
    );
}

#[test]
fn json_long_array_respects_the_time_budget() {
    let doc = Synth::new()
        .bytes("[")
        .repeat("0,", 64 * MIB)
        .bytes("0]")
        .slow(Slow::AfterFirstPass(Duration::from_millis(20)));
    assert_budget_holds(doc, "slow.json", "application/json");
}

#[test]
fn csv_header_with_millions_of_columns_is_rejected_in_bounded_memory() {
    // 3 million short column names (26 MiB), then 300 MiB of rows.
    let doc = Synth::new()
        .repeat("col_abcd,", 3_000_000 * 9)
        .bytes("last\n")
        .repeat("1,2\n", HUGE);
    assert_case(doc, "wide.csv", "text/csv", Some("too_complex"));
}

#[test]
fn csv_huge_header_field_is_rejected_in_bounded_memory() {
    let doc = Synth::new()
        .bytes("\"")
        .repeat("header ", HUGE)
        .bytes("\",b\n1,2\n");
    assert_case(doc, "long-header.csv", "text/csv", Some("too_complex"));
}

/// A ZIP whose end record claims a central directory of `cd_size` bytes
/// starting right after a stub local header: the claim is consistent with
/// the file, so only the size itself can stop the engine.
fn zip_claiming_central_directory(entries: u16, cd_size: u32) -> Synth {
    let cd_offset = 30u32;
    let mut eocd = b"PK\x05\x06\0\0\0\0".to_vec();
    eocd.extend_from_slice(&entries.to_le_bytes());
    eocd.extend_from_slice(&entries.to_le_bytes());
    eocd.extend_from_slice(&cd_size.to_le_bytes());
    eocd.extend_from_slice(&cd_offset.to_le_bytes());
    eocd.extend_from_slice(&[0, 0]);
    let mut local = b"PK\x03\x04".to_vec();
    local.resize(cd_offset as usize, 0);
    Synth::new()
        .bytes(local)
        .repeat("PK\x01\x02", cd_size as u64)
        .bytes(eocd)
}

#[test]
fn zip_huge_central_directory_is_rejected_in_bounded_memory() {
    let doc = zip_claiming_central_directory(10_000, HUGE as u32);
    assert_case(
        doc,
        "huge-cd.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("too_complex"),
    );
}

#[test]
fn zip_central_directory_larger_than_its_entries_is_malformed() {
    let doc = zip_claiming_central_directory(1, HUGE as u32);
    assert_case(
        doc,
        "lying-cd.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("malformed"),
    );
}

#[test]
fn webp_chunk_walk_respects_the_time_budget() {
    // A valid 1x1 lossless header, then 8,000 empty chunks on a slow source.
    let chunks = 8_000u64;
    let riff_len = 4 + 13 + 1 + chunks * 8;
    let mut head = b"RIFF".to_vec();
    head.extend_from_slice(&(riff_len as u32).to_le_bytes());
    head.extend_from_slice(b"WEBPVP8L");
    head.extend_from_slice(&5u32.to_le_bytes());
    head.extend_from_slice(&[0x2f, 0, 0, 0, 0, 0]); // signature, 1x1, padding
    let doc = Synth::new()
        .bytes(head)
        .repeat(b"JUNK\0\0\0\0", chunks * 8)
        .slow(Slow::Always(Duration::from_millis(1)));
    assert_budget_holds(doc, "slow.webp", "image/webp");
}

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
    let _serial = serial();
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

#[test]
fn large_but_legitimate_text_documents_stay_accepted() {
    // Below every cap: a 3 MiB text node, and a 10,000-column CSV whose
    // header is reported (first 256 names) with its real column count.
    let xml = Synth::new()
        .bytes("<doc><p>")
        .repeat("text ", 3 * MIB)
        .bytes("</p></doc>");
    assert_case(xml, "big-node.xml", "application/xml", None);

    let _serial = serial();
    let mut header = (0..10_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    header.push('\n');
    let row = format!("{}1\n", "1,".repeat(9_999));
    let csv = Synth::new().bytes(header).repeat(row, 200 * 20_000);
    let (verdict, peak, _) = run(&csv, "wide-ok.csv", "text/csv", &Limits::default());
    let Verdict::Accepted { metadata, .. } = verdict else {
        panic!("wide-ok.csv rejected: {verdict:?}");
    };
    assert_eq!(metadata["columns"], 10_000);
    let names = metadata["header"].as_array().expect("header names");
    assert_eq!(names.len(), 256);
    assert_eq!(names[0], "c0");
    assert_eq!(names[255], "c255");
    assert!(peak < HEAP_CAP, "wide-ok.csv: peak heap {} MiB", peak >> 20);
}
