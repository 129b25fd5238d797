//! Faults `docproc load --faults` injects, and how each is checked:
//! - `duplicate-events`: every document's S3 event is delivered again,
//!   three times in shuffled order (S3 delivers at least once); afterwards
//!   the run's checks must still find one outcome, one notification per
//!   status change and one terminal status per document.
//! - `authorizer-probe`: keys that must not work (random ones and near
//!   misses of the run's own key) are sent to the API; none may be allowed.
//! - `table-outage`, `sns-outage`, `processor-crash` ([`Outage`]): for a
//!   window of the run the documents table refuses requests, the status
//!   topic refuses publishes, or processor invocations are killed in the
//!   middle of their document. Only the local platform's emulator can do
//!   this; the run needs `--redrive`, since events that fail through all
//!   their retries are dead-lettered. Afterwards the same checks must pass,
//!   and each fault must have fired.

use super::run::{HttpResult, LoadApi, Plan};
use super::Check;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Delivers a processed document's S3 event to the processor again and waits
/// for the invocation to finish.
pub trait Replayer: Send + Sync + 'static {
    fn replay(&self, document_id: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// The platform's dead-letter queues, for `docproc load --redrive`.
pub trait DeadLetters: Send + Sync + 'static {
    /// Sends every dead-lettered event through its function again (as
    /// `docproc dlq redrive` does); returns how many were redriven, or what
    /// failed.
    fn redrive_all(&self) -> impl Future<Output = Result<usize, String>> + Send;
}

/// A run without `--redrive`.
pub struct NoRedrive;

impl DeadLetters for NoRedrive {
    async fn redrive_all(&self) -> Result<usize, String> {
        Err("no redrive".into())
    }
}

/// A run without the `duplicate-events` fault.
pub struct NoReplay;

impl Replayer for NoReplay {
    async fn replay(&self, _: &str) -> Result<(), String> {
        Err("no replayer".into())
    }
}

/// A fault injected for a window of the run by the local platform's
/// emulator (`scripts/emulator_faults.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outage {
    /// The documents table answers 503 ServiceUnavailable.
    Table,
    /// Publishing to the status topic answers 500 InternalError.
    Sns,
    /// About half the processor's invocations are killed mid-document.
    ProcessorCrash,
}

impl Outage {
    pub const ALL: [Outage; 3] = [Outage::Table, Outage::Sns, Outage::ProcessorCrash];

    /// The name `--faults` and the emulator use.
    pub fn name(self) -> &'static str {
        match self {
            Outage::Table => "table-outage",
            Outage::Sns => "sns-outage",
            Outage::ProcessorCrash => "processor-crash",
        }
    }

    /// What one injection is, for the check's detail.
    fn effect(self) -> &'static str {
        match self {
            Outage::Table => "documents-table requests refused (503 ServiceUnavailable)",
            Outage::Sns => "status publishes refused (500 InternalError)",
            Outage::ProcessorCrash => "processor invocations killed mid-document",
        }
    }
}

/// Arms an [`Outage`] for a window and tells what it did.
pub trait FaultSwitch: Send + Sync + 'static {
    fn arm(
        &self,
        outage: Outage,
        window: Duration,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// How many requests or invocations the outage hit so far.
    fn injected(&self, outage: Outage) -> impl Future<Output = Result<u64, String>> + Send;
}

/// A run without outages.
pub struct NoOutages;

impl FaultSwitch for NoOutages {
    async fn arm(&self, _: Outage, _: Duration) -> Result<(), String> {
        Err("no fault switch".into())
    }
    async fn injected(&self, _: Outage) -> Result<u64, String> {
        Err("no fault switch".into())
    }
}

/// The faults a run injects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Deliveries of every document's event after it settled (0: none).
    pub replay_copies: usize,
    /// Bad keys sent to the API (0: none).
    pub probe_keys: usize,
    /// Outages armed together once a fifth of the documents went out.
    pub outages: Vec<Outage>,
    /// How long each outage lasts.
    pub window: Duration,
    /// Post every settled presigned document's form again (`overwrite`):
    /// each such upload must be refused, announced once and audited.
    pub overwrite: bool,
}

impl Faults {
    /// Parses `--faults duplicate-events,authorizer-probe,table-outage,...`.
    pub fn parse(list: &str, probe_keys: usize, window: Duration) -> Result<Faults, String> {
        let mut faults = Faults {
            window,
            ..Faults::default()
        };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "duplicate-events" => faults.replay_copies = 3,
                "authorizer-probe" => faults.probe_keys = probe_keys,
                "overwrite" => faults.overwrite = true,
                other => match Outage::ALL.into_iter().find(|o| o.name() == other) {
                    Some(o) if !faults.outages.contains(&o) => faults.outages.push(o),
                    Some(_) => {}
                    None => {
                        return Err(format!(
                        "unknown fault {other:?}: choose from duplicate-events, overwrite, authorizer-probe, \
                             table-outage, sns-outage, processor-crash"
                    ))
                    }
                },
            }
        }
        Ok(faults)
    }
}

/// When a run's outages were armed and how arming went.
pub struct ArmedOutages {
    /// Milliseconds since the run started.
    pub at_ms: f64,
    pub ends: std::time::Instant,
    pub armed: Vec<(Outage, Result<(), String>)>,
}

/// Arms every outage of `faults` for its window.
pub async fn arm_outages<S: FaultSwitch>(switch: &S, faults: &Faults, at_ms: f64) -> ArmedOutages {
    let mut armed = Vec::new();
    for &outage in &faults.outages {
        armed.push((outage, switch.arm(outage, faults.window).await));
    }
    ArmedOutages {
        at_ms,
        ends: std::time::Instant::now() + faults.window,
        armed,
    }
}

/// One check per outage: it was armed and hit something (an outage that
/// never fired tested nothing).
pub async fn outage_checks<S: FaultSwitch>(switch: &S, outages: &ArmedOutages) -> Vec<Check> {
    let mut checks = Vec::new();
    for (outage, armed) in &outages.armed {
        let injected = match armed {
            Ok(()) => switch.injected(*outage).await,
            Err(e) => Err(format!("could not arm it: {e}")),
        };
        let window = format!("in the window from {:.1} s", outages.at_ms / 1000.0);
        checks.push(Check {
            name: format!("fault {} injected", outage.name()),
            passed: matches!(injected, Ok(n) if n > 0),
            detail: match injected {
                Ok(0) => format!("armed, but nothing hit it {window}: the fault tested nothing"),
                Ok(n) => format!("{n} {} {window}", outage.effect()),
                Err(e) => e,
            },
        });
    }
    checks
}

/// An object as the documents table recorded it, for delivering its S3
/// event again.
pub struct RecordedObject<'a> {
    /// The key as stored (not yet event-encoded).
    pub key: &'a str,
    pub size: u64,
    pub version_id: Option<&'a str>,
    pub sequencer: &'a str,
}

/// The `ObjectCreated:Post` notification S3 sends for `object` (event
/// structure 2.1: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
/// with the key URL-encoded as S3 encodes it.
pub fn object_created_event(
    region: &str,
    bucket: &str,
    object: &RecordedObject<'_>,
    event_time: &str,
) -> serde_json::Value {
    let mut s3_object = serde_json::json!({
        "key": docproc_core::s3key::encode_event_key(object.key),
        "size": object.size,
        "sequencer": object.sequencer,
    });
    if let Some(version) = object.version_id {
        s3_object["versionId"] = version.into();
    }
    serde_json::json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": event_time,
        "eventName": "ObjectCreated:Post",
        "userIdentity": {"principalId": "docproc-replay"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "replay", "x-amz-id-2": "replay"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "docproc-replay",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "docproc-replay"},
                "arn": format!("arn:aws:s3:::{bucket}"),
            },
            "object": s3_object,
        },
    }]})
}

/// A permutation of `0..n` from `seed` (Fisher-Yates with xorshift): the
/// same seed gives the same order, so a failing run can be repeated.
pub fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    // Spread the seed (neighbouring seeds give unrelated orders); xorshift needs x != 0.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

/// Replays each document's event `copies` times, all deliveries in one
/// shuffled order, `concurrency` at a time. The check fails when a replay
/// itself fails (the processor must accept a duplicate and do nothing).
pub async fn replay_duplicates<R: Replayer>(
    replayer: Arc<R>,
    ids: &[String],
    copies: usize,
    concurrency: usize,
    seed: u64,
) -> Check {
    let deliveries: Vec<String> = shuffled(ids.len() * copies, seed)
        .into_iter()
        .map(|i| ids[i % ids.len().max(1)].clone())
        .collect();
    let count = deliveries.len();
    let results = concurrently(deliveries, concurrency, move |id| {
        let replayer = replayer.clone();
        async move { replayer.replay(&id).await.map_err(|e| format!("{id}: {e}")) }
    })
    .await;
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    Check {
        name: "duplicate S3 events accepted and ignored".into(),
        // No delivery, no evidence: a run with nothing to replay fails here.
        passed: failures.is_empty() && count > 0,
        detail: if count == 0 {
            "no event was replayed: no document settled to replay".into()
        } else if failures.is_empty() {
            format!(
                "{count} deliveries ({copies} per document, shuffled, seed {seed}); the checks below count what they changed"
            )
        } else {
            format!(
                "{} of {count} replays failed, first: {}",
                failures.len(),
                failures[0]
            )
        },
    }
}

/// Runs `work` on every item, at most `concurrency` at a time (spawned
/// tasks taking the next item as they finish one); results in no set order.
pub(crate) async fn concurrently<T, Fut, F>(
    items: Vec<T>,
    concurrency: usize,
    work: F,
) -> Vec<Fut::Output>
where
    T: Send + 'static,
    Fut: Future + Send,
    Fut::Output: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
{
    let items = Arc::new(Mutex::new(items.into_iter()));
    let work = Arc::new(work);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (items, work) = (items.clone(), work.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = items
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .next();
                let Some(item) = next else { return done };
                done.push(work(item).await);
            }
        });
    }
    let mut results = Vec::new();
    while let Some(done) = workers.join_next().await {
        match done {
            Ok(done) => results.extend(done),
            // A panic is a bug: never let it pass as fewer results.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => {}
        }
    }
    results
}

const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `n` keys that must be refused: near misses of `valid` (each character
/// changed, a character dropped or added, the case flipped, the key
/// repeated) and then random keys of the same form (43 characters of
/// base64url), from `random` bytes.
pub fn probe_keys(valid: &str, n: usize, random: &[u8]) -> Vec<String> {
    let mut keys = Vec::with_capacity(n);
    let bytes = valid.as_bytes();
    for i in 0..bytes.len() {
        let mut k = bytes.to_vec();
        k[i] = if k[i] == b'A' { b'B' } else { b'A' };
        keys.push(String::from_utf8_lossy(&k).into_owned());
    }
    keys.push(valid[..valid.len().saturating_sub(1)].to_string());
    keys.push(format!("{valid}A"));
    // Not `" {valid}"`: HTTP drops whitespace around a header value (RFC 9110
    // section 5.5), so that is the valid key itself on the wire.
    keys.push(format!(
        "{}.{}",
        &valid[..valid.len() / 2],
        &valid[valid.len() / 2 + 1..]
    ));
    keys.push(valid.to_ascii_uppercase());
    keys.push(valid.to_ascii_lowercase());
    keys.push(valid.repeat(2));
    keys.retain(|k| k != valid);
    keys.truncate(n);
    let mut at = 0;
    while keys.len() < n {
        let key: String = (0..43)
            .map(|j| KEY_ALPHABET[random[(at + j) % random.len().max(1)] as usize % 64] as char)
            .collect();
        at += 43;
        keys.push(key);
    }
    keys
}

/// Sends every probe key to `GET /documents`; passes when none is allowed.
pub async fn probe_authorizer<A: LoadApi>(api: Arc<A>, keys: Vec<String>, plan: &Plan) -> Check {
    let count = keys.len();
    let plan = Arc::new(plan.clone());
    let labels = concurrently(keys, plan.concurrency, move |key| {
        let (api, plan) = (api.clone(), plan.clone());
        async move {
            // Throttled answers are retried: a 429 proves nothing either way.
            let (answer, _) =
                super::run::with_retries(&plan, || api.get_with_key("/documents", &key)).await;
            label(&answer)
        }
    })
    .await;
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for l in labels {
        *statuses.entry(l).or_default() += 1;
    }
    // Answers whose label passes `is`.
    let answered = |is: fn(&str) -> bool| -> usize {
        statuses.iter().filter(|(l, _)| is(l)).map(|(_, n)| n).sum()
    };
    let allowed = answered(|l| l.starts_with('2'));
    // Refused by the authorizer: API Gateway's gateway responses for a
    // missing key and a denied one. A 403 with WAF's own body (a managed
    // rule's block) was refused too, but never reached the authorizer.
    let refused = answered(|l| matches!(l, "401 unauthorized" | "403 forbidden"));
    let limited = answered(|l| l.starts_with("429"));
    let counts: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    let mut detail = format!(
        "{count} bad keys, {allowed} allowed; answers {}",
        counts.join(", ")
    );
    let failed = answered(|l| l.starts_with('5') || l == "network");
    if failed > 0 {
        // Refused, but not by a decision: the authorizer (or its Lambda
        // concurrency) failed, and API Gateway fails closed.
        detail.push_str(&format!(
            "; {failed} failed after retries without a decision (an authorizer throttled or \
             failing: API Gateway answers 500 and lets nothing in)"
        ));
    }
    if limited > 0 {
        // The WAF's per-IP limit (or throttling) answered: those keys never
        // reached the authorizer, so they prove nothing.
        detail.push_str(&format!(
            "; {limited} were still rate-limited after retries and never reached the authorizer \
             (lower --probe-keys or raise waf_rate_limit)"
        ));
    }
    Check {
        name: "the authorizer refuses random and near-miss keys".into(),
        passed: allowed == 0 && refused == count,
        detail,
    }
}

/// The answer's status and error code (`403 forbidden`, `429 rate_limited`),
/// so a refusal by the authorizer reads apart from one by the WAF.
fn label(answer: &HttpResult) -> String {
    match answer {
        Ok(a) => format!("{} {}", a.status, super::run::error_code(answer)),
        Err(_) => "network".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A replay check that delivered nothing is no evidence and fails.
    #[tokio::test]
    async fn a_replay_check_that_replayed_nothing_fails() {
        let check = replay_duplicates(Arc::new(NoReplay), &[], 3, 4, 7).await;
        assert!(!check.passed, "{}", check.detail);
        assert!(
            check.detail.contains("no event was replayed"),
            "{}",
            check.detail
        );
    }

    #[test]
    fn faults_parse_and_unknown_ones_are_named() {
        let window = Duration::from_secs(20);
        assert_eq!(
            Faults::parse("", 10, window),
            Ok(Faults {
                window,
                ..Faults::default()
            })
        );
        assert_eq!(
            Faults::parse(
                "duplicate-events, authorizer-probe,sns-outage,table-outage,sns-outage,processor-crash,overwrite",
                10,
                window
            ),
            Ok(Faults {
                replay_copies: 3,
                probe_keys: 10,
                outages: vec![Outage::Sns, Outage::Table, Outage::ProcessorCrash],
                window,
                overwrite: true,
            })
        );
        assert!(Faults::parse("dns-outage", 10, window)
            .unwrap_err()
            .contains("unknown fault \"dns-outage\""));
    }

    #[test]
    fn replayed_events_are_s3_notifications_the_processor_reads() {
        let object = RecordedObject {
            key: "incoming/acme/d1 two+three",
            size: 42,
            version_id: Some("v1"),
            sequencer: "0055AED6DCD90281E5",
        };
        let event = object_created_event("us-east-1", "b", &object, "2026-11-29T00:00:00Z");
        // What the processor parses: the aws_lambda_events S3 event type.
        let parsed: aws_lambda_events::s3::S3Event = serde_json::from_value(event).unwrap();
        let record = &parsed.records[0];
        assert_eq!(record.event_name.as_deref(), Some("ObjectCreated:Post"));
        assert_eq!(record.s3.bucket.name.as_deref(), Some("b"));
        let o = &record.s3.object;
        assert_eq!(o.key.as_deref(), Some("incoming/acme/d1+two%2Bthree"));
        assert_eq!((o.size, o.version_id.as_deref()), (Some(42), Some("v1")));
        assert_eq!(o.sequencer.as_deref(), Some("0055AED6DCD90281E5"));
    }

    #[test]
    fn shuffles_are_permutations_and_repeatable() {
        let a = shuffled(300, 42);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..300).collect::<Vec<_>>());
        assert_eq!(a, shuffled(300, 42));
        assert_ne!(a, shuffled(300, 43));
        assert_ne!(a, sorted, "not shuffled");
    }

    #[test]
    fn probe_keys_are_near_misses_then_random_and_never_the_key() {
        let valid = "q3Xw9-Zr_8LmN0pQ1sT2uV3wX4yZ5aB6cD7eF8gH9iJ";
        assert_eq!(valid.len(), 43);
        let keys = probe_keys(valid, 100, &[7u8; 64]);
        assert_eq!(keys.len(), 100);
        assert!(keys.iter().all(|k| k != valid));
        // One change per position, and a character outside the alphabet:
        // each at distance one from the key.
        let one_off = keys.iter().filter(|k| {
            k.len() == 43 && k.bytes().zip(valid.bytes()).filter(|(a, b)| a != b).count() == 1
        });
        assert_eq!(one_off.count(), 44);
        assert!(
            keys.iter().all(|k| k.trim() == k.as_str()),
            "whitespace is trimmed by HTTP"
        );
        assert!(keys.contains(&valid[..42].to_string()));
        assert!(keys[49..]
            .iter()
            .all(|k| k.len() == 43 && k.bytes().all(|b| KEY_ALPHABET.contains(&b))));
    }
}
