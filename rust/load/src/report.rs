//! Renders a [`LoadReport`](super::LoadReport) for people: a table for the
//! terminal and one self-contained HTML page with plots.
//!
//! [`render_table`] is plain ASCII text (no colours; control characters in
//! strings from the run are shown escaped): the target, size and speed of the
//! run, API and upload-to-terminal latency percentiles, status counts, errors by
//! code, retries and unexpected verdicts, one PASS/FAIL line per check and a
//! last line saying whether the run passed ([`LoadReport::passed`]).
//!
//! [`render_html`] is a single file that needs no network: its
//! Content-Security-Policy (`default-src 'none'`) forbids every fetch, and lets
//! run only the page's own inline script and style, pinned by their SHA-256.
//! The tables (summary, latency, statuses, errors, checks) are HTML rendered
//! here, every string escaped. The whole report is embedded as JSON in
//! `<script type="application/json" id="docproc-load-data">` with `<`, `>` and
//! `&` written as `\u003c`, `\u003e`, `\u0026` (still JSON, so `serde_json`
//! reads it back as is, and no string can close the element). The inline script
//! draws four SVG plots from that JSON in the browser:
//!
//! - (a), (b) histograms of upload-to-terminal latency (`#plot-hist-terminal`)
//!   and API latency (`#plot-hist-api`) on a log axis: contiguous half-open
//!   bins `[data-start, data-end)` with edges at 1, 2 and 5 times powers of
//!   ten (finer over fewer decades), so a tail of retried calls does not
//!   squeeze every other call into one bar;
//! - (c) upload-to-terminal latency (log axis) against send time
//!   (`#plot-latency-time`), a point per document by status, at most 2,500
//!   points (sampled evenly, and said so on the plot, beyond that);
//! - (d) throughput (`#plot-throughput`): documents reaching a terminal status
//!   (`sent_at_ms + terminal_ms`) per time bucket, as documents per second;
//! - (e) documents by status (`#plot-status`), one bar per outcome label.
//!
//! Each plot's `<svg>` has `data-points` (bars or points drawn) and each bar or
//! point carries `data-value` / `data-label` (bars) or `data-x` / `data-y` /
//! `data-label` (points), so a test can compare what the browser drew with the
//! measurements. Once everything is drawn the script sets
//! `<body data-rendered="ok">`; on an error it sets `data-rendered="error"` and
//! shows the message at the top of the page. Numbers that are not finite are
//! serialised as JSON `null` and left out of the plots.

use crate::measure::{LoadReport, Percentiles};
use docproc_core::document::checksum_sha256;
use std::fmt::Write as _;

/// The terminal summary of a run: aligned plain text, ending with the verdict.
pub fn render_table(report: &LoadReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let kv = |out: &mut String, key: &str, value: String| {
        let _ = writeln!(out, "{key:<22}{value}");
    };
    let _ = writeln!(out, "docproc load report");
    kv(&mut out, "target", plain(&report.target));
    kv(&mut out, "started", plain(&report.started_at));
    kv(
        &mut out,
        "documents",
        format!("{} ({})", s.documents, mib(s.bytes)),
    );
    kv(&mut out, "concurrency", report.concurrency.to_string());
    kv(&mut out, "duration", format!("{:.2} s", s.duration_s));
    kv(&mut out, "documents/s", format!("{:.2}", s.documents_per_s));
    kv(&mut out, "MiB/s", format!("{:.2}", s.mib_per_s));
    for w in &report.fault_windows {
        kv(&mut out, "fault window", fault_window(w));
    }

    let _ = writeln!(
        out,
        "\n{:<22}{:>8} {:>10} {:>10} {:>10} {:>10}",
        "latency (ms)", "count", "p50", "p95", "p99", "max"
    );
    for (name, p) in [
        ("API", &s.api_latency_ms),
        ("upload-to-terminal", &s.terminal_latency_ms),
    ] {
        let _ = writeln!(
            out,
            "{name:<22}{:>8} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            p.count, p.p50, p.p95, p.p99, p.max
        );
    }

    let _ = writeln!(out, "\n{:<22}{:>8}", "status", "count");
    for (label, n) in &s.status_counts {
        let _ = writeln!(out, "{:<22}{n:>8}", plain(label));
    }
    if s.status_counts.is_empty() {
        let _ = writeln!(out, "(no documents)");
    }

    let _ = writeln!(out, "\n{:<22}{:>8}", "errors by code", "count");
    for (code, n) in &s.errors_by_code {
        let _ = writeln!(out, "{:<22}{n:>8}", plain(code));
    }
    if s.errors_by_code.is_empty() {
        let _ = writeln!(out, "(none)");
    }

    out.push('\n');
    kv(&mut out, "retries", s.retries.to_string());
    kv(&mut out, "unexpected verdicts", s.unexpected.to_string());

    let _ = writeln!(out, "\nchecks");
    let width = report
        .checks
        .iter()
        .map(|c| plain(&c.name).chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for c in &report.checks {
        let mark = if c.passed { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{mark}  {:<width$}  {}",
            plain(&c.name),
            plain(&c.detail)
        );
    }
    if report.checks.is_empty() {
        let _ = writeln!(out, "(no checks)");
    }
    let _ = writeln!(out, "\n{}", verdict(report));
    out
}

/// The HTML report: one self-contained page (see the module documentation).
pub fn render_html(report: &LoadReport) -> String {
    let s = &report.summary;
    let passed = report.passed();
    let mut h = String::with_capacity(64 * 1024 + report.samples.len() * 256);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    // The policy comes first so it covers everything after it. `default-src
    // 'none'` blocks every fetch (images, fonts, styles, scripts, connections);
    // `base-uri` and `form-action` do not fall back to it, so they are named.
    // The page's one script and one stylesheet are allowed by their SHA-256
    // rather than 'unsafe-inline': nothing else can run or style the page even
    // if a string ever escaped its element. The JSON island is data
    // (`type="application/json"`), never executed, so it needs no allowance.
    let _ = writeln!(
        h,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'sha256-{}'; style-src 'sha256-{}'; base-uri 'none'; form-action 'none'\">",
        checksum_sha256(SCRIPT.as_bytes()),
        checksum_sha256(STYLE.as_bytes()),
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        h,
        "<title>docproc load report: {}</title>",
        if passed { "PASSED" } else { "FAILED" }
    );
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>");
    h.push_str("<body data-rendered=\"pending\">\n<h1>docproc load report</h1>\n");
    let _ = writeln!(
        h,
        "<p id=\"verdict\" class=\"verdict {}\">{}</p>",
        if passed { "pass" } else { "fail" },
        esc(&verdict(report))
    );
    h.push_str("<p id=\"render-error\" class=\"error\" role=\"alert\" hidden></p>\n");
    h.push_str(
        "<noscript><p class=\"error\">The plots need JavaScript; the tables have the numbers.</p></noscript>\n",
    );

    h.push_str("<div class=\"grid2\">\n<section>\n<h2>Run</h2>\n<table id=\"summary\">\n");
    let rows: [(&str, String); 9] = [
        ("target", report.target.clone()),
        ("started", report.started_at.clone()),
        ("documents", format!("{} ({})", s.documents, mib(s.bytes))),
        ("concurrency", report.concurrency.to_string()),
        ("duration", format!("{:.2} s", s.duration_s)),
        ("documents/s", format!("{:.2}", s.documents_per_s)),
        ("MiB/s", format!("{:.2}", s.mib_per_s)),
        ("retries", s.retries.to_string()),
        ("unexpected verdicts", s.unexpected.to_string()),
    ];
    let windows = report
        .fault_windows
        .iter()
        .map(|w| ("fault window", fault_window(w)));
    for (k, v) in rows.into_iter().chain(windows) {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>\n</section>\n<section>\n<h2>Latency (ms)</h2>\n<table id=\"latency\">\n");
    h.push_str(
        "<tr><th></th><th class=\"n\">count</th><th class=\"n\">p50</th><th class=\"n\">p95</th>\
         <th class=\"n\">p99</th><th class=\"n\">max</th></tr>\n",
    );
    for (name, p) in [
        ("API", &s.api_latency_ms),
        ("upload to terminal", &s.terminal_latency_ms),
    ] {
        latency_row(&mut h, name, p);
    }
    h.push_str("</table>\n<h2>Statuses</h2>\n<table id=\"statuses\">\n");
    count_rows(&mut h, "status", &s.status_counts, "no documents");
    h.push_str("</table>\n<h2>Upload errors by code</h2>\n<table id=\"errors\">\n");
    count_rows(&mut h, "code", &s.errors_by_code, "none");
    h.push_str("</table>\n</section>\n</div>\n");

    h.push_str("<section>\n<h2>Checks</h2>\n<table id=\"checks\">\n");
    h.push_str("<tr><th>result</th><th>check</th><th>detail</th></tr>\n");
    for c in &report.checks {
        let (class, word) = if c.passed {
            ("pass", "PASS")
        } else {
            ("fail", "FAIL")
        };
        let _ = writeln!(
            h,
            "<tr class=\"{class}\"><td>{word}</td><td>{}</td><td class=\"detail\">{}</td></tr>",
            esc(&c.name),
            esc(&c.detail)
        );
    }
    if report.checks.is_empty() {
        h.push_str("<tr><td colspan=\"3\">no checks</td></tr>\n");
    }
    h.push_str("</table>\n</section>\n");

    // The plots' elements exist in the markup (the script fills them), which
    // also gives the script the SVG namespace without spelling out its URI.
    h.push_str("<section>\n<h2>Plots</h2>\n<div class=\"grid2\" id=\"plots\">\n");
    for (id, label) in [
        (
            "plot-hist-terminal",
            "Histogram of upload-to-terminal latency",
        ),
        ("plot-hist-api", "Histogram of API latency"),
        ("plot-latency-time", "Upload-to-terminal latency over time"),
        (
            "plot-throughput",
            "Documents reaching a terminal status over time",
        ),
        ("plot-status", "Documents by status"),
    ] {
        let _ = writeln!(
            h,
            "<figure><svg id=\"{id}\" class=\"plot\" viewBox=\"0 0 640 360\" role=\"img\" \
             aria-label=\"{label}\" data-points=\"0\"></svg></figure>"
        );
    }
    h.push_str("</div>\n</section>\n");

    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"docproc-load-data\">{}</script>",
        json_island(report)
    );
    let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body>\n</html>");
    h
}

/// The last line of the table (and the HTML headline).
fn verdict(report: &LoadReport) -> String {
    let failed = report.checks.iter().filter(|c| !c.passed).count();
    let unexpected = report.summary.unexpected;
    if report.passed() {
        format!(
            "result: PASSED ({} checks passed, every document ended as expected)",
            report.checks.len()
        )
    } else {
        format!(
            "result: FAILED ({failed} of {} checks failed, {unexpected} unexpected verdicts)",
            report.checks.len()
        )
    }
}

fn fault_window(w: &super::FaultWindow) -> String {
    format!(
        "{:.1}-{:.1} s: {}",
        w.from_ms / 1000.0,
        w.to_ms / 1000.0,
        plain(&w.faults.join(", "))
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// A string from the run for a terminal: one line, control characters (escape
/// sequences, newlines) shown escaped instead of acted on.
fn plain(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Text for HTML element content and double-quoted attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn latency_row(h: &mut String, name: &str, p: &Percentiles) {
    let _ = writeln!(
        h,
        "<tr><th>{}</th><td class=\"n\">{}</td><td class=\"n\">{:.1}</td><td class=\"n\">{:.1}</td>\
         <td class=\"n\">{:.1}</td><td class=\"n\">{:.1}</td></tr>",
        esc(name),
        p.count,
        p.p50,
        p.p95,
        p.p99,
        p.max
    );
}

fn count_rows(
    h: &mut String,
    what: &str,
    counts: &std::collections::BTreeMap<String, usize>,
    none: &str,
) {
    let _ = writeln!(
        h,
        "<tr><th>{}</th><th class=\"n\">count</th></tr>",
        esc(what)
    );
    for (k, n) in counts {
        let _ = writeln!(h, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(k));
    }
    if counts.is_empty() {
        let _ = writeln!(h, "<tr><td colspan=\"2\">{}</td></tr>", esc(none));
    }
}

/// The report as JSON that cannot end its `<script>` element: `<`, `>` and `&`
/// only occur inside JSON strings, where `\u003c` etc. mean the same.
fn json_island(report: &LoadReport) -> String {
    let json = serde_json::to_string(report).unwrap_or_else(|e| {
        serde_json::json!({ "render_error": e.to_string(), "samples": [] }).to_string()
    });
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --docproc-styled: 1; color-scheme: light; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1a202c; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 18px 0 6px; }
.verdict { font-weight: bold; font-size: 16px; margin: 0 0 8px; }
.pass { color: #276749; }
.fail { color: #c53030; }
.error { border: 2px solid #c53030; background: #fff5f5; color: #c53030; padding: 8px 12px; font-weight: bold; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 8px 32px; }
table { border-collapse: collapse; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e2e8f0; text-align: left; vertical-align: top; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
#checks td.detail, #summary td { white-space: pre-wrap; overflow-wrap: anywhere; }
figure { margin: 0; }
svg.plot { width: 100%; height: auto; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: #1a202c; }
svg .title { font-weight: bold; font-size: 14px; }
svg .note, svg .empty { fill: #4a5568; }
svg .grid { stroke: #e2e8f0; }
svg .fault { fill: #c53030; fill-opacity: 0.12; }
svg .axis, svg .tick { stroke: #4a5568; }
"#;

const SCRIPT: &str = r##"
(function () {
  "use strict";
  var W = 640, H = 360, M = { l: 62, r: 16, t: 46, b: 46 };
  var PW = W - M.l - M.r, PH = H - M.t - M.b;
  var MAX_POINTS = 2500;
  var ORDER = ["PROCESSED", "REJECTED", "UPLOAD_FAILED", "TIMED_OUT"];
  var COLORS = { PROCESSED: "#2f855a", REJECTED: "#dd6b20", UPLOAD_FAILED: "#c53030", TIMED_OUT: "#718096" };
  var NS = null;

  function num(v) { return typeof v === "number" && isFinite(v); }
  function label(s) { return String((s.outcome && s.outcome.outcome) || "unknown").toUpperCase(); }
  function color(l) { return COLORS[l] || "#2d3748"; }
  function fmt(v) { return String(Number(v.toPrecision(6))); }
  function docs(n) { return n + (n === 1 ? " document" : " documents"); }
  function maxOf(values) { var m = 0; values.forEach(function (v) { if (v > m) m = v; }); return m; }
  function minOf(values) { var m = Infinity; values.forEach(function (v) { if (v < m) m = v; }); return m; }
  function byLabel(a, b) {
    var i = ORDER.indexOf(a), j = ORDER.indexOf(b);
    if (i < 0) i = ORDER.length;
    if (j < 0) j = ORDER.length;
    return i - j || (a < b ? -1 : a > b ? 1 : 0);
  }

  function add(parent, name, attrs, text) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    parent.appendChild(e);
    return e;
  }

  // The smallest of 1, 2, 5 or 10 times a power of ten that cuts span into at most target steps.
  function niceStep(span, target) {
    if (!(span > 0)) return 1;
    var raw = span / target, p = Math.pow(10, Math.floor(Math.log10(raw)));
    return [1, 2, 5, 10].find(function (k) { return k * p >= raw; }) * p;
  }

  // Milliseconds are shown as seconds once a range reaches 2 s.
  function unitFor(maxMs) { return maxMs >= 2000 ? { div: 1000, name: "s" } : { div: 1, name: "ms" }; }

  // Half-open bins [edges[i], edges[i + 1]) of a nice width, from zero (or below
  // the smallest value), covering every value; null for no values.
  function bins(values, target) {
    if (!values.length) return null;
    var lo = 0, hi = 0;
    values.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
    var width = niceStep(hi - lo, target), start = Math.floor(lo / width) * width;
    var n = Math.floor((hi - start) / width) + 1, edges = [];
    for (var i = 0; i <= n; i++) edges.push(start + i * width);
    while (edges[n] <= hi) { n++; edges.push(start + n * width); }
    var counts = edges.slice(1).map(function () { return 0; });
    values.forEach(function (v) {
      var k = Math.min(n - 1, Math.max(0, Math.floor((v - start) / width)));
      while (k > 0 && v < edges[k]) k--;
      while (k < n - 1 && v >= edges[k + 1]) k++;
      counts[k]++;
    });
    return { edges: edges, counts: counts, width: width };
  }

  // Edges at 1, 2 and 5 times powers of ten (finer steps when the values span
  // fewer decades), from the edge at or below the smallest value to the first
  // past the largest: on a log axis the bins are about equally wide, so
  // latencies a tail spreads over decades stay readable. Values at or below
  // zero (none in practice) count in the first bin. Null for no values.
  var LOG_STEPS = [[1, 1.25, 1.6, 2, 2.5, 3.2, 4, 5, 6.3, 8], [1, 1.5, 2, 3, 5, 7], [1, 2, 5]];
  function logEdges(lo, hi, steps) {
    var edges = [];
    for (var p = Math.floor(Math.log10(lo)) - 1; edges.length < 2 || edges[edges.length - 1] <= hi; p++) {
      steps.forEach(function (m) {
        var e = Number((m * Math.pow(10, p)).toPrecision(12));
        if (e > hi && edges.length && edges[edges.length - 1] > hi) return;
        if (e <= lo) edges = [e]; else edges.push(e);
      });
    }
    return edges;
  }
  function logBins(values) {
    var positive = values.filter(function (v) { return v > 0; });
    if (!values.length) return null;
    var lo = positive.length ? minOf(positive) : 1;
    var hi = positive.length ? maxOf(positive) : 1;
    var decades = Math.log10(hi / lo);
    var edges = logEdges(lo, hi, LOG_STEPS[decades <= 1 ? 0 : decades <= 3 ? 1 : 2]);
    var n = edges.length - 1, counts = edges.slice(1).map(function () { return 0; });
    values.forEach(function (v) {
      var k = 0;
      while (k < n - 1 && v >= edges[k + 1]) k++;
      counts[k]++;
    });
    return { edges: edges, counts: counts };
  }

  // A latency for an axis or a tooltip: milliseconds below a second, else seconds.
  function ms(v) { return v < 1000 ? fmt(v) + " ms" : fmt(v / 1000) + " s"; }

  // Tick values on a log axis from lo to hi: 1, 2, 5 per decade, or only the
  // decades when that would be too many.
  function logTicks(lo, hi) {
    var all = logEdges(lo, hi, [1, 2, 5]).filter(function (t) { return t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9); });
    if (!all.length) return [lo, hi];
    if (all.length <= 10) return all;
    return all.filter(function (t) { return Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9; });
  }

  function title(svg, text, note) {
    svg.textContent = "";
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    add(svg, "text", { x: M.l, y: 16, "class": "title" }, text);
    if (note) add(svg, "text", { x: M.l, y: 34, "class": "note" }, note);
  }

  function empty(svg, text, message) {
    title(svg, text);
    add(svg, "text", { x: W / 2, y: H / 2, "text-anchor": "middle", "class": "empty" }, message);
    svg.setAttribute("data-points", "0");
  }

  // Axes, grid and tick labels; returns the scales from data to SVG coordinates.
  // o: xMin, xMax (data units), xUnit / yUnit ({div, name}), yMax, yInteger,
  // categories (instead of a numeric x), xLabel, yLabel, roundX.
  // With xLog (or yLog) that axis is logarithmic from xMin to xMax (yMin to
  // yMax), in milliseconds, its ticks labelled with their unit.
  function frame(svg, o) {
    var g = add(svg, "g", { "class": "axes" }), sy;
    var gridY = function (y, text) {
      add(g, "line", { x1: M.l, x2: M.l + PW, y1: y, y2: y, "class": "grid" });
      add(g, "text", { x: M.l - 6, y: y + 4, "text-anchor": "end" }, text);
    };
    if (o.yLog) {
      var yl = Math.log10(o.yMin), yh = Math.log10(o.yMax);
      sy = function (v) { return M.t + PH - ((Math.log10(v) - yl) / (yh - yl)) * PH; };
      logTicks(o.yMin, o.yMax).forEach(function (t) { gridY(sy(t), ms(t)); });
    } else {
      var yu = o.yUnit || { div: 1, name: "" };
      var yStep = niceStep(o.yMax / yu.div, 5);
      if (o.yInteger) yStep = Math.max(1, yStep);
      var yTop = Math.max(1, Math.ceil(o.yMax / yu.div / yStep)) * yStep * yu.div;
      sy = function (v) { return M.t + PH - (v / yTop) * PH; };
      for (var i = 0; i * yStep * yu.div <= yTop * (1 + 1e-9); i++) gridY(sy(i * yStep * yu.div), fmt(i * yStep));
    }
    var sx;
    if (o.xLog) {
      var xl = Math.log10(o.xMin), xh = Math.log10(o.xMax);
      sx = function (v) { return M.l + ((Math.log10(v) - xl) / (xh - xl)) * PW; };
      logTicks(o.xMin, o.xMax).forEach(function (t) {
        add(g, "line", { x1: sx(t), x2: sx(t), y1: M.t + PH, y2: M.t + PH + 5, "class": "tick" });
        add(g, "text", { x: sx(t), y: M.t + PH + 18, "text-anchor": "middle" }, ms(t));
      });
    } else if (o.categories) {
      var n = o.categories.length;
      sx = function (k) { return M.l + ((k + 0.5) * PW) / n; };
      o.categories.forEach(function (c, k) {
        add(g, "text", { x: sx(k), y: M.t + PH + 18, "text-anchor": "middle" }, c);
      });
    } else {
      var d = o.xUnit.div, xMin = o.xMin, xMax = o.xMax;
      var xStep = niceStep((xMax - xMin) / d, 8);
      if (o.roundX) xMax = Math.max(1, Math.ceil(xMax / d / xStep)) * xStep * d;
      if (!(xMax > xMin)) xMax = xMin + xStep * d;
      sx = function (v) { return M.l + ((v - xMin) / (xMax - xMin)) * PW; };
      for (var k = Math.ceil(xMin / d / xStep); k * xStep * d <= xMax * (1 + 1e-9); k++) {
        var x = sx(k * xStep * d);
        add(g, "line", { x1: x, x2: x, y1: M.t + PH, y2: M.t + PH + 5, "class": "tick" });
        add(g, "text", { x: x, y: M.t + PH + 18, "text-anchor": "middle" }, fmt(k * xStep));
      }
    }
    add(g, "line", { x1: M.l, x2: M.l + PW, y1: M.t + PH, y2: M.t + PH, "class": "axis" });
    add(g, "line", { x1: M.l, x2: M.l, y1: M.t, y2: M.t + PH, "class": "axis" });
    add(g, "text", { x: M.l + PW / 2, y: H - 6, "text-anchor": "middle", "class": "label" }, o.xLabel);
    add(g, "text", { transform: "translate(16 " + (M.t + PH / 2) + ") rotate(-90)", "text-anchor": "middle", "class": "label" }, o.yLabel);
    return { sx: sx, sy: sy };
  }

  // Swatches and labels, left to right in the order given, ending at the right edge.
  function legend(svg, labels) {
    var g = add(svg, "g", { "class": "legend" });
    var items = labels.map(function (l) {
      var item = add(g, "g", { "class": "legend-item", "data-label": l });
      var swatch = add(item, "rect", { y: 7, width: 10, height: 10, fill: color(l) });
      var text = add(item, "text", { y: 16 }, l);
      return { swatch: swatch, text: text, width: 14 + text.getComputedTextLength() + 12 };
    });
    var x = W - M.r + 12 - items.reduce(function (sum, it) { return sum + it.width; }, 0);
    items.forEach(function (it) {
      it.swatch.setAttribute("x", String(x));
      it.text.setAttribute("x", String(x + 14));
      x += it.width;
    });
  }

  function bar(g, x, y, w, h, fill, data, tip) {
    var attrs = { x: x, y: y, width: Math.max(0.5, w), height: Math.max(0, h), fill: fill, "class": "bar" };
    Object.keys(data).forEach(function (k) { attrs["data-" + k] = data[k]; });
    add(add(g, "rect", attrs), "title", {}, tip);
  }

  // (a), (b) A latency histogram, on a log axis.
  function histogram(svg, values, o) {
    var h = logBins(values);
    if (!h) return empty(svg, o.title, o.none);
    var n = h.counts.length;
    title(svg, o.title, docs(values.length) + "; " + n + " bins, log scale");
    var f = frame(svg, {
      xLog: true, xMin: h.edges[0], xMax: h.edges[n], xLabel: o.xLabel + " (log scale)",
      yMax: maxOf(h.counts), yInteger: true, yLabel: "documents"
    });
    var g = add(svg, "g", { "class": "bars" });
    h.counts.forEach(function (c, i) {
      var x0 = f.sx(h.edges[i]), x1 = f.sx(h.edges[i + 1]), y = f.sy(c);
      bar(g, x0 + 0.5, y, x1 - x0 - 1, f.sy(0) - y, o.color,
        { value: c, start: h.edges[i], end: h.edges[i + 1] },
        ms(h.edges[i]) + "\u2013" + ms(h.edges[i + 1]) + ": " + docs(c));
    });
    svg.setAttribute("data-points", String(n));
  }

  // Fault windows as shaded bands behind the data of a plot over time,
  // clipped to its x range [xMin, xMax].
  function faultBands(svg, f, windows, xMin, xMax) {
    var g = add(svg, "g", { "class": "faults" });
    windows.forEach(function (w) {
      var from = Math.max(w.from_ms, xMin), to = Math.min(w.to_ms, xMax);
      if (!(to > from)) return;
      var names = w.faults.join(", ");
      add(add(g, "rect", {
        x: f.sx(from), y: M.t, width: f.sx(to) - f.sx(from), height: PH, "class": "fault",
        "data-from": w.from_ms, "data-to": w.to_ms, "data-faults": names
      }), "title", {}, "faults injected: " + names);
    });
    svg.setAttribute("data-faults", String(g.childNodes.length));
  }

  // (c) Upload-to-terminal latency against the time each document was sent.
  function scatter(svg, samples, windows) {
    var text = "(c) Upload-to-terminal latency over time";
    var pts = samples.filter(function (s) { return num(s.sent_at_ms) && num(s.terminal_ms); });
    if (!pts.length) return empty(svg, text, "no document reached a terminal status");
    var shown = pts;
    if (pts.length > MAX_POINTS) {
      shown = [];
      for (var i = 0; i < MAX_POINTS; i++) shown.push(pts[Math.floor((i * pts.length) / MAX_POINTS)]);
    }
    var notes = [];
    if (shown.length < pts.length) notes.push("showing " + shown.length + " of " + docs(pts.length) + ", sampled evenly");
    else notes.push(docs(pts.length));
    if (samples.length > pts.length) notes.push((samples.length - pts.length) + " without a terminal status not shown");
    var xMax = maxOf(pts.map(function (s) { return s.sent_at_ms; }));
    var latencies = pts.map(function (s) { return s.terminal_ms; }).filter(function (v) { return v > 0; });
    if (latencies.length < pts.length) notes.push((pts.length - latencies.length) + " at 0 ms not shown");
    // A log axis from the decade edge below the fastest to the one above the slowest.
    var yEdges = latencies.length ? logEdges(minOf(latencies), maxOf(latencies), [1]) : [1, 10];
    var xu = unitFor(xMax);
    title(svg, text, notes.join("; "));
    var f = frame(svg, {
      xMin: 0, xMax: xMax, xUnit: xu, roundX: true, xLabel: "sent at (" + xu.name + " since the start)",
      yLog: true, yMin: yEdges[0], yMax: yEdges[yEdges.length - 1], yLabel: "upload to terminal (log scale)"
    });
    shown = shown.filter(function (s) { return s.terminal_ms > 0; });
    faultBands(svg, f, windows, 0, xMax);
    var g = add(svg, "g", { "class": "points" }), labels = [];
    shown.forEach(function (s) {
      var l = label(s);
      if (labels.indexOf(l) < 0) labels.push(l);
      add(g, "circle", {
        cx: f.sx(s.sent_at_ms).toFixed(2), cy: f.sy(s.terminal_ms).toFixed(2), r: 2.5, fill: color(l), "fill-opacity": 0.6,
        "data-x": s.sent_at_ms, "data-y": s.terminal_ms, "data-label": l
      });
    });
    legend(svg, labels.sort(byLabel));
    svg.setAttribute("data-points", String(shown.length));
    svg.setAttribute("data-total", String(pts.length));
  }

  // (d) Documents reaching a terminal status per time bucket, as documents per second.
  function throughput(svg, samples, windows) {
    var text = "(d) Throughput: documents reaching a terminal status";
    var done = samples.filter(function (s) { return num(s.sent_at_ms) && num(s.terminal_ms); })
      .map(function (s) { return s.sent_at_ms + s.terminal_ms; });
    var h = bins(done, 60);
    if (!h) return empty(svg, text, "no document reached a terminal status");
    var n = h.counts.length, unit = unitFor(h.edges[n]), seconds = h.width / 1000;
    var rates = h.counts.map(function (c) { return c / seconds; });
    title(svg, text, docs(done.length) + "; buckets of " + fmt(h.width / unit.div) + " " + unit.name);
    var f = frame(svg, {
      xMin: h.edges[0], xMax: h.edges[n], xUnit: unit, xLabel: "time since the start (" + unit.name + ")",
      yMax: maxOf(rates), yLabel: "documents / s"
    });
    faultBands(svg, f, windows, h.edges[0], h.edges[n]);
    var g = add(svg, "g", { "class": "bars" });
    h.counts.forEach(function (c, i) {
      var x0 = f.sx(h.edges[i]), x1 = f.sx(h.edges[i + 1]), y = f.sy(rates[i]);
      bar(g, x0 + 0.5, y, x1 - x0 - 1, f.sy(0) - y, "#2b6cb0",
        { value: c, rate: rates[i], start: h.edges[i], end: h.edges[i + 1] },
        fmt(h.edges[i] / unit.div) + "\u2013" + fmt(h.edges[i + 1] / unit.div) + " " + unit.name + ": " + docs(c) + " (" + fmt(rates[i]) + "/s)");
    });
    svg.setAttribute("data-points", String(n));
  }

  // (e) Documents by outcome: the four labels always, then any other label seen.
  function status(svg, samples) {
    var counts = {};
    ORDER.forEach(function (l) { counts[l] = 0; });
    samples.forEach(function (s) { var l = label(s); counts[l] = (counts[l] || 0) + 1; });
    var cats = Object.keys(counts).sort(byLabel);
    var values = cats.map(function (l) { return counts[l]; });
    title(svg, "(e) Documents by status", docs(samples.length));
    var f = frame(svg, { categories: cats, yMax: maxOf(values) * 1.08, yInteger: true, xLabel: "status", yLabel: "documents" });
    var g = add(svg, "g", { "class": "bars" }), w = (PW / cats.length) * 0.6;
    cats.forEach(function (l, i) {
      var y = f.sy(values[i]);
      bar(g, f.sx(i) - w / 2, y, w, f.sy(0) - y, color(l), { label: l, value: values[i] }, l + ": " + values[i]);
      add(g, "text", { x: f.sx(i), y: y - 5, "text-anchor": "middle", "class": "value" }, String(values[i]));
    });
    svg.setAttribute("data-points", String(cats.length));
  }

  function byId(id) {
    var e = document.getElementById(id);
    if (!e) throw new Error("the page has no element #" + id);
    return e;
  }

  function main() {
    NS = byId("plot-status").namespaceURI;
    var report = JSON.parse(byId("docproc-load-data").textContent);
    if (!report || !Array.isArray(report.samples)) throw new Error("the embedded report has no samples");
    var samples = report.samples;
    var terminal = samples.map(function (s) { return s.terminal_ms; }).filter(num);
    var api = samples.map(function (s) { return s.api_ms; }).filter(num);
    histogram(byId("plot-hist-terminal"), terminal, {
      title: "(a) Upload-to-terminal latency", xLabel: "upload to terminal", color: "#2b6cb0",
      none: "no document reached a terminal status"
    });
    histogram(byId("plot-hist-api"), api, {
      title: "(b) API latency", xLabel: "API call", color: "#6b46c1", none: "no API call was answered"
    });
    var windows = Array.isArray(report.fault_windows) ? report.fault_windows : [];
    scatter(byId("plot-latency-time"), samples, windows);
    throughput(byId("plot-throughput"), samples, windows);
    status(byId("plot-status"), samples);
    var styled = getComputedStyle(document.documentElement).getPropertyValue("--docproc-styled").trim();
    document.body.setAttribute("data-styled", styled === "1" ? "yes" : "no");
    document.body.setAttribute("data-rendered", "ok");
  }

  try {
    main();
  } catch (e) {
    var box = document.getElementById("render-error");
    if (box) {
      box.textContent = "The plots could not be drawn: " + (e && e.message ? e.message : String(e));
      box.hidden = false;
    }
    document.body.setAttribute("data-rendered", "error");
  }
})();
"##;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::{Check, Expected, Outcome, Sample, Summary, UploadKind};

    const HOSTILE: &str = "</script><script>alert(1)</script>";

    fn sample(i: usize, outcome: Outcome, expected: Expected) -> Sample {
        let terminal = matches!(outcome, Outcome::Processed | Outcome::Rejected { .. });
        let failed = matches!(outcome, Outcome::UploadFailed { .. });
        Sample {
            fixture: if i == 3 {
                HOSTILE.into()
            } else {
                "pdf-small".into()
            },
            document_id: (!failed).then(|| format!("doc-{i}")),
            bytes: 1000 + i as u64 * 10,
            upload: if i.is_multiple_of(2) {
                UploadKind::Inline
            } else {
                UploadKind::Presigned
            },
            sent_at_ms: i as f64 * 25.0,
            api_ms: (!failed).then_some(40.0 + (i % 7) as f64 * 10.5),
            terminal_ms: terminal.then_some(900.0 + (i % 13) as f64 * 120.25),
            expected,
            outcome,
            retries: u32::from(i.is_multiple_of(5)),
        }
    }

    fn report(n: usize) -> LoadReport {
        let samples: Vec<Sample> = (0..n)
            .map(|i| match i % 10 {
                7 => sample(
                    i,
                    Outcome::Rejected {
                        reason: "zip_bomb".into(),
                    },
                    Expected::Reject {
                        reason: "zip_bomb".into(),
                    },
                ),
                8 if i % 20 == 8 => sample(
                    i,
                    Outcome::UploadFailed {
                        code: "throttled".into(),
                    },
                    Expected::Accept,
                ),
                9 if i % 30 == 9 => sample(i, Outcome::TimedOut, Expected::Accept),
                _ => sample(i, Outcome::Processed, Expected::Accept),
            })
            .collect();
        LoadReport {
            target: "dev (build/outputs-dev.json)".into(),
            started_at: "2026-01-02T03:04:05Z".into(),
            concurrency: 8,
            summary: Summary::of(&samples, 12.5),
            checks: vec![
                Check {
                    name: "exactly one terminal status".into(),
                    passed: true,
                    detail: "every document once".into(),
                },
                Check {
                    name: "dead-letter queues empty".into(),
                    passed: false,
                    detail: "processor DLQ: 2 messages".into(),
                },
            ],
            fault_windows: vec![super::super::FaultWindow {
                faults: vec!["sns-outage".into(), "table-outage".into()],
                from_ms: 1_500.0,
                to_ms: 3_000.0,
            }],
            samples,
        }
    }

    fn island(html: &str) -> &str {
        let open = "<script type=\"application/json\" id=\"docproc-load-data\">";
        let start = html.find(open).expect("JSON island") + open.len();
        let len = html[start..].find("</script>").expect("end of island");
        &html[start..start + len]
    }

    fn inline_between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
        let start = html.rfind(open).expect(open) + open.len();
        let len = html[start..].find(close).expect(close);
        &html[start..start + len]
    }

    #[test]
    fn table_has_the_numbers_checks_and_verdict() {
        let r = report(200);
        let s = &r.summary;
        let t = render_table(&r);
        assert!(t.contains("dev (build/outputs-dev.json)"), "{t}");
        assert!(
            t.contains(&format!("documents             200 ({})", mib(s.bytes))),
            "{t}"
        );
        assert!(t.contains("concurrency           8"), "{t}");
        assert!(t.contains("duration              12.50 s"), "{t}");
        assert!(t.contains("documents/s           16.00"), "{t}");
        assert!(
            t.contains("fault window          1.5-3.0 s: sns-outage, table-outage"),
            "{t}"
        );
        let api = &s.api_latency_ms;
        assert!(
            t.contains(&format!(
                "API                   {:>8} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
                api.count, api.p50, api.p95, api.p99, api.max
            )),
            "{t}"
        );
        let term = &s.terminal_latency_ms;
        assert!(
            t.contains(&format!(
                "upload-to-terminal    {:>8} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
                term.count, term.p50, term.p95, term.p99, term.max
            )),
            "{t}"
        );
        for (label, n) in &s.status_counts {
            assert!(t.contains(&format!("{label:<22}{n:>8}")), "{label}: {t}");
        }
        assert!(t.contains(&format!(
            "throttled             {:>8}",
            s.errors_by_code["throttled"]
        )));
        assert!(t.contains(&format!("retries               {}", s.retries)));
        assert!(t.contains(&format!("unexpected verdicts   {}", s.unexpected)));
        assert!(
            t.contains("PASS  exactly one terminal status  every document once"),
            "{t}"
        );
        assert!(
            t.contains("FAIL  dead-letter queues empty     processor DLQ: 2 messages"),
            "{t}"
        );
        assert!(!r.passed());
        assert!(t.trim_end().ends_with(&format!(
            "result: FAILED (1 of 2 checks failed, {} unexpected verdicts)",
            s.unexpected
        )));
        assert!(t.is_ascii(), "{t}");

        let mut ok = report(10);
        ok.samples.retain(|s| s.outcome.matches(&s.expected));
        ok.summary = Summary::of(&ok.samples, 1.0);
        ok.checks.retain(|c| c.passed);
        assert!(render_table(&ok)
            .trim_end()
            .ends_with("result: PASSED (1 checks passed, every document ended as expected)"));
    }

    #[test]
    fn table_shows_control_characters_escaped() {
        let mut r = report(3);
        r.target = "dev\u{1b}[2J\nsecond line".into();
        r.checks[0].detail = "a\rb".into();
        let t = render_table(&r);
        assert!(!t.contains('\u{1b}') && !t.contains('\r'), "{t:?}");
        assert!(t.contains("dev\\u{1b}[2J\\nsecond line"), "{t}");
    }

    #[test]
    fn html_fetches_nothing_and_pins_its_script_and_style() {
        let html = render_html(&report(50));
        for needle in [
            "http://", "https://", "src=", "href=", "url(", "@import", "//cdn", "<link", "<img",
            "<iframe",
        ] {
            assert!(
                !html.to_ascii_lowercase().contains(needle),
                "the report references {needle}"
            );
        }
        let script = inline_between(&html, "<script>", "</script>");
        let style = inline_between(&html, "<style>", "</style>");
        assert_eq!((script, style), (SCRIPT, STYLE));
        let csp = format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; base-uri 'none'; form-action 'none'\">",
            checksum_sha256(script.as_bytes()),
            checksum_sha256(style.as_bytes())
        );
        let head = &html[..html.find("<title>").unwrap()];
        assert!(head.contains(&csp), "{head}");
        // The policy precedes every script and style it governs.
        assert!(html.find(&csp).unwrap() < html.find("<style>").unwrap());
        for id in [
            "plot-hist-terminal",
            "plot-hist-api",
            "plot-latency-time",
            "plot-throughput",
            "plot-status",
        ] {
            assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("<body data-rendered=\"pending\">"));
    }

    #[test]
    fn json_island_reads_back_as_the_same_report() {
        let mut r = report(120);
        r.target = "dev <&> \"quoted\" 'single' \u{2028}".into();
        r.checks[1].detail = "<!-- comment --> & </SCRIPT >".into();
        let html = render_html(&r);
        let json = island(&html);
        let back: LoadReport = serde_json::from_str(json).unwrap();
        assert_eq!(back, r);
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
    }

    #[test]
    fn hostile_strings_stay_text() {
        let mut r = report(10);
        assert_eq!(r.samples[3].fixture, HOSTILE);
        r.target = "<img src=x onerror=alert(1)>".into();
        r.summary.errors_by_code.insert("<!--<script>".into(), 1);
        r.checks[0].name = "</td></tr></table><script>alert(2)</script>".into();
        r.checks[0].detail = "\"><svg onload=alert(3)>".into();
        let html = render_html(&r);
        let lower = html.to_ascii_lowercase();
        assert_eq!(lower.matches("<script").count(), 2, "{html}");
        assert_eq!(lower.matches("</script").count(), 2, "{html}");
        assert!(!lower.contains("<!--") && !lower.contains("<img"), "{html}");
        assert_eq!(lower.matches("<svg").count(), 5, "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html
            .contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;svg onload=alert(3)&gt;"));
        let back: LoadReport = serde_json::from_str(island(&html)).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn renders_empty_single_all_failed_and_large_runs() {
        let mut failed = report(40);
        for s in &mut failed.samples {
            s.outcome = Outcome::UploadFailed {
                code: "http_503".into(),
            };
            s.api_ms = None;
            s.terminal_ms = None;
        }
        failed.summary = Summary::of(&failed.samples, 0.0);
        for r in [report(0), report(1), failed, report(12_000)] {
            let html = render_html(&r);
            let back: LoadReport = serde_json::from_str(island(&html)).unwrap();
            assert_eq!(back.samples.len(), r.samples.len());
            let t = render_table(&r);
            assert!(
                t.contains(&format!("documents             {} ", r.samples.len())),
                "{t}"
            );
        }
        let t = render_table(&report(0));
        assert!(t.contains("(no documents)") && t.contains("(none)"), "{t}");
    }
}
