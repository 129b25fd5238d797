//! The load run: uploads with bounded concurrency and retries, status changes
//! followed on the status topic, faults injected, then every document
//! checked. The platform is reached through the ports in [`crate::ports`],
//! so the run is tested in process against a fake platform.

use crate::checks::{
    audit_check, notification_check, outcome_of, overwrite_check, sample_ids, terminal_of, Seen,
    REPLAY_CONCURRENCY, TERMINAL,
};
use crate::faults;
use crate::listen::Listener;
use crate::measure::{ms_since, Check, FaultWindow, Outcome, Sample};
use crate::mix::{pick, Fixture};
use crate::plan::Plan;
use crate::ports::{DeadLetters, FaultSwitch, LoadApi, Replayer, StatusFeed};
use crate::retry::get_json;
use crate::tasks::lock;
use crate::upload::{upload, Forms};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    pub fault_windows: Vec<FaultWindow>,
}

/// Early replays sent together per document (`duplicate-events`): two sent
/// at once overlap more often than one racing S3's own event, so a double
/// verdict shows more often (it still takes overlapping deliveries: with the
/// old write condition planted, 3 of 5 local runs of 60 documents caught it).
const EARLY_RACERS: usize = 2;

/// Redrives of the dead-letter queues at most (`--redrive`).
const REDRIVE_ROUNDS: usize = 3;

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
    let listener = Listener::spawn(feed, start);
    let seen = listener.seen.clone();
    let early_replays = match (&replayer, plan.faults.replay_copies) {
        // As many as uploads in flight, so each upload's replay goes out at
        // once and races S3's own event.
        (Some(replayer), 1..) => Some(Arc::new(faults::EarlyReplays::new(
            replayer.clone(),
            plan.concurrency,
            EARLY_RACERS,
            start,
        ))),
        _ => None,
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
        let early_replays = early_replays.clone();
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
                if let (Some(early), Some(id)) = (&early_replays, &sample.document_id) {
                    early.send(id, sample.bytes);
                }
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
    if let (Some(switch), Some(outages)) = (&switch, &outages) {
        checks.extend(faults::outage_checks(&**switch, outages).await);
    }
    let duration_s = start.elapsed().as_secs_f64();
    // What follows checks that duplicates and overwrites change nothing, not
    // how the platform rides out an outage (the uploads did that): it starts
    // once every outage is over.
    if let Some(o) = &outages {
        tokio::time::sleep_until(o.ends.into()).await;
    }
    // Uploads after the verdict first, so the replays below find refused
    // versions to deliver before the judged one.
    if plan.faults.overwrite {
        let forms = std::mem::take(&mut *lock(&forms));
        checks.push(overwrite_check(&*api, plan, forms, &seen).await);
    }
    if let (Some(replayer), copies @ 1..) = (replayer, plan.faults.replay_copies) {
        let settled: Vec<(String, u64)> = {
            let (samples, seen) = (lock(&samples), lock(&seen));
            samples
                .iter()
                .flatten()
                .filter_map(|s| Some((s.document_id.clone()?, s.bytes)))
                .filter(|(id, _)| terminal_of(seen.get(id)).is_some())
                .collect()
        };
        let seed = start.elapsed().as_nanos() as u64;
        // A few at a time: the processor's reserved concurrency is small.
        let concurrency = plan.concurrency.min(REPLAY_CONCURRENCY);
        checks.push(
            faults::replay_duplicates(
                replayer,
                &settled,
                copies,
                concurrency,
                seed,
                plan.faults.overwrite,
            )
            .await,
        );
    }
    // Events that failed for good although another delivery (a replay, a
    // redelivery) judged their document wait in a dead-letter queue with
    // nothing left to settle: with --redrive they are sent through once more
    // at the end, and must be taken as the duplicates they are. The sweep
    // takes what is dead-lettered by then: Lambda retries a failed event
    // after 1 and 2 minutes and a throttled one for up to its maximum age,
    // so one still retrying lands later (the DLQ check after the run says so).
    if let Some(dlq) = &dead_letters {
        rounds.push(dlq.redrive_all().await);
    }
    if let Some(last) = rounds.last() {
        let redriven: usize = rounds.iter().flatten().sum();
        let failed: Vec<&String> = rounds.iter().filter_map(|r| r.as_ref().err()).collect();
        checks.push(Check {
            name: "dead letters redriven".into(),
            passed: last.is_ok(),
            detail: match failed.first() {
                None => format!(
                    "{redriven} dead-lettered events sent through their functions again ({} rounds, the last once everything settled)",
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
    if let Some(early) = early_replays {
        let verdicts = lock(&seen).clone();
        let verdict_ms = move |id: &str| terminal_of(verdicts.get(id)).map(|(_, at)| at);
        checks.push(early.check(verdict_ms).await);
    }
    let (seen, feed_check) = listener
        .read_until_quiet(plan.feed_quiet, plan.settle_timeout)
        .await;
    checks.push(feed_check);

    let mut samples: Vec<Sample> = lock(&samples).drain(..).flatten().collect();
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

#[cfg(test)]
mod tests;
