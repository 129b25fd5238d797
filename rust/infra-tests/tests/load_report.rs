//! The `docproc load` HTML report in a real browser: Debian's Chromium
//! (`/usr/bin/chromium`, or `$CHROMIUM`; scripts/bootstrap installs it) opens
//! the file headless with no network, and the DOM it dumps must show the
//! script ran and drew, on each plot, exactly the numbers this test computes
//! from its own samples. A screenshot must show the plots painted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test: a failure is a test failure

use docproc_load::report::render_html;
use docproc_load::{
    Check, Expected, FaultWindow, LoadReport, Outcome, Sample, Summary, UploadKind,
};
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A hostile fixture name, target, error code and check: they must stay text.
const HOSTILE_FIXTURE: &str = "</script><script>alert(1)</script>";
const HOSTILE_TARGET: &str = "dev <img src=x onerror=alert(2)>";
const HOSTILE_CODE: &str = "<!--<b>bold</b>";

/// How long one Chromium run may take before it is killed.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------- the data

/// xorshift64*: repeatable numbers without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A run of `n` documents over about a minute: API latency 30-450 ms with a
/// tail, and one call in a hundred retried through throttles for 8-60 s (as
/// a real run's are), 0.6-6 s to a terminal status with a tail, a few
/// rejected (as expected, and one not), failed uploads with several codes
/// and timeouts.
fn realistic(n: usize) -> LoadReport {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let codes = ["throttled", "http_503", "network", HOSTILE_CODE];
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let r = rng.next();
        let sent_at_ms = (i as f64 * 60_000.0 / n.max(1) as f64 + rng.next() * 20.0).round();
        let mut api_ms =
            Some(30.0 + (rng.next() * 120.0).round() + (rng.next().powi(8) * 300.0).round());
        if rng.next() < 0.01 {
            api_ms = Some(8_000.0 + (rng.next() * 52_000.0).round());
        }
        let mut terminal_ms = Some(
            (600.0 + rng.next() * 3_000.0 + rng.next().powi(6) * 3_000.0).round() / 1.0 + 0.25,
        );
        let (expected, outcome) = if r < 0.04 {
            let reason = if r < 0.039 { "zip_bomb" } else { "malformed" };
            (
                Expected::Reject {
                    reason: "zip_bomb".into(),
                },
                Outcome::Rejected {
                    reason: reason.into(),
                },
            )
        } else if r < 0.052 {
            api_ms = None;
            terminal_ms = None;
            let code = codes[i % codes.len()];
            (
                Expected::Accept,
                Outcome::UploadFailed { code: code.into() },
            )
        } else if r < 0.058 {
            terminal_ms = None;
            (Expected::Accept, Outcome::TimedOut)
        } else {
            (Expected::Accept, Outcome::Processed)
        };
        samples.push(Sample {
            fixture: match i % 50 {
                3 => HOSTILE_FIXTURE.into(),
                k if k < 25 => "pdf-small".into(),
                _ => "docx-medium".into(),
            },
            document_id: api_ms.map(|_| format!("doc-{i:05}")),
            bytes: 20_000 + (rng.next() * 2_000_000.0) as u64,
            upload: if i % 3 == 0 {
                UploadKind::Presigned
            } else {
                UploadKind::Inline
            },
            sent_at_ms,
            api_ms,
            terminal_ms,
            expected,
            outcome,
            retries: u32::from(rng.next() < 0.03),
        });
    }
    let duration_s = samples
        .iter()
        .map(|s| s.sent_at_ms + s.terminal_ms.unwrap_or(0.0))
        .fold(0.0, f64::max)
        / 1000.0;
    LoadReport {
        target: HOSTILE_TARGET.into(),
        started_at: "2026-03-04T05:06:07Z".into(),
        concurrency: 16,
        summary: Summary::of(&samples, duration_s),
        checks: vec![
            Check {
                name: "exactly one terminal status per document".into(),
                passed: true,
                detail: format!("{n} documents"),
            },
            Check {
                name: "dead-letter queues empty".into(),
                passed: false,
                detail: "processor DLQ: 1 message \"><script>alert(3)</script>".into(),
            },
        ],
        // An outage from 12 s to 27 s of the minute-long run.
        fault_windows: vec![FaultWindow {
            faults: vec!["table-outage".into(), "processor-crash".into()],
            from_ms: 12_000.0,
            to_ms: 27_000.0,
        }],
        samples,
    }
}

fn terminal(s: &Sample) -> Option<f64> {
    s.terminal_ms.filter(|v| v.is_finite())
}

// ---------------------------------------------------------------- Chromium

fn chromium() -> PathBuf {
    let bin = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/bootstrap (it installs Debian's pinned chromium), or set CHROMIUM=/path/to/chromium",
        bin.display()
    );
    bin
}

/// Runs headless Chromium on `page` with `extra` flags, in its own process
/// group with a fresh profile, no network and a deadline; returns stdout.
fn run_chromium(page: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("could not start chromium ({e}): run scripts/bootstrap"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    for (which, mut pipe) in [
        (
            0,
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        ),
        (1, Box::new(child.stderr.take().unwrap())),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((which, buf));
        });
    }
    // Killing the whole group: Chromium's renderer and utility processes too.
    let kill_group = || {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
    };
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            kill_group();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_TIMEOUT:?}; killed it");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // stdout and stderr close once every process of the browser has exited; a
    // helper still holding them after that is killed (so its group still exists).
    let mut out = [Vec::new(), Vec::new()];
    for _ in 0..2 {
        let received = rx.recv_timeout(Duration::from_secs(15)).or_else(|_| {
            kill_group();
            rx.recv_timeout(Duration::from_secs(5))
        });
        if let Ok((which, buf)) = received {
            out[which] = buf;
        }
    }
    let [stdout, stderr] = out.map(|b| String::from_utf8_lossy(&b).into_owned());
    assert!(status.success(), "chromium failed ({status}):\n{stderr}");
    if extra.iter().any(|a| a == "--dump-dom") {
        assert!(
            stdout.contains("</html>"),
            "chromium dumped no DOM:\n{stderr}"
        );
    }
    stdout
}

fn write_page(dir: &Path, report: &LoadReport) -> PathBuf {
    let page = dir.join("report.html");
    std::fs::write(&page, render_html(report)).unwrap();
    page
}

fn dump_dom(report: &LoadReport) -> Dom {
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), report);
    Dom(run_chromium(&page, &["--dump-dom".to_string()]))
}

// ---------------------------------------------------------------- the DOM

/// The serialised DOM Chromium printed, and just enough of a reader for the
/// elements this page draws (double-quoted attributes, no nesting needed).
struct Dom(String);

#[derive(Debug)]
struct El(BTreeMap<String, String>);

impl El {
    fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.0))
    }
    fn num(&self, name: &str) -> f64 {
        self.get(name)
            .parse()
            .unwrap_or_else(|e| panic!("{name}={:?}: {e}", self.get(name)))
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Every `<tag ...>` start tag in `html`, with its attributes.
fn start_tags(html: &str, tag: &str) -> Vec<El> {
    let open = format!("<{tag}");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at + open.len()..];
        if !rest.starts_with([' ', '>']) {
            continue;
        }
        let end = rest.find('>').unwrap();
        let mut attrs = BTreeMap::new();
        let mut a = &rest[..end];
        while let Some(eq) = a.find("=\"") {
            let name = a[..eq].trim().to_string();
            let close = a[eq + 2..].find('"').unwrap();
            attrs.insert(name, unescape(&a[eq + 2..eq + 2 + close]));
            a = &a[eq + 2 + close + 1..];
        }
        found.push(El(attrs));
        rest = &rest[end..];
    }
    found
}

impl Dom {
    fn body(&self) -> El {
        start_tags(&self.0, "body").remove(0)
    }

    /// The `<svg id=...>` element and the markup inside it.
    fn svg(&self, id: &str) -> (El, &str) {
        let open = format!("<svg id=\"{id}\"");
        let at = self
            .0
            .find(&open)
            .unwrap_or_else(|| panic!("no plot #{id} in the DOM"));
        let len = self.0[at..].find("</svg>").unwrap();
        let markup = &self.0[at..at + len];
        (start_tags(markup, "svg").remove(0), markup)
    }

    fn bars(&self, id: &str) -> (El, Vec<El>) {
        let (svg, markup) = self.svg(id);
        let bars = start_tags(markup, "rect")
            .into_iter()
            .filter(|r| r.0.get("class").is_some_and(|c| c == "bar"))
            .collect::<Vec<_>>();
        assert_eq!(
            svg.num("data-points") as usize,
            bars.len(),
            "#{id}: data-points against bars drawn"
        );
        (svg, bars)
    }

    /// The shaded fault windows of a plot over time.
    fn fault_bands(&self, id: &str) -> Vec<El> {
        let (svg, markup) = self.svg(id);
        let bands: Vec<El> = start_tags(markup, "rect")
            .into_iter()
            .filter(|r| r.0.get("class").is_some_and(|c| c == "fault"))
            .collect();
        assert_eq!(svg.num("data-faults") as usize, bands.len(), "#{id}");
        bands
    }

    fn points(&self, id: &str) -> (El, Vec<El>) {
        let (svg, markup) = self.svg(id);
        let points = start_tags(markup, "circle");
        assert_eq!(svg.num("data-points") as usize, points.len(), "#{id}");
        (svg, points)
    }

    fn text_of(&self, id: &str) -> String {
        let (_, markup) = self.svg(id);
        let mut text = String::new();
        for chunk in markup.split('>').skip(1) {
            text.push_str(&unescape(chunk.split('<').next().unwrap_or("")));
            text.push(' ');
        }
        text
    }
}

// ---------------------------------------------------------------- checks

fn assert_rendered(dom: &Dom) {
    let body = dom.body();
    assert_eq!(
        body.get("data-rendered"),
        "ok",
        "the report's script did not finish:\n{}",
        start_tags(&dom.0, "p")
            .iter()
            .map(|p| format!("{:?}", p.0))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        body.get("data-styled"),
        "yes",
        "the stylesheet was not applied (its CSP hash?)"
    );
    let error = start_tags(&dom.0, "p")
        .into_iter()
        .find(|p| p.0.get("id").is_some_and(|id| id == "render-error"))
        .expect("the error box");
    assert!(error.0.contains_key("hidden"), "the error box is shown");
}

/// The histogram (or throughput) bars of `id`: contiguous half-open bins
/// (from zero for throughput) whose counts are this test's own counts of
/// `values` in each.
fn assert_histogram(dom: &Dom, id: &str, values: &[f64], from_zero: bool) -> Vec<El> {
    let (_, bars) = dom.bars(id);
    if values.is_empty() {
        assert!(bars.is_empty(), "#{id}");
        return bars;
    }
    assert!(
        !bars.is_empty() && bars.len() <= 61,
        "#{id}: {} bins",
        bars.len()
    );
    if from_zero {
        assert_eq!(bars[0].num("data-start"), 0.0, "#{id}");
    }
    for pair in bars.windows(2) {
        assert_eq!(pair[0].num("data-end"), pair[1].num("data-start"), "#{id}");
    }
    let mut total = 0;
    for bar in &bars {
        let (lo, hi) = (bar.num("data-start"), bar.num("data-end"));
        let ours = values.iter().filter(|v| lo <= **v && **v < hi).count();
        assert_eq!(
            bar.num("data-value") as usize,
            ours,
            "#{id}: bin [{lo}, {hi})"
        );
        total += ours;
    }
    assert_eq!(total, values.len(), "#{id}: every value in a bin");
    bars
}

/// Latency bars on a log axis: each bar starts where the log of its lower
/// edge puts it, and at any spread the values are readable: a tail of slow
/// calls does not leave every other call in one bar (more than half of
/// them), as equal-width bins from zero did.
fn assert_log_axis(id: &str, bars: &[El], values: &[f64]) {
    let (Some(first), Some(last)) = (bars.first(), bars.last()) else {
        return;
    };
    let (lo, hi) = (first.num("data-start"), last.num("data-end"));
    let left = first.num("x") - 0.5;
    let right = last.num("x") + last.num("width") + 0.5;
    let per_decade = (right - left) / (hi / lo).log10();
    for bar in bars {
        let want = left + per_decade * (bar.num("data-start") / lo).log10();
        assert!(
            (bar.num("x") - 0.5 - want).abs() < 0.5,
            "#{id}: bar {bar:?} at {}, on a log axis at {want}",
            bar.num("x")
        );
    }
    let spread = values.iter().copied().fold(0.0, f64::max)
        / values.iter().copied().fold(f64::INFINITY, f64::min);
    if values.len() >= 100 && spread >= 10.0 {
        let fullest = bars.iter().map(|b| b.num("data-value")).fold(0.0, f64::max);
        assert!(
            fullest <= values.len() as f64 / 2.0 && bars.len() >= 6,
            "#{id}: {} bins, the fullest holds {fullest} of {} values",
            bars.len(),
            values.len()
        );
    }
}

/// Bar heights proportional to `value(bar)` (the SVG drew the numbers).
fn assert_heights_proportional(id: &str, bars: &[El], value: impl Fn(&El) -> f64) {
    let Some(tallest) = bars
        .iter()
        .max_by(|a, b| value(a).total_cmp(&value(b)))
        .filter(|b| value(b) > 0.0)
    else {
        return;
    };
    let per_unit = tallest.num("height") / value(tallest);
    for bar in bars {
        let want = value(bar) * per_unit;
        assert!(
            (bar.num("height") - want).abs() < 0.01,
            "#{id}: height {} for {} (want {want})",
            bar.num("height"),
            value(bar)
        );
    }
}

fn own_status_counts(report: &LoadReport) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> =
        ["PROCESSED", "REJECTED", "UPLOAD_FAILED", "TIMED_OUT"]
            .into_iter()
            .map(|l| (l.to_string(), 0))
            .collect();
    for s in &report.samples {
        *counts.entry(s.outcome.label().to_string()).or_default() += 1;
    }
    counts
}

/// Everything the DOM must show for `report`, computed from its samples.
fn assert_plots_match(dom: &Dom, report: &LoadReport) {
    assert_rendered(dom);
    let samples = &report.samples;

    // (d) statuses, in the order PROCESSED, REJECTED, UPLOAD_FAILED, TIMED_OUT.
    let (_, bars) = dom.bars("plot-status");
    let counts = own_status_counts(report);
    let drawn: Vec<(String, usize)> = bars
        .iter()
        .map(|b| {
            (
                b.get("data-label").to_string(),
                b.num("data-value") as usize,
            )
        })
        .collect();
    let order = ["PROCESSED", "REJECTED", "UPLOAD_FAILED", "TIMED_OUT"];
    let want: Vec<(String, usize)> = order.iter().map(|l| (l.to_string(), counts[*l])).collect();
    assert_eq!(drawn, want, "#plot-status");
    assert_heights_proportional("plot-status", &bars, |b| b.num("data-value"));

    // (a) histograms.
    let term: Vec<f64> = samples.iter().filter_map(terminal).collect();
    let api: Vec<f64> = samples.iter().filter_map(|s| s.api_ms).collect();
    for (id, values) in [("plot-hist-terminal", &term), ("plot-hist-api", &api)] {
        let bars = assert_histogram(dom, id, values, false);
        assert_heights_proportional(id, &bars, |b| b.num("data-value"));
        assert_log_axis(id, &bars, values);
    }

    // (c) throughput: terminal statuses per time bucket.
    let done: Vec<f64> = samples
        .iter()
        .filter_map(|s| terminal(s).map(|t| s.sent_at_ms + t))
        .collect();
    let bars = assert_histogram(dom, "plot-throughput", &done, true);
    for bar in &bars {
        let seconds = (bar.num("data-end") - bar.num("data-start")) / 1000.0;
        let rate = bar.num("data-value") / seconds;
        assert!((bar.num("data-rate") - rate).abs() < 1e-6 * rate.max(1.0));
    }
    assert_heights_proportional("plot-throughput", &bars, |b| b.num("data-rate"));

    // (b) latency over time: every document with a terminal status, or an
    // even sample of at most 2,500 of them.
    let (svg, points) = dom.points("plot-latency-time");
    let mut ours: Vec<(u64, u64, String)> = samples
        .iter()
        .filter_map(|s| {
            terminal(s).map(|t| {
                (
                    s.sent_at_ms.to_bits(),
                    t.to_bits(),
                    s.outcome.label().to_string(),
                )
            })
        })
        .collect();
    if ours.len() > 2_500 {
        assert_eq!(points.len(), 2_500, "#plot-latency-time");
        assert_eq!(svg.num("data-total") as usize, ours.len());
        assert!(
            dom.text_of("plot-latency-time").contains(&format!(
                "showing 2500 of {} documents, sampled evenly",
                ours.len()
            )),
            "{}",
            dom.text_of("plot-latency-time")
        );
        let n = ours.len();
        ours = (0..2_500).map(|i| ours[i * n / 2_500].clone()).collect();
    }
    let mut drawn: Vec<(u64, u64, String)> = points
        .iter()
        .map(|p| {
            (
                p.num("data-x").to_bits(),
                p.num("data-y").to_bits(),
                p.get("data-label").to_string(),
            )
        })
        .collect();
    ours.sort();
    drawn.sort();
    assert_eq!(drawn, ours, "#plot-latency-time: the points drawn");
    if !ours.is_empty() {
        // Later sends are further right; longer latencies higher up (smaller y).
        let by_x = points
            .iter()
            .max_by(|a, b| a.num("data-x").total_cmp(&b.num("data-x")))
            .unwrap();
        let by_y = points
            .iter()
            .max_by(|a, b| a.num("data-y").total_cmp(&b.num("data-y")))
            .unwrap();
        assert!(points.iter().all(|p| p.num("cx") <= by_x.num("cx") + 0.01));
        assert!(points.iter().all(|p| p.num("cy") >= by_y.num("cy") - 0.01));
    }

    // Fault windows: one band per window on both plots over time, placed on
    // their time axis: what happened before a window is left of its band,
    // what happened after it right of it.
    for (id, marks, when) in [
        ("plot-latency-time", points, "data-x"),
        (
            "plot-throughput",
            dom.bars("plot-throughput").1,
            "data-start",
        ),
    ] {
        if marks.is_empty() {
            continue; // an empty plot draws nothing, bands included
        }
        let bands = dom.fault_bands(id);
        // The plot's time range: from zero (scatter) or its first bucket.
        let span = |m: &El| match when {
            "data-x" => (0.0, m.num("data-x")),
            _ => (m.num("data-start"), m.num("data-end")),
        };
        let lo = marks
            .iter()
            .map(|m| span(m).0)
            .fold(f64::INFINITY, f64::min);
        let hi = marks.iter().map(|m| span(m).1).fold(0.0, f64::max);
        let shown: Vec<&FaultWindow> = report
            .fault_windows
            .iter()
            .filter(|w| w.to_ms.min(hi) > w.from_ms.max(lo))
            .collect();
        assert_eq!(bands.len(), shown.len(), "#{id}");
        for (band, w) in bands.iter().zip(shown) {
            assert_eq!(band.num("data-from"), w.from_ms, "#{id}");
            assert_eq!(band.num("data-to"), w.to_ms, "#{id}");
            assert_eq!(band.get("data-faults"), w.faults.join(", "));
            let (left, right) = (band.num("x"), band.num("x") + band.num("width"));
            assert!(right > left, "#{id}: an empty band");
            for m in &marks {
                let (x, end) = match when {
                    "data-x" => (m.num("cx"), m.num("cx")),
                    _ => (m.num("x"), m.num("x") + m.num("width")),
                };
                let (start_ms, end_ms) = match when {
                    "data-x" => (m.num("data-x"), m.num("data-x")),
                    _ => (m.num("data-start"), m.num("data-end")),
                };
                if end_ms <= w.from_ms {
                    assert!(
                        end <= left + 1.0,
                        "#{id}: {m:?} is right of the band at {left}"
                    );
                }
                if start_ms >= w.to_ms {
                    assert!(
                        x >= right - 1.0,
                        "#{id}: {m:?} is left of the band's end at {right}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- PNG

/// The RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium
/// writes), decoded with flate2: (width, height, pixels).
fn decode_png(png: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut width, mut height, mut channels) = (0, 0, 0);
    let mut idat = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!((data[8], data[12]), (8, 0), "8-bit, not interlaced");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("PNG colour type {other}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width * channels;
    assert_eq!(raw.len(), height * (stride + 1), "PNG data size");
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::with_capacity(width * height);
    for row in raw.chunks(stride + 1) {
        let filter = row[0];
        let mut cur = row[1..].to_vec();
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let add = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("PNG filter {other}"),
            };
            cur[i] = cur[i].wrapping_add(add);
        }
        pixels.extend(cur.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        prev = cur;
    }
    (width, height, pixels)
}

fn near(p: [u8; 3], hex: u32) -> bool {
    let want = [(hex >> 16) as u8, (hex >> 8) as u8, hex as u8];
    p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 8)
}

// ---------------------------------------------------------------- tests

/// 2,000 documents: the browser draws the measured numbers on every plot,
/// hostile strings stay text, and a screenshot shows the plots painted.
#[test]
fn chromium_draws_the_measured_numbers() {
    let report = realistic(2_000);
    let counts = own_status_counts(&report);
    assert!(
        counts["REJECTED"] > 20 && counts["UPLOAD_FAILED"] > 5 && counts["TIMED_OUT"] > 3,
        "{counts:?}"
    );
    assert!(report.summary.errors_by_code.len() >= 3);

    let dom = dump_dom(&report);
    assert_plots_match(&dom, &report);

    // Hostile strings: only the page's two scripts exist, nothing was injected.
    let lower = dom.0.to_ascii_lowercase();
    assert_eq!(
        lower.matches("<script").count(),
        2,
        "a string became a script"
    );
    assert!(!lower.contains("<img") && !lower.contains("<b>") && !lower.contains("<!--"));
    assert!(dom.0.contains("dev &lt;img src=x onerror=alert(2)&gt;"));
    // Two series on the scatter: a legend names both.
    let (_, markup) = dom.svg("plot-latency-time");
    let legend: Vec<String> = start_tags(markup, "g")
        .into_iter()
        .filter_map(|g| g.0.get("data-label").cloned())
        .collect();
    assert_eq!(legend, ["PROCESSED", "REJECTED"]);
    // Axes carry units.
    let text = dom.text_of("plot-hist-terminal");
    assert!(
        text.contains("upload to terminal (log scale)") && text.contains("documents"),
        "{text}"
    );
    // Every plot has its own letter.
    for (id, title) in [
        ("plot-hist-terminal", "(a) Upload-to-terminal latency"),
        ("plot-hist-api", "(b) API latency"),
        (
            "plot-latency-time",
            "(c) Upload-to-terminal latency over time",
        ),
        ("plot-throughput", "(d) Throughput"),
        ("plot-status", "(e) Documents by status"),
    ] {
        let text = dom.text_of(id);
        assert!(text.trim_start().starts_with(title), "#{id}: {text}");
    }
    assert!(dom.text_of("plot-throughput").contains("documents / s"));

    // The screenshot: the page painted, every plot's colour is on it.
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), &report);
    let shot = dir.path().join("report.png");
    run_chromium(
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,2400".to_string(),
        ],
    );
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot {}: {e}", shot.display()));
    if let Some(keep) = std::env::var_os("DOCPROC_KEEP_REPORT") {
        std::fs::copy(&page, Path::new(&keep).join("load-report.html")).unwrap();
        std::fs::copy(&shot, Path::new(&keep).join("load-report.png")).unwrap();
    }
    let (width, height, pixels) = decode_png(&png);
    assert_eq!((width, height), (1200, 2400));
    let inked = pixels.iter().filter(|p| p.iter().any(|c| *c < 235)).count();
    assert!(
        inked > pixels.len() / 50,
        "only {inked} of {} pixels are not white",
        pixels.len()
    );
    for (what, colour) in [
        ("terminal latency and throughput bars", 0x2b6cb0),
        ("API latency bars", 0x6b46c1),
        ("PROCESSED bar", 0x2f855a),
        ("REJECTED bar", 0xdd6b20),
        ("UPLOAD_FAILED bar", 0xc53030),
    ] {
        let n = pixels.iter().filter(|p| near(**p, colour)).count();
        assert!(
            n > 100,
            "{what} (#{colour:06x}): {n} pixels in the screenshot"
        );
    }
}

/// No documents, one, all uploads failed, and 12,000 (the scatter sampled).
#[test]
fn chromium_draws_edge_cases() {
    let mut one = realistic(1);
    let s = &mut one.samples[0];
    (s.expected, s.outcome) = (Expected::Accept, Outcome::Processed);
    (s.api_ms, s.terminal_ms) = (Some(87.0), Some(2_345.5));
    one.summary = Summary::of(&one.samples, 2.5);
    let mut failed = realistic(30);
    for s in &mut failed.samples {
        s.outcome = Outcome::UploadFailed {
            code: "network".into(),
        };
        s.api_ms = None;
        s.terminal_ms = None;
    }
    failed.summary = Summary::of(&failed.samples, 0.0);
    let large = realistic(12_000);
    for (name, report) in [
        ("no documents", realistic(0)),
        ("one document", one),
        ("all failed", failed),
        ("12,000 documents", large),
    ] {
        eprintln!("{name}: {} samples", report.samples.len());
        let dom = dump_dom(&report);
        assert_plots_match(&dom, &report);
        if report.samples.iter().all(|s| s.terminal_ms.is_none()) {
            assert!(
                dom.text_of("plot-latency-time")
                    .contains("no document reached a terminal status"),
                "{name}"
            );
        }
    }
}
