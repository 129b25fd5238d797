//! What a run produces ([`Sample`], [`Check`], [`LoadReport`]) and the
//! statistics over it; `report` renders it (terminal table, HTML).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a document was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadKind {
    /// `POST /documents` with the bytes in the JSON body.
    Inline,
    /// `POST /documents/uploads`, then the presigned S3 POST.
    Presigned,
}

/// What the platform should decide for a document of the mix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Expected {
    Accept,
    Reject { reason: String },
}

/// What happened to one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Terminal status PROCESSED.
    Processed,
    /// Terminal status REJECTED, with the platform's reason code.
    Rejected { reason: String },
    /// The upload failed for good (after retries): the API's error code, or
    /// `http_<status>` / `network` when there was none.
    UploadFailed { code: String },
    /// Uploaded, but no terminal status before the deadline.
    TimedOut,
}

impl Outcome {
    /// The label status counts use: `PROCESSED`, `REJECTED`, `UPLOAD_FAILED`, `TIMED_OUT`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Processed => "PROCESSED",
            Outcome::Rejected { .. } => "REJECTED",
            Outcome::UploadFailed { .. } => "UPLOAD_FAILED",
            Outcome::TimedOut => "TIMED_OUT",
        }
    }

    /// Whether this outcome is what `expected` says.
    pub fn matches(&self, expected: &Expected) -> bool {
        match (self, expected) {
            (Outcome::Processed, Expected::Accept) => true,
            (Outcome::Rejected { reason }, Expected::Reject { reason: want }) => reason == want,
            _ => false,
        }
    }
}

/// One document sent by a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The mix entry it came from (`pdf-small`, `zip-bomb`, …).
    pub fixture: String,
    pub document_id: Option<String>,
    pub bytes: u64,
    pub upload: UploadKind,
    /// When it was sent, in milliseconds since the run started.
    pub sent_at_ms: f64,
    /// Latency of the upload: the API call, plus the S3 POST for presigned uploads.
    pub api_ms: Option<f64>,
    /// From sending to seeing its terminal status.
    pub terminal_ms: Option<f64>,
    pub expected: Expected,
    pub outcome: Outcome,
    /// Requests repeated after a throttle (429), a 5xx or a network error.
    pub retries: u32,
}

/// Milliseconds since `start` (the run's start: samples record times so).
pub(crate) fn ms_since(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// p50/p95/p99/max of a set of latencies, in milliseconds (nearest-rank).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles; all zero for no values.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Percentiles {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Percentiles::default();
        }
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let n = v.len() as f64;
            let i = (p / 100.0 * n).ceil().max(1.0) as usize - 1;
            v[i.min(v.len() - 1)]
        };
        Percentiles {
            count: v.len(),
            p50: rank(50.0),
            p95: rank(95.0),
            p99: rank(99.0),
            max: v[v.len() - 1],
        }
    }
}

/// The run's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub documents: usize,
    pub bytes: u64,
    /// From the first send to the last terminal status seen.
    pub duration_s: f64,
    pub documents_per_s: f64,
    pub mib_per_s: f64,
    pub api_latency_ms: Percentiles,
    pub terminal_latency_ms: Percentiles,
    /// By [`Outcome::label`].
    pub status_counts: BTreeMap<String, usize>,
    /// Upload failures by error code.
    pub errors_by_code: BTreeMap<String, usize>,
    pub retries: u64,
    /// Documents whose outcome is not what their fixture expects.
    pub unexpected: usize,
}

impl Summary {
    pub fn of(samples: &[Sample], duration_s: f64) -> Summary {
        let bytes = samples.iter().map(|s| s.bytes).sum();
        let mut status_counts = BTreeMap::new();
        let mut errors_by_code = BTreeMap::new();
        for s in samples {
            *status_counts
                .entry(s.outcome.label().to_string())
                .or_insert(0) += 1;
            if let Outcome::UploadFailed { code } = &s.outcome {
                *errors_by_code.entry(code.clone()).or_insert(0) += 1;
            }
        }
        let per_s = |x: f64| {
            if duration_s > 0.0 {
                x / duration_s
            } else {
                0.0
            }
        };
        Summary {
            documents: samples.len(),
            bytes,
            duration_s,
            documents_per_s: per_s(samples.len() as f64),
            mib_per_s: per_s(bytes as f64 / (1024.0 * 1024.0)),
            api_latency_ms: Percentiles::of(samples.iter().filter_map(|s| s.api_ms)),
            terminal_latency_ms: Percentiles::of(samples.iter().filter_map(|s| s.terminal_ms)),
            status_counts,
            errors_by_code,
            retries: samples.iter().map(|s| u64::from(s.retries)).sum(),
            unexpected: samples
                .iter()
                .filter(|s| !s.outcome.matches(&s.expected))
                .count(),
        }
    }
}

/// One verification of the run (exactly-once, trails, DLQs, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// When faults were injected (`table-outage`, `sns-outage`,
/// `processor-crash`), in milliseconds since the run started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub faults: Vec<String>,
    pub from_ms: f64,
    pub to_ms: f64,
}

/// Everything a run produced: `--json` prints it, `--report` renders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// What was loaded: the environment or outputs file, and the API URL.
    pub target: String,
    /// RFC 3339 start time.
    pub started_at: String,
    pub concurrency: usize,
    pub summary: Summary,
    pub checks: Vec<Check>,
    /// Shaded on the plots over time.
    #[serde(default)]
    pub fault_windows: Vec<FaultWindow>,
    pub samples: Vec<Sample>,
}

impl LoadReport {
    /// Every check passed and every document ended as its fixture expects.
    pub fn passed(&self) -> bool {
        self.summary.unexpected == 0 && self.checks.iter().all(|c| c.passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let p = Percentiles::of((1..=100).map(f64::from));
        assert_eq!(
            (p.count, p.p50, p.p95, p.p99, p.max),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        let one = Percentiles::of([7.0]);
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
        assert_eq!(Percentiles::of([]), Percentiles::default());
        assert_eq!(Percentiles::of([f64::NAN, 3.0]).count, 1);
    }

    fn sample(outcome: Outcome, expected: Expected, bytes: u64) -> Sample {
        Sample {
            fixture: "f".into(),
            document_id: Some("d".into()),
            bytes,
            upload: UploadKind::Inline,
            sent_at_ms: 0.0,
            api_ms: Some(10.0),
            terminal_ms: Some(100.0),
            expected,
            outcome,
            retries: 1,
        }
    }

    #[test]
    fn summary_counts_outcomes_errors_and_surprises() {
        let samples = [
            sample(Outcome::Processed, Expected::Accept, 1024 * 1024),
            sample(
                Outcome::Rejected {
                    reason: "zip_bomb".into(),
                },
                Expected::Reject {
                    reason: "zip_bomb".into(),
                },
                1024 * 1024,
            ),
            sample(
                Outcome::Rejected {
                    reason: "malformed".into(),
                },
                Expected::Reject {
                    reason: "zip_bomb".into(),
                },
                0,
            ),
            sample(
                Outcome::UploadFailed {
                    code: "throttled".into(),
                },
                Expected::Accept,
                0,
            ),
            sample(Outcome::TimedOut, Expected::Accept, 0),
        ];
        let s = Summary::of(&samples, 2.0);
        assert_eq!(s.documents, 5);
        assert_eq!((s.documents_per_s, s.mib_per_s), (2.5, 1.0));
        assert_eq!(s.status_counts["REJECTED"], 2);
        assert_eq!(s.status_counts["PROCESSED"], 1);
        assert_eq!(s.errors_by_code["throttled"], 1);
        assert_eq!((s.retries, s.unexpected), (5, 3));
    }
}
