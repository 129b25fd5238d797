//! Faults `docproc load --faults` injects, and how each is checked:
//! - `duplicate-events`: S3 delivers at least once, in no set order. Each
//!   document's first version is delivered again right after its upload,
//!   racing S3's own event for the verdict; once everything settled, every
//!   version of every document is delivered three more times, newest first
//!   (so a judged version's event comes after a refused newer one's), in
//!   shuffled order. Afterwards the run's checks must still find one
//!   outcome, one notification per status change or refusal and one
//!   terminal status per document.
//! - `authorizer-probe`: keys that must not work (random ones and near
//!   misses of the run's own key) are sent to the API; none may be allowed.
//! - `table-outage`, `sns-outage`, `processor-crash` ([`Outage`]): for a
//!   window of the run the documents table refuses requests, the status
//!   topic refuses publishes, or processor invocations are killed in the
//!   middle of their document. Only the local platform's emulator can do
//!   this; the run needs `--redrive`, since events that fail through all
//!   their retries are dead-lettered. Afterwards the same checks must pass,
//!   and each fault must have fired.

use crate::measure::ms_since;
use crate::measure::Check;
use crate::plan::{Faults, Plan};
use crate::ports::{
    FaultSwitch, HttpResult, LoadApi, ObjectEvent, Outage, Replayer, StoredVersion,
};
use crate::retry::backoff;
use crate::retry::{error_code, with_retries};
use crate::tasks::{concurrently, lock};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

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

/// The `ObjectCreated:Post` notification S3 sends for `object` (event
/// structure 2.1: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
/// with the key URL-encoded as S3 encodes it.
pub fn object_created_event(
    region: &str,
    bucket: &str,
    object: &ObjectEvent,
    event_time: &str,
) -> serde_json::Value {
    let mut s3_object = serde_json::json!({
        "key": docproc_core::s3key::encode_event_key(&object.key),
        "size": object.size,
        "sequencer": object.sequencer,
    });
    if let Some(version) = &object.version_id {
        s3_object["versionId"] = version.as_str().into();
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

/// The event to replay for `version` of a document of `size` bytes (every
/// version the run uploads under a document has the document's bytes). A
/// version whose sequencer the record does not hold gets a fresh one: S3's
/// are hexadecimal strings that only order the events of one key, and in a
/// versioned bucket the processor judges the key's first version and names
/// copies by version id, so the sequencer only labels the delivery.
pub fn replay_event(version: &StoredVersion, size: u64, fresh: u64) -> ObjectEvent {
    ObjectEvent {
        key: version.key.clone(),
        size,
        version_id: version.version_id.clone(),
        sequencer: version
            .sequencer
            .clone()
            .unwrap_or_else(|| format!("{fresh:016X}")),
    }
}

/// A fresh sequencer's value: the clock, in nanoseconds.
fn fresh_sequencer() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

/// Attempts per early replay: an outage armed during the uploads fails
/// deliveries for its window (Lambda's own retries of S3's event wait it out
/// the same way); 8 attempts back off for about 30 s.
const EARLY_ATTEMPTS: u32 = 8;

/// Delivers the event of the document's first version once more, right
/// after its upload: S3's own delivery is on its way or being processed, so
/// the two race for the verdict. Retried (both the lookup and the delivery)
/// up to [`EARLY_ATTEMPTS`] times; the delivery's start is returned, in ms
/// since `start`.
pub async fn replay_upload<R: Replayer>(
    replayer: &R,
    document_id: &str,
    size: u64,
    start: Instant,
) -> Result<f64, String> {
    let mut attempt = 0;
    loop {
        let sent_ms = ms_since(start);
        let delivered = async {
            let versions = replayer.versions(document_id).await?;
            let first = versions
                .first()
                .ok_or_else(|| "no object version under its key".to_string())?;
            replayer
                .deliver(&replay_event(first, size, fresh_sequencer()))
                .await
        }
        .await;
        match delivered {
            Ok(()) => return Ok(sent_ms),
            Err(e) if attempt + 1 >= EARLY_ATTEMPTS => {
                return Err(format!(
                    "{document_id}: {e} (after {EARLY_ATTEMPTS} attempts)"
                ))
            }
            Err(_) => {
                tokio::time::sleep(backoff(Duration::from_millis(250), attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// One document's early replays: (document, when each was sent or why it failed).
type Raced = (String, Vec<Result<f64, String>>);

/// The early replays of a run (`duplicate-events`): `racers` copies per
/// uploaded document, sent together as soon as its upload returned (S3
/// delivers at least once, so copies of one event may overlap),
/// `concurrency` documents at a time.
pub struct EarlyReplays<R: Replayer> {
    replayer: Arc<R>,
    permits: Arc<Semaphore>,
    racers: usize,
    start: Instant,
    sent: Mutex<JoinSet<Raced>>,
}

impl<R: Replayer> EarlyReplays<R> {
    pub fn new(
        replayer: Arc<R>,
        concurrency: usize,
        racers: usize,
        start: Instant,
    ) -> EarlyReplays<R> {
        EarlyReplays {
            replayer,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            racers: racers.max(1),
            start,
            sent: Mutex::new(JoinSet::new()),
        }
    }

    /// Replays `document_id`'s first version in the background, `racers`
    /// copies at once.
    pub fn send(&self, document_id: &str, size: u64) {
        let (replayer, permits, start) = (self.replayer.clone(), self.permits.clone(), self.start);
        let (id, racers) = (document_id.to_string(), self.racers);
        lock(&self.sent).spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return (id, vec![Err("replays closed".to_string())]);
            };
            let mut copies = JoinSet::new();
            for _ in 0..racers {
                let (replayer, id) = (replayer.clone(), id.clone());
                copies.spawn(async move { replay_upload(&*replayer, &id, size, start).await });
            }
            let mut results = Vec::new();
            while let Some(done) = copies.join_next().await {
                results.push(done.unwrap_or_else(|e| match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(e) => Err(e.to_string()),
                }));
            }
            (id, results)
        });
    }

    /// Waits for every replay. The check fails when one failed, when none
    /// was sent, or when none was sent before its document's verdict was
    /// published (`verdict_ms`, ms since the start): then none raced
    /// anything.
    pub async fn check(&self, verdict_ms: impl Fn(&str) -> Option<f64>) -> Check {
        let mut sent = std::mem::take(&mut *lock(&self.sent));
        let (mut count, mut raced, mut failures) = (0usize, 0usize, Vec::new());
        while let Some(done) = sent.join_next().await {
            let (id, results) = match done {
                Ok(done) => done,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => {
                    failures.push(e.to_string());
                    continue;
                }
            };
            for result in results {
                match result {
                    Ok(sent_ms) => {
                        count += 1;
                        if verdict_ms(&id).is_none_or(|v| sent_ms < v) {
                            raced += 1;
                        }
                    }
                    Err(e) => failures.push(e),
                }
            }
        }
        Check {
            name: "duplicate S3 events racing the first delivery accepted".into(),
            passed: failures.is_empty() && raced > 0,
            detail: match failures.first() {
                Some(first) => format!(
                    "{} of {} early replays failed, first: {first}",
                    failures.len(),
                    count + failures.len()
                ),
                None if count == 0 => "no event was replayed: no document was uploaded".into(),
                None => format!(
                    "{count} deliveries of a document's first version right after its upload \
                     ({} at once per document); {raced} sent before its verdict was published{}",
                    self.racers,
                    if raced == 0 {
                        " (none raced the first delivery)"
                    } else {
                        ""
                    }
                ),
            },
        }
    }
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

/// Replays every version of each settled document `copies` times, after
/// the fact. One delivery round is a document's versions with the judged
/// one last, so a document with a refused upload gets its judged (older)
/// version's event after the newer one's (refused versions among themselves
/// come in no set order: the record keeps them in a set); rounds go in one shuffled order, `concurrency` at
/// a time. The check fails when a delivery fails (the processor must take a
/// duplicate and change nothing), when nothing was delivered, and, with
/// `expect_reordered` (the run posted overwrites), when no round delivered an
/// older version after a newer one.
pub async fn replay_duplicates<R: Replayer>(
    replayer: Arc<R>,
    documents: &[(String, u64)],
    copies: usize,
    concurrency: usize,
    seed: u64,
    expect_reordered: bool,
) -> Check {
    let name = "duplicate S3 events accepted and ignored".to_string();
    let mut failures = Vec::new();
    let mut rounds: Vec<(String, Vec<ObjectEvent>)> = Vec::new();
    for (id, size) in documents {
        match replayer.versions(id).await {
            Ok(versions) => {
                let round: Vec<ObjectEvent> = versions
                    .iter()
                    .rev()
                    .map(|v| replay_event(v, *size, fresh_sequencer()))
                    .collect();
                rounds.extend(std::iter::repeat_n((id.clone(), round), copies));
            }
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    let reordered = rounds.iter().filter(|(_, r)| r.len() > 1).count();
    let order = shuffled(rounds.len(), seed);
    let mut slots: Vec<Option<(String, Vec<ObjectEvent>)>> = rounds.into_iter().map(Some).collect();
    let rounds: Vec<(String, Vec<ObjectEvent>)> =
        order.into_iter().filter_map(|i| slots[i].take()).collect();
    let count: usize = rounds.iter().map(|(_, r)| r.len()).sum();
    let results = concurrently(rounds, concurrency, move |(id, round)| {
        let replayer = replayer.clone();
        async move {
            for event in &round {
                replayer
                    .deliver(event)
                    .await
                    .map_err(|e| format!("{id}: {e}"))?;
            }
            Ok::<(), String>(())
        }
    })
    .await;
    failures.extend(results.into_iter().filter_map(Result::err));
    let missing_reorder = expect_reordered && reordered == 0;
    Check {
        name,
        // No delivery, no evidence: a run with nothing to replay fails here.
        passed: failures.is_empty() && count > 0 && !missing_reorder,
        detail: if count == 0 && failures.is_empty() {
            "no event was replayed: no document settled to replay".into()
        } else if let Some(first) = failures.first() {
            format!(
                "{} replays failed (of {count} deliveries), first: {first}",
                failures.len()
            )
        } else {
            format!(
                "{count} deliveries ({copies} rounds per document, shuffled, seed {seed}); \
                 {reordered} rounds delivered an older version after a newer one{}; \
                 the checks below count what they changed",
                if missing_reorder {
                    " (overwrites were posted, so a refused version should have been replayed)"
                } else {
                    ""
                }
            )
        },
    }
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
            let (answer, _) = with_retries(&plan, || api.get_with_key("/documents", &key)).await;
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
        Ok(a) => format!("{} {}", a.status, error_code(answer)),
        Err(_) => "network".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::NoReplay;
    use std::time::Duration;

    /// A replay check that delivered nothing is no evidence and fails.
    #[tokio::test]
    async fn a_replay_check_that_replayed_nothing_fails() {
        let check = replay_duplicates(Arc::new(NoReplay), &[], 3, 4, 7, false).await;
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
        let object = ObjectEvent {
            key: "incoming/acme/d1 two+three".into(),
            size: 42,
            version_id: Some("v1".into()),
            sequencer: "0055AED6DCD90281E5".into(),
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

    /// Versions listed oldest first (v1 judged, v2 and v3 refused); what
    /// was delivered, in order.
    struct ThreeVersions {
        delivered: std::sync::Mutex<Vec<ObjectEvent>>,
    }

    impl Replayer for ThreeVersions {
        async fn versions(&self, _: &str) -> Result<Vec<StoredVersion>, String> {
            Ok(["v1", "v2", "v3"]
                .iter()
                .map(|v| StoredVersion {
                    key: "incoming/c/d".into(),
                    version_id: Some(v.to_string()),
                    sequencer: (*v == "v1").then(|| "00AB".to_string()),
                })
                .collect())
        }
        async fn deliver(&self, event: &ObjectEvent) -> Result<(), String> {
            crate::tasks::lock(&self.delivered).push(event.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn late_replays_deliver_every_version_newest_first() {
        let replayer = Arc::new(ThreeVersions {
            delivered: Default::default(),
        });
        let docs = [("d".to_string(), 7)];
        // One at a time, so the rounds' order is the delivery order.
        let check = replay_duplicates(replayer.clone(), &docs, 2, 1, 3, true).await;
        assert!(check.passed, "{}", check.detail);
        assert!(
            check
                .detail
                .contains("2 rounds delivered an older version after a newer one"),
            "{}",
            check.detail
        );
        let delivered = crate::tasks::lock(&replayer.delivered).clone();
        let order: Vec<&str> = delivered
            .iter()
            .filter_map(|e| e.version_id.as_deref())
            .collect();
        assert_eq!(order, ["v3", "v2", "v1", "v3", "v2", "v1"]);
        assert!(delivered
            .iter()
            .all(|e| e.size == 7 && e.key == "incoming/c/d"));
        // The judged version keeps its recorded sequencer; the others get a
        // fresh one the processor takes.
        assert_eq!(delivered[2].sequencer, "00AB");
        for e in &delivered {
            assert!(
                docproc_core::document::normalize_sequencer(&e.sequencer).is_some(),
                "{e:?}"
            );
        }
    }

    #[tokio::test]
    async fn replays_after_overwrites_that_reordered_nothing_fail() {
        /// One version only: nothing newer to deliver first.
        struct OneVersion;
        impl Replayer for OneVersion {
            async fn versions(&self, _: &str) -> Result<Vec<StoredVersion>, String> {
                Ok(vec![StoredVersion {
                    key: "incoming/c/d".into(),
                    version_id: Some("v1".into()),
                    sequencer: None,
                }])
            }
            async fn deliver(&self, _: &ObjectEvent) -> Result<(), String> {
                Ok(())
            }
        }
        let docs = [("d".to_string(), 7)];
        let without = replay_duplicates(Arc::new(OneVersion), &docs, 3, 2, 1, false).await;
        assert!(without.passed, "{}", without.detail);
        let with = replay_duplicates(Arc::new(OneVersion), &docs, 3, 2, 1, true).await;
        assert!(!with.passed, "{}", with.detail);
        assert!(
            with.detail.contains("0 rounds delivered an older version"),
            "{}",
            with.detail
        );
    }

    #[tokio::test]
    async fn an_early_replay_delivers_the_first_version() {
        let replayer = ThreeVersions {
            delivered: Default::default(),
        };
        replay_upload(&replayer, "d", 9, Instant::now())
            .await
            .unwrap();
        let delivered = crate::tasks::lock(&replayer.delivered).clone();
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].version_id.as_deref(), Some("v1"));
    }

    /// Early replays that all came after their verdicts raced nothing: the
    /// check fails, as it does when a replay fails for good.
    #[tokio::test(start_paused = true)]
    async fn early_replays_must_race_something_and_all_succeed() {
        let start = Instant::now();
        let replayer = Arc::new(ThreeVersions {
            delivered: Default::default(),
        });
        let early = EarlyReplays::new(replayer.clone(), 2, 1, start);
        early.send("a", 1);
        early.send("b", 1);
        let check = early.check(|_| Some(-1.0)).await;
        assert!(!check.passed, "{}", check.detail);
        assert!(check.detail.contains("0 sent before"), "{}", check.detail);
        let early = EarlyReplays::new(replayer, 2, 1, start);
        early.send("a", 1);
        early.send("b", 1);
        let check = early.check(|id| (id == "a").then_some(f64::MAX)).await;
        assert!(check.passed, "{}", check.detail);
        assert!(check.detail.contains("2 sent before"), "{}", check.detail);
        let early = EarlyReplays::new(Arc::new(NoReplay), 2, 1, start);
        early.send("a", 1);
        let check = early.check(|_| None).await;
        assert!(!check.passed, "{}", check.detail);
        assert!(
            check.detail.contains("after 8 attempts"),
            "{}",
            check.detail
        );
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
