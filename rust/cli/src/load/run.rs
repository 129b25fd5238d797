//! The load run: uploads with bounded concurrency and retries, status changes
//! followed on the status topic, then every document checked. The platform is
//! reached through two small ports, [`LoadApi`] and [`StatusFeed`], so the
//! run is tested in process against a fake platform.

use super::faults::{self, DeadLetters, FaultSwitch, Faults, Replayer};
use super::mix::{pick, Fixture};
use super::{Check, Outcome, Sample, UploadKind};
use base64::Engine as _;
use docproc_core::audit::{verify_anchored, AuditEvent, AuditHead};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An HTTP answer: status and body. A transport failure is an `Err(String)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

pub type HttpResult = Result<Answer, String>;

/// The REST API, with the run's key, and the presigned S3 POST.
pub trait LoadApi: Send + Sync + 'static {
    /// `POST <api><path>` with a JSON body.
    /// `POST <api><path>` with a JSON body and an `Idempotency-Key`: a retry
    /// after a timeout or a lost answer finds the document the first try made.
    fn post_json(
        &self,
        path: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> impl Future<Output = HttpResult> + Send;
    /// `GET <api><path>`.
    fn get(&self, path: &str) -> impl Future<Output = HttpResult> + Send;
    /// `GET <api><path>` with another API key.
    fn get_with_key(&self, path: &str, key: &str) -> impl Future<Output = HttpResult> + Send;
    /// The run's own key.
    fn key(&self) -> &str;
    /// A multipart/form-data POST to `url`: `fields` in order, then the file.
    fn post_form(
        &self,
        url: &str,
        fields: &[(String, String)],
        file: Arc<Vec<u8>>,
    ) -> impl Future<Output = HttpResult> + Send;
}

/// A presigned POST's multipart/form-data body and its content type: the
/// policy's fields in order, then the file, which S3 requires to be the last
/// field of the form.
pub fn form_body(fields: &[(String, String)], file: &[u8]) -> (String, Vec<u8>) {
    // Random-looking and long enough never to occur in the fields; a file
    // containing it still parses, as its part is last and delimited by length.
    let boundary = "docproc-load-7f3a91c2e6b4d05e";
    let mut body = Vec::with_capacity(file.len() + 4096);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// One status change published on the status topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The id of the queue message that carried it: standard SQS queues
    /// deliver at least once, so a copy with the same id is not a second
    /// notification.
    pub message_id: String,
    pub document_id: String,
    pub status: String,
    pub reason_code: Option<String>,
    /// Set on a refused upload (`event_type` `document.overwrite_refused`):
    /// the document's status did not change.
    pub refused_version: Option<String>,
}

/// Reads a status change from an SQS message body. SNS wraps the published
/// message in a JSON envelope (`Type` "Notification", the message in
/// `Message`) whose `MessageId` is the publish's: SNS and SQS both deliver at
/// least once, and every copy of one publish carries that id. A raw body
/// (raw message delivery) has only the SQS message's id to go by.
pub fn status_change_of(sqs_message_id: &str, body: &str) -> Option<StatusChange> {
    let body: Value = serde_json::from_str(body).ok()?;
    let (change, message_id) = match body["Message"].as_str() {
        Some(inner) if body["Type"] == "Notification" => (
            serde_json::from_str::<Value>(inner).ok()?,
            body["MessageId"]
                .as_str()
                .unwrap_or(sqs_message_id)
                .to_string(),
        ),
        _ => (body, sqs_message_id.to_string()),
    };
    Some(StatusChange {
        refused_version: change["refused_version"].as_str().map(str::to_string),
        message_id,
        document_id: change["document_id"].as_str()?.to_string(),
        status: change["new_status"].as_str()?.to_string(),
        reason_code: change["reason_code"].as_str().map(str::to_string),
    })
}

/// The status topic, as the run sees it (an SQS queue subscribed to it).
pub trait StatusFeed: Send + Sync + 'static {
    /// The changes that arrived since the last call; waits about a second when there are none.
    fn receive(&self) -> impl Future<Output = Result<Vec<StatusChange>, String>> + Send;
}

/// How a run goes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub documents: usize,
    pub concurrency: usize,
    /// Every n-th document goes presigned even when it fits inline (0: only those that must).
    pub presigned_every: usize,
    /// Largest document sent inline (its base64 JSON must fit the API's 4 MiB body limit... with room).
    pub inline_limit: usize,
    /// How long to wait for the last document's terminal status.
    pub settle_timeout: Duration,
    /// Attempts per request on 429, 5xx and network errors: 20 with the
    /// backoff (capped at 8-12 s) keep a request trying for about 2.5
    /// minutes, through a minute-long outage.
    pub max_attempts: u32,
    /// First retry delay; doubled per attempt.
    pub backoff: Duration,
    /// How long to keep reading the feed after the last terminal status, so
    /// late duplicates are counted.
    pub late_grace: Duration,
    pub faults: Faults,
    /// Redrive the dead-letter queues once the run stops settling, then wait again.
    pub redrive: bool,
    /// With `redrive`: how long without a newly settled document counts as stopped.
    pub stall: Option<Duration>,
    /// Names the run in its uploads' Idempotency-Keys.
    pub run_id: String,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            documents: 200,
            concurrency: 8,
            presigned_every: 4,
            inline_limit: 2 << 20,
            settle_timeout: Duration::from_secs(300),
            max_attempts: 20,
            backoff: Duration::from_millis(250),
            late_grace: Duration::from_secs(3),
            faults: Faults::default(),
            redrive: false,
            stall: None,
            run_id: "run".into(),
        }
    }
}

/// Progress for the terminal: sent, settled (terminal or failed), total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub sent: usize,
    pub settled: usize,
    pub total: usize,
}

/// What [`run`] found.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub samples: Vec<Sample>,
    pub duration_s: f64,
    pub checks: Vec<Check>,
    pub fault_windows: Vec<super::FaultWindow>,
}

const TERMINAL: [&str; 2] = ["PROCESSED", "REJECTED"];

/// Redrives of the dead-letter queues at most (`--redrive`).
const REDRIVE_ROUNDS: usize = 3;

/// Replays in flight at once (`duplicate-events`).
const REPLAY_CONCURRENCY: usize = 4;

/// Status changes seen on the feed, per document, with when (ms since start).
type Seen = HashMap<String, Vec<(StatusChange, f64)>>;

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

/// Sends `plan.documents` documents, follows each to its terminal status and
/// checks the run. Never fails as a whole: what went wrong is in the samples
/// and the checks.
#[allow(clippy::too_many_arguments)] // one per port, each optional but the first two
pub async fn run<A: LoadApi, F: StatusFeed, R: Replayer, D: DeadLetters, S: FaultSwitch>(
    api: Arc<A>,
    feed: Arc<F>,
    replayer: Option<Arc<R>>,
    dead_letters: Option<Arc<D>>,
    switch: Option<Arc<S>>,
    mix: Arc<Vec<Fixture>>,
    plan: &Plan,
    progress: impl Fn(Progress) + Send + Sync + 'static,
) -> RunResult {
    let start = Instant::now();
    let total = plan.documents;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let feed_errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = {
        let (feed, seen, stop, errors) = (
            feed.clone(),
            seen.clone(),
            stop.clone(),
            feed_errors.clone(),
        );
        tokio::spawn(async move {
            let mut delivered = std::collections::HashSet::new();
            while !stop.load(Ordering::Acquire) {
                match feed.receive().await {
                    Ok(changes) => {
                        let at = ms_since(start);
                        let mut seen = lock(&seen);
                        for c in changes {
                            if !delivered.insert(c.message_id.clone()) {
                                continue;
                            }
                            seen.entry(c.document_id.clone()).or_default().push((c, at));
                        }
                    }
                    Err(e) => {
                        lock(&errors).push(e);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        })
    };

    // Uploads: `concurrency` workers take the next document index.
    let next = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let samples: Arc<Mutex<Vec<Option<Sample>>>> = Arc::new(Mutex::new(vec![None; total]));
    let forms: Arc<Mutex<Forms>> = Arc::default();
    let progress = Arc::new(progress);
    // Outages start once a fifth of the documents went out, so their window
    // finds documents at every stage: uploading, processing, notifying.
    let outages: Arc<Mutex<Option<faults::ArmedOutages>>> = Arc::default();
    let arm_after = match (&switch, plan.faults.outages.is_empty()) {
        (Some(_), false) => (total / 5).max(1),
        _ => usize::MAX,
    };
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..plan.concurrency.max(1) {
        let (api, mix, plan) = (api.clone(), mix.clone(), plan.clone());
        let (switch, outages, forms) = (switch.clone(), outages.clone(), forms.clone());
        let (next, sent, samples, progress, seen) = (
            next.clone(),
            sent.clone(),
            samples.clone(),
            progress.clone(),
            seen.clone(),
        );
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::AcqRel);
                if i >= plan.documents {
                    return;
                }
                let sample = upload(&*api, pick(&mix, i), i, &plan, start, &forms).await;
                lock(&samples)[i] = Some(sample);
                let sent = sent.fetch_add(1, Ordering::AcqRel) + 1;
                if let (true, Some(switch)) = (sent == arm_after, &switch) {
                    let armed = faults::arm_outages(&**switch, &plan.faults, ms_since(start)).await;
                    *lock(&outages) = Some(armed);
                }
                let settled = settled_count(&lock(&samples), &lock(&seen));
                progress(Progress {
                    sent,
                    settled,
                    total: plan.documents,
                });
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let outages = lock(&outages).take();

    // Wait for every uploaded document's terminal status on the feed; with
    // --redrive, what is left when it stops settling is redriven from the
    // dead-letter queues (once any outage is over) and waited for again:
    // events still in their retries when a round starts are dead-lettered
    // later, so there are up to REDRIVE_ROUNDS rounds.
    let settled_now = || settled_count(&lock(&samples), &lock(&seen));
    let report = |settled| {
        progress(Progress {
            sent: total,
            settled,
            total,
        })
    };
    // One deadline for all of it: a stall only starts a redrive round, and
    // once the rounds are used up the run waits out the deadline (events
    // waiting out throttles settle late, but they settle).
    let deadline = Instant::now() + plan.settle_timeout;
    let mut rounds = Vec::new();
    loop {
        let stall = plan.stall.filter(|_| rounds.len() < REDRIVE_ROUNDS);
        wait_until_settled(&settled_now, &report, total, deadline, stall).await;
        let Some(dlq) = &dead_letters else { break };
        if settled_now() == total || Instant::now() >= deadline || stall.is_none() {
            break;
        }
        if let Some(o) = &outages {
            tokio::time::sleep_until(o.ends.into()).await;
        }
        rounds.push(dlq.redrive_all().await);
    }
    let mut checks = Vec::new();
    if let Some(last) = rounds.last() {
        let redriven: usize = rounds.iter().flatten().sum();
        let failed: Vec<&String> = rounds.iter().filter_map(|r| r.as_ref().err()).collect();
        checks.push(Check {
            name: "dead letters redriven".into(),
            passed: last.is_ok(),
            detail: match failed.first() {
                None => format!(
                    "{redriven} dead-lettered events sent through their functions again ({} rounds)",
                    rounds.len()
                ),
                Some(first) => format!(
                    "{redriven} redriven in {} rounds; {} rounds failed, first: {first}",
                    rounds.len(),
                    failed.len()
                ),
            },
        });
    }
    if let (Some(switch), Some(outages)) = (&switch, &outages) {
        checks.extend(faults::outage_checks(&**switch, outages).await);
    }
    let duration_s = start.elapsed().as_secs_f64();
    if let (Some(replayer), copies @ 1..) = (replayer, plan.faults.replay_copies) {
        let settled: Vec<String> = {
            let (samples, seen) = (lock(&samples), lock(&seen));
            samples
                .iter()
                .flatten()
                .filter_map(|s| s.document_id.clone())
                .filter(|id| terminal_of(seen.get(id)).is_some())
                .collect()
        };
        let seed = start.elapsed().as_nanos() as u64;
        // A few at a time: the processor's reserved concurrency is small.
        let concurrency = plan.concurrency.min(REPLAY_CONCURRENCY);
        checks.push(faults::replay_duplicates(replayer, &settled, copies, concurrency, seed).await);
    }
    if plan.faults.overwrite {
        let forms = std::mem::take(&mut *lock(&forms));
        checks.push(overwrite_check(&*api, plan, forms, &seen).await);
    }
    tokio::time::sleep(plan.late_grace).await;
    stop.store(true, Ordering::Release);
    let _ = listener.await;

    let mut samples: Vec<Sample> = lock(&samples).drain(..).flatten().collect();
    let seen = std::mem::take(&mut *lock(&seen));
    let mut missing_notification = Vec::new();
    for s in &mut samples {
        let Some(id) = s.document_id.clone() else {
            continue;
        };
        match terminal_of(seen.get(&id)) {
            Some((change, at)) => {
                s.outcome = outcome_of(&change.status, change.reason_code.as_deref());
                s.terminal_ms = Some(at - s.sent_at_ms);
            }
            None => {
                // Not on the feed: ask the API, so a lost notification is told
                // apart from a document that never finished.
                let (doc, retries) = get_json(&*api, &format!("/documents/{id}"), plan).await;
                s.retries += retries;
                let status = doc
                    .as_ref()
                    .and_then(|d| d["status"].as_str())
                    .unwrap_or_default()
                    .to_string();
                if TERMINAL.contains(&status.as_str()) {
                    missing_notification.push(id.clone());
                    let doc = doc.unwrap_or_default();
                    s.outcome = outcome_of(&status, doc["reason"]["code"].as_str());
                } else {
                    s.outcome = Outcome::TimedOut;
                }
            }
        }
    }

    let uploaded: Vec<&Sample> = samples.iter().filter(|s| s.document_id.is_some()).collect();
    let failed_uploads = samples.len() - uploaded.len();
    checks.push(Check {
        name: "every document uploaded".into(),
        passed: failed_uploads == 0,
        detail: format!("{} of {} uploaded", uploaded.len(), samples.len()),
    });
    let timed_out: Vec<&str> = uploaded
        .iter()
        .filter(|s| s.outcome == Outcome::TimedOut)
        .filter_map(|s| s.document_id.as_deref())
        .collect();
    checks.push(Check {
        name: "every uploaded document reached a terminal status".into(),
        passed: timed_out.is_empty(),
        detail: if timed_out.is_empty() {
            format!("{} PROCESSED or REJECTED", uploaded.len())
        } else {
            format!(
                "{} still pending after {:?}: {}",
                timed_out.len(),
                plan.settle_timeout,
                sample_ids(&timed_out)
            )
        },
    });
    checks.push(notification_check(&uploaded, &seen, &missing_notification));
    checks.push(audit_check(api.clone(), &uploaded, plan).await);
    if plan.faults.probe_keys > 0 {
        let mut random = vec![0u8; 4096];
        // Without randomness the near misses and a fixed pattern still probe.
        let _ = getrandom::fill(&mut random);
        let keys = faults::probe_keys(api.key(), plan.faults.probe_keys, &random);
        checks.push(faults::probe_authorizer(api.clone(), keys, plan).await);
    }
    let feed_errors = std::mem::take(&mut *lock(&feed_errors));
    if !feed_errors.is_empty() {
        checks.push(Check {
            name: "status feed readable".into(),
            passed: false,
            detail: format!(
                "{} receive errors, first: {}",
                feed_errors.len(),
                feed_errors[0]
            ),
        });
    }
    let fault_windows = outages
        .iter()
        .map(|o| super::FaultWindow {
            faults: o.armed.iter().map(|(f, _)| f.name().to_string()).collect(),
            from_ms: o.at_ms,
            to_ms: o.at_ms + plan.faults.window.as_secs_f64() * 1000.0,
        })
        .collect();
    RunResult {
        samples,
        duration_s,
        checks,
        fault_windows,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sample_ids(ids: &[&str]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).copied().collect();
    let more = ids.len().saturating_sub(shown.len());
    format!(
        "{}{}",
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// Documents whose upload failed or whose terminal status was seen.
fn settled_count(samples: &[Option<Sample>], seen: &Seen) -> usize {
    samples
        .iter()
        .flatten()
        .filter(|s| match &s.document_id {
            None => true,
            Some(id) => terminal_of(seen.get(id)).is_some(),
        })
        .count()
}

fn terminal_of(changes: Option<&Vec<(StatusChange, f64)>>) -> Option<(StatusChange, f64)> {
    changes?
        .iter()
        .find(|(c, _)| c.refused_version.is_none() && TERMINAL.contains(&c.status.as_str()))
        .cloned()
}

/// The outcome of a terminal status (PROCESSED or REJECTED).
fn outcome_of(status: &str, reason_code: Option<&str>) -> Outcome {
    match status {
        "PROCESSED" => Outcome::Processed,
        _ => Outcome::Rejected {
            reason: reason_code.unwrap_or("(none)").to_string(),
        },
    }
}

/// One notification per status change: no (document, status) twice, and
/// exactly one terminal status per document.
fn notification_check(uploaded: &[&Sample], seen: &Seen, missing: &[String]) -> Check {
    let mut duplicated = Vec::new();
    let mut two_terminals = Vec::new();
    for s in uploaded {
        let Some(id) = s.document_id.as_deref() else {
            continue;
        };
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let changes = seen.get(id).map(Vec::as_slice).unwrap_or_default();
        // A refused upload leaves the status as it was: not a status change.
        for (c, _) in changes.iter().filter(|(c, _)| c.refused_version.is_none()) {
            *counts.entry(c.status.as_str()).or_default() += 1;
        }
        if counts.values().any(|&n| n > 1) {
            duplicated.push(id);
        }
        if TERMINAL.iter().filter(|t| counts.contains_key(*t)).count() > 1 {
            two_terminals.push(id);
        }
    }
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    let passed = duplicated.is_empty() && two_terminals.is_empty() && missing.is_empty();
    let mut detail = Vec::new();
    if !duplicated.is_empty() {
        detail.push(format!(
            "{} documents notified twice for one status: {}",
            duplicated.len(),
            sample_ids(&duplicated)
        ));
    }
    if !two_terminals.is_empty() {
        detail.push(format!(
            "{} documents both PROCESSED and REJECTED: {}",
            two_terminals.len(),
            sample_ids(&two_terminals)
        ));
    }
    if !missing.is_empty() {
        detail.push(format!(
            "{} terminal statuses never published: {}",
            missing.len(),
            sample_ids(&missing)
        ));
    }
    Check {
        name: "one notification per status change".into(),
        passed,
        detail: if passed {
            format!(
                "{} status changes, none twice or missing",
                seen.values().map(Vec::len).sum::<usize>()
            )
        } else {
            detail.join("; ")
        },
    }
}

/// One document's whole trail as the API returns it: its anchor (from the
/// first page, which the API reads before the events) and every event, page
/// by page (`next_after`). `None` when a page could not be read (with its
/// error code), `Some(None)` when the document has no trail (404).
async fn read_trail<A: LoadApi>(
    api: &A,
    plan: &Plan,
    id: &str,
) -> Result<Option<(Option<AuditHead>, Vec<AuditEvent>)>, String> {
    let mut head = None;
    let mut events: Vec<AuditEvent> = Vec::new();
    let mut after = 0u64;
    // A bounded loop: a trail longer than this many pages is reported unreadable.
    for page in 0..1000 {
        let path = format!("/documents/{id}/audit?limit=500&after={after}");
        let (answer, _) = with_retries(plan, || api.get(&path)).await;
        let body = match &answer {
            Ok(a) if a.status == 200 => serde_json::from_slice::<Value>(&a.body)
                .map_err(|e| format!("unreadable body: {e}"))?,
            Ok(a) if a.status == 404 && page == 0 => return Ok(None),
            _ => return Err(error_code(&answer)),
        };
        if page == 0 {
            head = serde_json::from_value(body["head"].clone()).ok();
        }
        let batch: Vec<AuditEvent> = serde_json::from_value(body["events"].clone())
            .map_err(|e| format!("unreadable events: {e}"))?;
        events.extend(batch);
        match body["next_after"].as_u64() {
            Some(next) if next > after => after = next,
            _ => return Ok(Some((head, events))),
        }
    }
    Err("trail longer than 1000 pages".into())
}

/// Every trail verifies against its anchor and records exactly one outcome.
/// The run verifies each hash chain itself (`docproc_core::audit`), from the
/// events and anchor the API returns: the API's own `verification` is not
/// evidence of anything when the API is what is being checked.
async fn audit_check<A: LoadApi>(api: Arc<A>, uploaded: &[&Sample], plan: &Plan) -> Check {
    let ids: Vec<String> = uploaded
        .iter()
        .filter(|s| s.outcome != Outcome::TimedOut)
        .filter_map(|s| s.document_id.clone())
        .collect();
    /// What one trail showed.
    enum Trail {
        Intact,
        Broken(String),
        /// The API would not return it (after retries): not evidence of a
        /// broken trail, but not of an intact one either.
        Unreadable(String),
    }
    let total = ids.len();
    let plan = Arc::new(plan.clone());
    // `concurrency` trails fetched at once, as the uploads were sent.
    let trails = faults::concurrently(ids, plan.concurrency, move |id| {
        let (api, plan) = (api.clone(), plan.clone());
        async move {
            let (head, events) = match read_trail(&*api, &plan, &id).await {
                Ok(Some(trail)) => trail,
                // No trail at all for a document the API accepted.
                Ok(None) => return Trail::Broken(id),
                Err(code) => return Trail::Unreadable(code),
            };
            let verified = verify_anchored(&id, &events, head.as_ref());
            let outcomes = events
                .iter()
                .filter(|e| matches!(e.action.as_str(), "processed" | "rejected"))
                .count();
            if verified.is_err() || outcomes != 1 {
                Trail::Broken(id)
            } else {
                Trail::Intact
            }
        }
    })
    .await;
    let mut broken_ids = Vec::new();
    let mut unreadable = BTreeMap::<String, usize>::new();
    for trail in trails {
        match trail {
            Trail::Intact => {}
            Trail::Broken(id) => broken_ids.push(id),
            Trail::Unreadable(code) => *unreadable.entry(code).or_default() += 1,
        }
    }
    broken_ids.sort();
    let broken: Vec<&str> = broken_ids.iter().map(String::as_str).collect();
    let unread: usize = unreadable.values().sum();
    let mut detail = if broken.is_empty() {
        format!("{} trails intact", total - unread)
    } else {
        format!(
            "{} trails broken or with no single outcome: {}",
            broken.len(),
            sample_ids(&broken)
        )
    };
    if unread > 0 {
        let codes: Vec<String> = unreadable
            .iter()
            .map(|(c, n)| format!("{c}: {n}"))
            .collect();
        detail.push_str(&format!(
            "; {unread} could not be read after retries ({})",
            codes.join(", ")
        ));
    }
    // A check that read no trail proves nothing: it fails.
    if total == 0 {
        detail = "no trail was checked (no document was uploaded)".into();
    }
    Check {
        name: "every audit trail verifies with one outcome".into(),
        passed: broken.is_empty() && unread == 0 && total > 0,
        detail,
    }
}

/// Waits until `total` documents settled, `deadline` passed, or (when
/// `stall` is set) nothing settled for `stall`: with --redrive, documents in
/// a dead-letter queue will not settle by themselves.
async fn wait_until_settled(
    settled_now: &impl Fn() -> usize,
    report: &impl Fn(usize),
    total: usize,
    deadline: Instant,
    stall: Option<Duration>,
) {
    let (mut last, mut last_change) = (usize::MAX, Instant::now());
    loop {
        let settled = settled_now();
        if settled != last {
            report(settled);
            (last, last_change) = (settled, Instant::now());
        }
        let stalled = stall.is_some_and(|s| last_change.elapsed() >= s);
        if settled == total || Instant::now() >= deadline || stalled {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether to try again: throttled, a server error, or no answer. Not the
/// WAF's per-IP limit (429 `rate_limited`): it blocks the address for its
/// 5-minute window, and retries would only keep the address over the limit.
fn retryable(answer: &HttpResult) -> bool {
    match answer {
        Ok(a) if a.status == 429 => error_code(answer) != "rate_limited",
        Ok(a) => a.status >= 500,
        Err(_) => true,
    }
}

/// Sends with retries; returns the last answer and how many retries it took.
pub(crate) async fn with_retries<Fut: Future<Output = HttpResult>>(
    plan: &Plan,
    mut send: impl FnMut() -> Fut,
) -> (HttpResult, u32) {
    let mut retries = 0;
    loop {
        let answer = send().await;
        if !retryable(&answer) || retries + 1 >= plan.max_attempts {
            return (answer, retries);
        }
        tokio::time::sleep(backoff(plan.backoff, retries)).await;
        retries += 1;
    }
}

/// Exponential backoff capped at 8 s, with up to 50% random jitter so that
/// workers throttled together do not retry together.
pub fn backoff(first: Duration, retries: u32) -> Duration {
    let base = (first * 2u32.saturating_pow(retries.min(16))).min(Duration::from_secs(8));
    let jitter = getrandom::u64().unwrap_or(0) % 1000;
    base + base.mul_f64(jitter as f64 / 2000.0)
}

async fn get_json<A: LoadApi>(api: &A, path: &str, plan: &Plan) -> (Option<Value>, u32) {
    let (answer, retries) = with_retries(plan, || api.get(path)).await;
    let value = answer
        .ok()
        .filter(|a| a.status == 200)
        .and_then(|a| serde_json::from_slice(&a.body).ok());
    (value, retries)
}

/// The code a failed call is counted under: the API's error code, else `http_<status>` or `network`.
pub(crate) fn error_code(answer: &HttpResult) -> String {
    match answer {
        Err(_) => "network".into(),
        // The API answers {"error": {"code"}}; S3 answers XML with <Code>.
        Ok(a) => serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
            .or_else(|| {
                let text = String::from_utf8_lossy(&a.body);
                let (_, rest) = text.split_once("<Code>")?;
                Some(rest.split_once("</Code>")?.0.to_string())
            })
            .unwrap_or_else(|| format!("http_{}", a.status)),
    }
}

/// A presigned upload's form, kept for `overwrite`: url, fields, the bytes.
#[derive(Clone)]
struct Form {
    url: String,
    fields: Vec<(String, String)>,
    bytes: Arc<Vec<u8>>,
}

/// Each presigned document's form, by document id.
type Forms = HashMap<String, Form>;

/// Posts every settled presigned document's form again, with the same bytes
/// (the form pins their Content-MD5), and checks what a verdict promises: the
/// new version is refused, announced once (`overwrite_refused` on the status
/// topic) and audited once, and the document's status never changes (the
/// notification check counts that). A run that posted nothing fails here.
async fn overwrite_check<A: LoadApi>(
    api: &A,
    plan: &Plan,
    forms: Forms,
    seen: &Arc<Mutex<Seen>>,
) -> Check {
    let name = "uploads after the verdict refused, announced and audited once".to_string();
    let settled: Vec<(String, Form)> = {
        let seen = lock(seen);
        forms
            .into_iter()
            .filter(|(id, _)| terminal_of(seen.get(id)).is_some())
            .collect()
    };
    let refusals = |id: &str| -> usize {
        lock(seen).get(id).map_or(0, |c| {
            c.iter()
                .filter(|(c, _)| c.refused_version.is_some())
                .count()
        })
    };
    // Posted a few at a time, each wave waited for: every new version's
    // event is an asynchronous invocation that the processor's reserved
    // concurrency may throttle, and Lambda retries throttled events with a
    // backoff that grows to minutes (contract 50). The whole phase gets as
    // long as documents were waited for.
    let waited = Instant::now();
    let wait_until = waited + plan.settle_timeout;
    let mut posted: Vec<String> = Vec::new();
    let mut refused_by_s3 = BTreeMap::<String, usize>::new();
    for wave in settled.chunks(plan.concurrency.clamp(1, REPLAY_CONCURRENCY)) {
        let mut wave_posted = Vec::new();
        for (id, form) in wave {
            let (answer, _) = with_retries(plan, || {
                api.post_form(&form.url, &form.fields, form.bytes.clone())
            })
            .await;
            match answer {
                Ok(a) if (200..300).contains(&a.status) => wave_posted.push(id.clone()),
                // An expired form (S3 403) cannot overwrite anything: counted, not checked.
                other => *refused_by_s3.entry(error_code(&other)).or_default() += 1,
            }
        }
        while wave_posted.iter().any(|id| refusals(id) == 0) && Instant::now() < wait_until {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        posted.extend(wave_posted);
    }
    if posted.is_empty() {
        return Check {
            name,
            passed: false,
            detail: format!(
                "no form was posted again (the run had no settled presigned document; S3 refused: {refused_by_s3:?})"
            ),
        };
    }
    tokio::time::sleep(plan.late_grace).await;
    let mut unannounced = Vec::new();
    let mut announced_twice = Vec::new();
    let mut unaudited = Vec::new();
    for id in &posted {
        match refusals(id) {
            0 => unannounced.push(id.as_str()),
            1 => {}
            _ => announced_twice.push(id.as_str()),
        }
        let audited = match read_trail(api, plan, id).await {
            Ok(Some((_, events))) => events
                .iter()
                .filter(|e| e.action == "overwrite_refused")
                .count(),
            _ => 0,
        };
        if audited != 1 {
            unaudited.push(id.as_str());
        }
    }
    let passed = unannounced.is_empty() && announced_twice.is_empty() && unaudited.is_empty();
    let mut detail = format!(
        "{} forms posted again after the verdict (refusals announced within {:.1} s)",
        posted.len(),
        waited.elapsed().as_secs_f64()
    );
    if !refused_by_s3.is_empty() {
        detail.push_str(&format!(" (S3 refused {refused_by_s3:?})"));
    }
    for (what, ids) in [
        ("refusals never announced", &unannounced),
        ("refusals announced twice", &announced_twice),
        (
            "without exactly one overwrite_refused audit event",
            &unaudited,
        ),
    ] {
        if !ids.is_empty() {
            detail.push_str(&format!("; {} {what}: {}", ids.len(), sample_ids(ids)));
        }
    }
    Check {
        name,
        passed,
        detail,
    }
}

async fn upload<A: LoadApi>(
    api: &A,
    f: &Fixture,
    i: usize,
    plan: &Plan,
    start: Instant,
    forms: &Mutex<Forms>,
) -> Sample {
    let idempotency_key = format!("docproc-load-{}-{i}", plan.run_id);
    let presigned = f.bytes.len() > plan.inline_limit
        || (plan.presigned_every > 0 && i % plan.presigned_every == plan.presigned_every - 1);
    let sent_at_ms = ms_since(start);
    let t0 = Instant::now();
    let (result, retries) = if presigned {
        upload_presigned(api, f, &idempotency_key, plan, forms).await
    } else {
        let body = json!({
            "filename": f.filename,
            "content_type": f.content_type,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(f.bytes.as_slice()),
        });
        let (answer, retries) = with_retries(plan, || {
            api.post_json("/documents", &body, &idempotency_key)
        })
        .await;
        (created_id(&answer, 201), retries)
    };
    let api_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (document_id, outcome) = match result {
        Ok(id) => (Some(id), Outcome::TimedOut),
        Err(code) => (None, Outcome::UploadFailed { code }),
    };
    Sample {
        fixture: f.name.clone(),
        api_ms: document_id.as_ref().map(|_| api_ms),
        document_id,
        bytes: f.bytes.len() as u64,
        upload: if presigned {
            UploadKind::Presigned
        } else {
            UploadKind::Inline
        },
        sent_at_ms,
        terminal_ms: None,
        expected: f.expected.clone(),
        outcome,
        retries,
    }
}

fn created_id(answer: &HttpResult, want: u16) -> Result<String, String> {
    match answer {
        Ok(a) if a.status == want => serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v["document_id"].as_str().map(str::to_string))
            .ok_or_else(|| "no_document_id".to_string()),
        _ => Err(error_code(answer)),
    }
}

async fn upload_presigned<A: LoadApi>(
    api: &A,
    f: &Fixture,
    idempotency_key: &str,
    plan: &Plan,
    forms: &Mutex<Forms>,
) -> (Result<String, String>, u32) {
    use md5::Digest as _;
    let md5 =
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(f.bytes.as_slice()));
    let body = json!({
        "filename": f.filename,
        "content_type": f.content_type,
        "size": f.bytes.len(),
        "content_md5": md5,
    });
    let (answer, mut retries) = with_retries(plan, || {
        api.post_json("/documents/uploads", &body, idempotency_key)
    })
    .await;
    let id = match created_id(&answer, 201) {
        Ok(id) => id,
        Err(code) => return (Err(code), retries),
    };
    let upload: Value = answer
        .ok()
        .and_then(|a| serde_json::from_slice::<Value>(&a.body).ok())
        .map(|v| v["upload"].clone())
        .unwrap_or_default();
    let (Some(url), Some(fields)) = (upload["url"].as_str(), upload["fields"].as_object()) else {
        return (Err("no_upload_form".into()), retries);
    };
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    // S3 answers 204 (no success_action_status in the form).
    let (answer, more) = with_retries(plan, || api.post_form(url, &fields, f.bytes.clone())).await;
    retries += more;
    match answer {
        Ok(a) if (200..300).contains(&a.status) => {
            let form = Form {
                url: url.to_string(),
                fields,
                bytes: f.bytes.clone(),
            };
            lock(forms).insert(id.clone(), form);
            (Ok(id), retries)
        }
        other => (Err(format!("s3_{}", error_code(&other))), retries),
    }
}

#[cfg(test)]
mod tests {
    use super::super::mix::default_mix;
    use super::super::Expected;
    use super::*;
    use docproc_core::audit::NewAuditEvent;

    /// What the fake platform does wrong, by document number (1-based).
    #[derive(Default, Clone)]
    struct Misbehaviour {
        throttle_first_upload: bool,
        duplicate_notification: Option<usize>,
        drop_terminal_notification: Option<usize>,
        broken_trail: Option<usize>,
        /// Overwrites are neither announced nor audited (the old processor).
        silent_overwrite: Option<()>,
        wrong_verdict: Option<usize>,
        never_finishes: Option<usize>,
        /// The queue hands every message of this document out twice (same message id).
        redelivered: Option<usize>,
        /// A replayed event publishes the document's status again.
        reprocess_on_replay: bool,
        /// This document's event lands in the dead-letter queue: it settles
        /// only once redriven.
        dead_lettered: Option<usize>,
        /// Armed outages are reported as having hit nothing.
        outage_hits_nothing: bool,
        /// The WAF's per-IP limit answers probes after the 50th (429).
        waf_limits_probes: bool,
        /// This document's audit trail cannot be read (500).
        audit_unreadable: Option<usize>,
        /// This document's terminal status is published after this long
        /// (its event waited out throttles), with no dead letter involved.
        settles_late: Option<(usize, Duration)>,
    }

    /// An in-memory platform: documents get the verdict their declared name
    /// says (looked up in the mix), status changes go to the feed.
    struct Fake {
        mix: Vec<Fixture>,
        faults: Misbehaviour,
        state: Mutex<FakeState>,
    }

    #[derive(Default)]
    struct FakeState {
        uploads: usize,
        throttled: bool,
        docs: HashMap<String, (String, Option<String>)>,
        feed: Vec<StatusChange>,
        forms: usize,
        probes: usize,
        replays: Vec<String>,
        keys_seen: std::collections::HashSet<String>,
        /// (document, the status its redrive reaches, reason)
        dead_letters: Vec<(String, String, Option<String>)>,
        /// Outages armed, with the uploads done when they were.
        armed: Vec<(faults::Outage, Duration, usize)>,
        /// Documents an outage sent to the dead-letter queue.
        outage_hits: u64,
        /// Status changes published later: (when, change).
        late: Vec<(Instant, StatusChange)>,
        /// Forms posted per document, and the documents that refused one.
        posts: HashMap<String, usize>,
        refused: std::collections::HashSet<String>,
    }

    fn ok(status: u16, body: Value) -> HttpResult {
        Ok(Answer {
            status,
            body: body.to_string().into_bytes(),
        })
    }

    impl Fake {
        fn new(faults: Misbehaviour) -> Arc<Fake> {
            Arc::new(Fake {
                mix: default_mix().unwrap(),
                faults,
                state: Mutex::default(),
            })
        }

        fn create(&self, filename: &str) -> HttpResult {
            let mut st = lock(&self.state);
            if self.faults.throttle_first_upload && !st.throttled {
                st.throttled = true;
                return ok(
                    429,
                    json!({"error": {"code": "throttled", "message": "slow down"}}),
                );
            }
            st.uploads += 1;
            let n = st.uploads;
            let id = format!("doc-{n}");
            let f = self.mix.iter().find(|f| f.filename == filename).unwrap();
            let (mut status, mut reason) = match &f.expected {
                Expected::Accept => ("PROCESSED".to_string(), None),
                Expected::Reject { reason } => ("REJECTED".to_string(), Some(reason.clone())),
            };
            if self.faults.wrong_verdict == Some(n) {
                (status, reason) = ("REJECTED".into(), Some("malformed".into()));
            }
            if self.faults.never_finishes == Some(n) {
                status = "PENDING".into();
            }
            // An armed outage fails every document's processing: it is
            // dead-lettered like the one `dead_lettered` names.
            let in_outage = !st.armed.is_empty() && st.outage_hits < 5;
            if in_outage {
                st.outage_hits += 1;
            }
            if self.faults.dead_lettered == Some(n) || in_outage {
                st.dead_letters
                    .push((id.clone(), status.clone(), reason.clone()));
                status = "PENDING".into();
            }
            let mut next_message = st.feed.len() + 1000 * n;
            let mut change = |status: &str, reason: Option<String>| StatusChange {
                message_id: {
                    next_message += 1;
                    format!("m{next_message}")
                },
                document_id: id.clone(),
                status: status.into(),
                reason_code: reason,
                refused_version: None,
            };
            st.feed.push(change("PENDING", None));
            if let Some((late_n, after)) = self.faults.settles_late {
                if late_n == n {
                    let terminal = change(&status, reason.clone());
                    st.late.push((Instant::now() + after, terminal));
                    status = "LATE".into();
                }
            }
            if status == "LATE" {
                status = st.late.last().unwrap().1.status.clone();
            } else if status != "PENDING" {
                if self.faults.drop_terminal_notification != Some(n) {
                    st.feed.push(change(&status, reason.clone()));
                }
                if self.faults.duplicate_notification == Some(n) {
                    st.feed.push(change(&status, reason.clone()));
                }
            }
            if self.faults.redelivered == Some(n) {
                let copies: Vec<StatusChange> = st
                    .feed
                    .iter()
                    .filter(|c| c.document_id == id)
                    .cloned()
                    .collect();
                st.feed.extend(copies);
            }
            st.docs.insert(id.clone(), (status, reason));
            ok(
                201,
                json!({"document_id": id, "upload": {"url": "http://s3/bucket", "fields": {"key": id, "policy": "p"}}}),
            )
        }
    }

    impl LoadApi for Fake {
        async fn post_json(&self, path: &str, body: &Value, idempotency_key: &str) -> HttpResult {
            // A retried request carries the key of its first try.
            let first_try = lock(&self.state)
                .keys_seen
                .insert(idempotency_key.to_string());
            let throttled = lock(&self.state).throttled;
            assert!(first_try || throttled, "{idempotency_key} sent twice");
            assert!(
                ["/documents", "/documents/uploads"].contains(&path),
                "{path}"
            );
            if path == "/documents" {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(body["content_base64"].as_str().unwrap())
                    .unwrap();
                assert!(raw.len() <= 2 << 20, "inline upload of {} bytes", raw.len());
            } else {
                assert!(body["size"].as_u64().unwrap() > 0);
                assert_eq!(body["content_md5"].as_str().unwrap().len(), 24);
            }
            self.create(body["filename"].as_str().unwrap())
        }

        async fn get(&self, path: &str) -> HttpResult {
            let st = lock(&self.state);
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let rest = path.strip_prefix("/documents/").unwrap();
            if let Some(id) = rest.strip_suffix("/audit") {
                let (status, _) = &st.docs[id];
                let n: usize = id.trim_start_matches("doc-").parse().unwrap();
                if self.faults.audit_unreadable == Some(n) {
                    return ok(
                        500,
                        json!({"error": {"code": "internal_error", "message": "x"}}),
                    );
                }
                // A real hash chain, one event a page (so the run must page
                // through it); `broken_trail` edits an event after sealing
                // and the API still claims the trail is intact.
                let mut events: Vec<AuditEvent> = Vec::new();
                let mut actions = vec!["created".to_string()];
                if status != "PENDING" {
                    actions.push(status.to_lowercase());
                }
                if st.refused.contains(id) {
                    actions.push("overwrite_refused".into());
                }
                for action in actions {
                    let e = NewAuditEvent::new("acme", action, "success", json!({})).seal(
                        id,
                        events.last(),
                        "2026-12-06T00:00:00Z".into(),
                    );
                    events.push(e);
                }
                let head = events.last().map(AuditHead::of);
                if self.faults.broken_trail == Some(n) {
                    events[0].actor = "someone else".into();
                }
                let after: u64 = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("after="))
                    .map_or(0, |a| a.parse().unwrap());
                let page: Vec<&AuditEvent> =
                    events.iter().filter(|e| e.seq > after).take(1).collect();
                let next_after = page
                    .last()
                    .filter(|e| Some(e.seq) < head.as_ref().map(|h| h.seq))
                    .map(|e| e.seq);
                return ok(
                    200,
                    json!({"events": page, "head": head, "next_after": next_after,
                           "verification": {"intact": true}}),
                );
            }
            let (status, reason) = &st.docs[rest];
            ok(
                200,
                json!({"document_id": rest, "status": status, "reason": reason.as_ref().map(|r| json!({"code": r}))}),
            )
        }

        async fn get_with_key(&self, path: &str, key: &str) -> HttpResult {
            assert_eq!(path, "/documents");
            let probes = {
                let mut st = lock(&self.state);
                st.probes += 1;
                st.probes
            };
            if self.faults.waf_limits_probes && probes > 50 {
                ok(
                    429,
                    json!({"error": {"code": "rate_limited", "message": "retry later"}}),
                )
            } else if key == self.key() {
                ok(200, json!({"documents": []}))
            } else {
                ok(
                    403,
                    json!({"error": {"code": "forbidden", "message": "Forbidden"}}),
                )
            }
        }

        fn key(&self) -> &str {
            "q3Xw9-Zr_8LmN0pQ1sT2uV3wX4yZ5aB6cD7eF8gH9iJ"
        }

        async fn post_form(
            &self,
            url: &str,
            fields: &[(String, String)],
            file: Arc<Vec<u8>>,
        ) -> HttpResult {
            assert_eq!(url, "http://s3/bucket");
            assert_eq!(fields[0].0, "key");
            assert!(!file.is_empty());
            let mut st = lock(&self.state);
            st.forms += 1;
            // A form posted again after the verdict: a refusal on the feed
            // and on the trail (unless the platform misbehaves).
            let id = fields[0].1.clone();
            let posted = *st
                .posts
                .entry(id.clone())
                .and_modify(|n| *n += 1)
                .or_insert(1);
            if posted > 1 && self.faults.silent_overwrite.is_none() {
                let (status, reason) = st.docs[&id].clone();
                st.refused.insert(id.clone());
                st.feed.push(StatusChange {
                    message_id: format!("refused-{id}-{posted}"),
                    document_id: id,
                    status,
                    reason_code: reason,
                    refused_version: Some(format!("v{posted}")),
                });
            }
            Ok(Answer {
                status: 204,
                body: Vec::new(),
            })
        }
    }

    impl DeadLetters for Fake {
        async fn redrive_all(&self) -> Result<usize, String> {
            let mut st = lock(&self.state);
            let letters = std::mem::take(&mut st.dead_letters);
            for (id, status, reason) in &letters {
                st.docs.insert(id.clone(), (status.clone(), reason.clone()));
                let message_id = format!("redriven-{id}");
                st.feed.push(StatusChange {
                    message_id,
                    document_id: id.clone(),
                    status: status.clone(),
                    reason_code: reason.clone(),
                    refused_version: None,
                });
            }
            Ok(letters.len())
        }
    }

    impl Replayer for Fake {
        async fn replay(&self, document_id: &str) -> Result<(), String> {
            let mut st = lock(&self.state);
            st.replays.push(document_id.to_string());
            // A processor that is not idempotent publishes the status again.
            if self.faults.reprocess_on_replay {
                let (status, reason) = st.docs[document_id].clone();
                let message_id = format!("replay-{}", st.replays.len());
                st.feed.push(StatusChange {
                    message_id,
                    document_id: document_id.into(),
                    status,
                    reason_code: reason,
                    refused_version: None,
                });
            }
            Ok(())
        }
    }

    impl FaultSwitch for Fake {
        async fn arm(&self, outage: faults::Outage, window: Duration) -> Result<(), String> {
            let mut st = lock(&self.state);
            let uploads = st.uploads;
            st.armed.push((outage, window, uploads));
            Ok(())
        }

        async fn injected(&self, _: faults::Outage) -> Result<u64, String> {
            match self.faults.outage_hits_nothing {
                true => Ok(0),
                false => Ok(lock(&self.state).outage_hits),
            }
        }
    }

    impl StatusFeed for Fake {
        async fn receive(&self) -> Result<Vec<StatusChange>, String> {
            let changes = {
                let mut st = lock(&self.state);
                let now = Instant::now();
                let (due, later) = std::mem::take(&mut st.late)
                    .into_iter()
                    .partition::<Vec<_>, _>(|(at, _)| *at <= now);
                st.late = later;
                let mut changes = std::mem::take(&mut st.feed);
                changes.extend(due.into_iter().map(|(_, c)| c));
                changes
            };
            if changes.is_empty() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Ok(changes)
        }
    }

    /// (replayed ids in order, probes sent)
    fn state(fake: &Fake) -> (Vec<String>, usize) {
        let st = lock(&fake.state);
        (st.replays.clone(), st.probes)
    }

    fn plan(documents: usize) -> Plan {
        Plan {
            documents,
            concurrency: 4,
            settle_timeout: Duration::from_millis(300),
            backoff: Duration::from_millis(1),
            max_attempts: 5,
            late_grace: Duration::from_millis(30),
            ..Plan::default()
        }
    }

    /// Runs against the fake; `replay` and `redrive` give it those ports,
    /// and the plan's outages its fault switch.
    async fn run_fake(fake: &Arc<Fake>, plan: &Plan, replay: bool, redrive: bool) -> RunResult {
        let mix = Arc::new(fake.mix.clone());
        let replayer = replay.then(|| fake.clone());
        let dead_letters = redrive.then(|| fake.clone());
        let switch = (!plan.faults.outages.is_empty()).then(|| fake.clone());
        run(
            fake.clone(),
            fake.clone(),
            replayer,
            dead_letters,
            switch,
            mix,
            plan,
            |_| {},
        )
        .await
    }

    async fn run_on(fake: &Arc<Fake>, documents: usize) -> RunResult {
        run_fake(fake, &plan(documents), false, false).await
    }

    fn check<'a>(r: &'a RunResult, name: &str) -> &'a Check {
        r.checks.iter().find(|c| c.name.starts_with(name)).unwrap()
    }

    #[tokio::test]
    async fn a_healthy_platform_passes_every_check() {
        let fake = Fake::new(Misbehaviour {
            throttle_first_upload: true,
            redelivered: Some(4),
            ..Misbehaviour::default()
        });
        let n = 80;
        let r = run_on(&fake, n).await;
        assert_eq!(r.samples.len(), n);
        for c in &r.checks {
            assert!(c.passed, "{c:?}");
        }
        let summary = super::super::Summary::of(&r.samples, r.duration_s);
        assert_eq!(summary.unexpected, 0);
        assert_eq!(summary.retries, 1, "the throttled upload was retried once");
        assert!(summary.status_counts["REJECTED"] > 0 && summary.status_counts["PROCESSED"] > 0);
        // Every 4th document and every one above the inline limit went presigned.
        let presigned = r
            .samples
            .iter()
            .filter(|s| s.upload == UploadKind::Presigned)
            .count();
        assert_eq!(presigned, lock(&fake.state).forms);
        assert!(presigned >= n / 4, "{presigned}");
        assert!(r
            .samples
            .iter()
            .all(|s| s.terminal_ms.is_some() && s.api_ms.is_some()));
    }

    #[tokio::test]
    async fn losses_duplicates_broken_trails_and_wrong_verdicts_are_caught() {
        let fake = Fake::new(Misbehaviour {
            duplicate_notification: Some(3),
            drop_terminal_notification: Some(5),
            broken_trail: Some(7),
            wrong_verdict: Some(2),
            never_finishes: Some(9),
            ..Misbehaviour::default()
        });
        let r = run_on(&fake, 12).await;
        let notified = check(&r, "one notification per status change");
        assert!(!notified.passed);
        assert!(
            notified
                .detail
                .contains("1 documents notified twice for one status: doc-3"),
            "{}",
            notified.detail
        );
        assert!(
            notified
                .detail
                .contains("1 terminal statuses never published: doc-5"),
            "{}",
            notified.detail
        );
        let trails = check(&r, "every audit trail");
        assert!(
            !trails.passed && trails.detail.contains("doc-7"),
            "{trails:?}"
        );
        let terminal = check(&r, "every uploaded document reached");
        assert!(
            !terminal.passed && terminal.detail.contains("doc-9"),
            "{terminal:?}"
        );
        // The document without its notification still got its verdict from the API.
        let five = r
            .samples
            .iter()
            .find(|s| s.document_id.as_deref() == Some("doc-5"))
            .unwrap();
        assert!(five.outcome != Outcome::TimedOut && five.terminal_ms.is_none());
        let summary = super::super::Summary::of(&r.samples, r.duration_s);
        // doc-2's wrong verdict, and doc-9 that never finished.
        assert_eq!(summary.unexpected, 2, "{:?}", r.samples);
        assert_eq!(summary.status_counts["TIMED_OUT"], 1);
    }

    #[test]
    fn status_changes_are_read_raw_or_from_the_sns_envelope() {
        let refusal = r#"{"document_id":"d1","old_status":"PROCESSED","new_status":"PROCESSED","refused_version":"v2"}"#;
        let refused = status_change_of("m0", refusal).unwrap();
        assert_eq!(
            refused.refused_version.as_deref(),
            Some("v2"),
            "a refusal is told apart from a status change"
        );
        let raw = r#"{"document_id":"d1","old_status":"PENDING","new_status":"REJECTED","reason_code":"polyglot"}"#;
        let expected = StatusChange {
            message_id: "m1".into(),
            document_id: "d1".into(),
            status: "REJECTED".into(),
            reason_code: Some("polyglot".into()),
            refused_version: None,
        };
        assert_eq!(status_change_of("m1", raw), Some(expected.clone()));
        // Enveloped, the publish's MessageId identifies it: two SQS messages
        // (two deliveries by SNS) of one publish read as the same change.
        let envelope = json!({"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:111122223333:t", "Message": raw});
        let sns_copy = StatusChange {
            message_id: "sns-1".into(),
            ..expected.clone()
        };
        assert_eq!(
            status_change_of("sqs-a", &envelope.to_string()),
            Some(sns_copy.clone())
        );
        assert_eq!(
            status_change_of("sqs-b", &envelope.to_string()),
            Some(sns_copy)
        );
        assert_eq!(status_change_of("m2", "not json"), None);
        assert_eq!(status_change_of("m3", r#"{"document_id":"d1"}"#), None);
    }

    #[test]
    fn the_form_sends_the_policy_fields_in_order_and_the_file_last() {
        let fields = [
            ("key".to_string(), "a/b".to_string()),
            ("policy".to_string(), "eyJ9".to_string()),
        ];
        let (content_type, body) = form_body(&fields, b"%PDF-1.7 data");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(body).unwrap();
        let parts: Vec<&str> = text.split(&format!("--{boundary}")).collect();
        // preamble, key, policy, file, closing "--"
        assert_eq!(parts.len(), 5, "{text}");
        assert!(parts[1].contains("name=\"key\"\r\n\r\na/b\r\n"), "{text}");
        assert!(
            parts[2].contains("name=\"policy\"\r\n\r\neyJ9\r\n"),
            "{text}"
        );
        assert!(
            parts[3].contains("name=\"file\"") && parts[3].ends_with("%PDF-1.7 data\r\n"),
            "{text}"
        );
        assert_eq!(parts[4], "--\r\n");
    }

    #[test]
    fn error_codes_come_from_the_api_s3_or_the_status() {
        let api = ok(
            503,
            json!({"error": {"code": "service_unavailable", "message": "x"}}),
        );
        assert_eq!(error_code(&api), "service_unavailable");
        let s3 = Ok(Answer {
            status: 400,
            body: b"<Error><Code>BadDigest</Code></Error>".to_vec(),
        });
        assert_eq!(error_code(&s3), "BadDigest");
        assert_eq!(
            error_code(&Ok(Answer {
                status: 502,
                body: vec![]
            })),
            "http_502"
        );
        assert_eq!(error_code(&Err("reset".into())), "network");
        assert!(retryable(&Err("reset".into())) && retryable(&api) && !retryable(&s3));
        let waf = ok(
            429,
            json!({"error": {"code": "rate_limited", "message": "x"}}),
        );
        let stage = ok(429, json!({"error": {"code": "throttled", "message": "x"}}));
        assert!(!retryable(&waf) && retryable(&stage));
    }

    #[tokio::test]
    async fn duplicate_events_and_bad_keys_on_a_sound_platform_pass() {
        let fake = Fake::new(Misbehaviour::default());
        let mut plan = plan(20);
        plan.faults = faults::Faults {
            replay_copies: 3,
            probe_keys: 120,
            ..faults::Faults::default()
        };
        let r = run_fake(&fake, &plan, true, false).await;
        for c in &r.checks {
            assert!(c.passed, "{c:?}");
        }
        assert!(r
            .checks
            .iter()
            .any(|c| c.name.starts_with("duplicate S3 events")));
        assert!(r
            .checks
            .iter()
            .any(|c| c.name.starts_with("the authorizer refuses")));
        let (replays, probes) = state(&fake);
        assert_eq!(replays.len(), 60, "every document replayed 3 times");
        let mut by_doc: HashMap<&str, usize> = HashMap::new();
        for id in &replays {
            *by_doc.entry(id).or_default() += 1;
        }
        assert!(by_doc.values().all(|&n| n == 3) && by_doc.len() == 20);
        let mut sorted = replays.clone();
        sorted.sort();
        assert_ne!(replays, sorted, "deliveries are shuffled");
        assert_eq!(probes, 120, "every probe key was sent");
    }

    /// Forms posted again after the verdict: refused, announced and audited
    /// once on a sound platform; a platform that leaves them unannounced and
    /// unaudited (the processor before verdicts were final) fails the run.
    #[tokio::test]
    async fn overwrites_after_the_verdict_must_be_refused_announced_and_audited() {
        for silent in [false, true] {
            let fake = Fake::new(Misbehaviour {
                silent_overwrite: silent.then_some(()),
                ..Misbehaviour::default()
            });
            let mut plan = plan(12);
            plan.faults = faults::Faults {
                overwrite: true,
                ..faults::Faults::default()
            };
            let r = run_fake(&fake, &plan, false, false).await;
            let overwrites = check(&r, "uploads after the verdict");
            assert_eq!(overwrites.passed, !silent, "{overwrites:?}");
            if silent {
                assert!(
                    overwrites.detail.contains("never announced"),
                    "{overwrites:?}"
                );
                assert!(
                    overwrites.detail.contains("overwrite_refused audit"),
                    "{overwrites:?}"
                );
            } else {
                assert!(
                    overwrites
                        .detail
                        .contains("forms posted again after the verdict"),
                    "{overwrites:?}"
                );
                // The refusals are not status changes: no document is "notified twice".
                let notified = check(&r, "one notification per status change");
                assert!(notified.passed, "{notified:?}");
            }
        }
    }

    #[tokio::test]
    async fn a_processor_that_reprocesses_duplicates_fails_the_run() {
        let fake = Fake::new(Misbehaviour {
            reprocess_on_replay: true,
            ..Misbehaviour::default()
        });
        let mut plan = plan(10);
        plan.faults = faults::Faults {
            replay_copies: 3,
            ..faults::Faults::default()
        };
        let r = run_fake(&fake, &plan, true, false).await;
        let notified = r
            .checks
            .iter()
            .find(|c| c.name == "one notification per status change")
            .unwrap();
        assert!(
            !notified.passed && notified.detail.contains("10 documents notified twice"),
            "{notified:?}"
        );
    }

    #[tokio::test]
    async fn redrive_settles_what_the_dead_letter_queue_held() {
        let misbehaviour = Misbehaviour {
            dead_lettered: Some(3),
            ..Misbehaviour::default()
        };
        let mut plan = plan(8);
        plan.stall = Some(Duration::from_millis(100));
        plan.settle_timeout = Duration::from_secs(5);

        // Without --redrive the document never settles.
        let fake = Fake::new(misbehaviour.clone());
        let r = run_fake(&fake, &plan, false, false).await;
        let terminal = r
            .checks
            .iter()
            .find(|c| c.name.starts_with("every uploaded document reached"))
            .unwrap();
        assert!(
            !terminal.passed && terminal.detail.contains("doc-3"),
            "{terminal:?}"
        );

        plan.redrive = true;
        let fake = Fake::new(misbehaviour);
        let r = run_fake(&fake, &plan, false, true).await;
        for c in &r.checks {
            assert!(c.passed, "{c:?}");
        }
        let redriven = r
            .checks
            .iter()
            .find(|c| c.name == "dead letters redriven")
            .unwrap();
        assert!(
            redriven.detail.starts_with("1 dead-lettered"),
            "{redriven:?}"
        );
    }

    fn outage_plan(documents: usize) -> Plan {
        let mut plan = plan(documents);
        plan.faults.outages = vec![faults::Outage::Table, faults::Outage::ProcessorCrash];
        plan.faults.window = Duration::from_millis(50);
        plan.redrive = true;
        plan.stall = Some(Duration::from_millis(100));
        plan.settle_timeout = Duration::from_secs(5);
        plan
    }

    #[tokio::test]
    async fn outages_start_a_fifth_in_and_what_they_dead_letter_is_redriven() {
        let fake = Fake::new(Misbehaviour::default());
        let r = run_fake(&fake, &outage_plan(20), false, true).await;
        for c in &r.checks {
            assert!(c.passed, "{c:?}");
        }
        let armed = lock(&fake.state).armed.clone();
        assert_eq!(
            armed.iter().map(|(o, ..)| *o).collect::<Vec<_>>(),
            [faults::Outage::Table, faults::Outage::ProcessorCrash]
        );
        assert!(
            armed
                .iter()
                .all(|&(_, w, uploads)| w == Duration::from_millis(50) && uploads >= 4),
            "armed once 4 of 20 were sent: {armed:?}"
        );
        let table = check(&r, "fault table-outage injected");
        assert!(
            table
                .detail
                .starts_with("5 documents-table requests refused"),
            "{table:?}"
        );
        assert!(check(&r, "dead letters redriven")
            .detail
            .starts_with("5 dead-lettered"));
    }

    #[tokio::test]
    async fn an_outage_that_hit_nothing_fails_its_check() {
        let fake = Fake::new(Misbehaviour {
            outage_hits_nothing: true,
            ..Misbehaviour::default()
        });
        let r = run_fake(&fake, &outage_plan(10), false, true).await;
        let crash = check(&r, "fault processor-crash injected");
        assert!(
            !crash.passed && crash.detail.contains("tested nothing"),
            "{crash:?}"
        );
    }

    #[tokio::test]
    async fn probes_the_waf_rate_limited_are_not_counted_as_refused() {
        let fake = Fake::new(Misbehaviour {
            waf_limits_probes: true,
            ..Misbehaviour::default()
        });
        let mut plan = plan(4);
        plan.faults.probe_keys = 60;
        let r = run_fake(&fake, &plan, false, false).await;
        let probe = check(&r, "the authorizer refuses");
        assert!(!probe.passed, "{probe:?}");
        assert!(
            probe.detail.contains("403 forbidden: ")
                && probe.detail.contains("429 rate_limited: ")
                && probe.detail.contains("never reached the authorizer"),
            "{probe:?}"
        );
    }

    #[tokio::test]
    async fn an_unreadable_trail_fails_the_check_but_is_not_called_broken() {
        let fake = Fake::new(Misbehaviour {
            audit_unreadable: Some(2),
            ..Misbehaviour::default()
        });
        let r = run_on(&fake, 5).await;
        let audit = check(&r, "every audit trail verifies");
        assert!(!audit.passed, "{audit:?}");
        assert_eq!(
            audit.detail,
            "4 trails intact; 1 could not be read after retries (internal_error: 1)"
        );
    }

    #[tokio::test]
    async fn documents_settling_after_the_redrive_rounds_are_still_waited_for() {
        let fake = Fake::new(Misbehaviour {
            settles_late: Some((2, Duration::from_millis(1500))),
            ..Misbehaviour::default()
        });
        let mut plan = plan(5);
        plan.redrive = true;
        plan.stall = Some(Duration::from_millis(50));
        plan.settle_timeout = Duration::from_secs(5);
        // Three stalls of 50 ms use up the redrive rounds long before the
        // document settles; the run keeps waiting until its deadline.
        let r = run_fake(&fake, &plan, false, true).await;
        for c in &r.checks {
            assert!(c.passed, "{c:?}");
        }
        let redriven = check(&r, "dead letters redriven");
        assert!(redriven.detail.contains("(3 rounds)"), "{redriven:?}");
    }
}
