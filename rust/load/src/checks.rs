//! What a run verifies once its documents settled: one notification per
//! status change or refusal, every audit trail (verified here, not by the
//! API), and uploads after a verdict refused.

use crate::measure::{Check, Outcome, Sample};
use crate::plan::Plan;
use crate::ports::{LoadApi, StatusChange};
use crate::retry::{error_code, with_retries};
use crate::tasks::{concurrently, lock};
use crate::upload::{Form, Forms};
use docproc_core::audit::{verify_anchored, AuditEvent, AuditHead};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The statuses a verdict ends in.
pub(crate) const TERMINAL: [&str; 2] = ["PROCESSED", "REJECTED"];

/// Uploads posted again, or events replayed, at once: the processor's
/// reserved concurrency is small.
pub(crate) const REPLAY_CONCURRENCY: usize = 4;

/// Status changes seen on the feed, per document, with when (ms since start).
pub(crate) type Seen = HashMap<String, Vec<(StatusChange, f64)>>;

/// The first few of `ids`, and how many more.
pub(crate) fn sample_ids(ids: &[&str]) -> String {
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

pub(crate) fn terminal_of(
    changes: Option<&Vec<(StatusChange, f64)>>,
) -> Option<(StatusChange, f64)> {
    changes?
        .iter()
        .find(|(c, _)| c.refused_version.is_none() && TERMINAL.contains(&c.status.as_str()))
        .cloned()
}

/// The outcome of a terminal status (PROCESSED or REJECTED).
pub(crate) fn outcome_of(status: &str, reason_code: Option<&str>) -> Outcome {
    match status {
        "PROCESSED" => Outcome::Processed,
        _ => Outcome::Rejected {
            reason: reason_code.unwrap_or("(none)").to_string(),
        },
    }
}

/// One notification per status change or refusal: no (document, status)
/// twice, no refused version announced twice, and exactly one terminal
/// status per document.
pub(crate) fn notification_check(uploaded: &[&Sample], seen: &Seen, missing: &[String]) -> Check {
    let mut duplicated = Vec::new();
    let mut refusal_repeated = Vec::new();
    let mut two_terminals = Vec::new();
    for s in uploaded {
        let Some(id) = s.document_id.as_deref() else {
            continue;
        };
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let changes = seen.get(id).map(Vec::as_slice).unwrap_or_default();
        // A refused upload leaves the status as it was: not a status change.
        let mut refusals: BTreeMap<&str, usize> = BTreeMap::new();
        for (c, _) in changes {
            match &c.refused_version {
                None => *counts.entry(c.status.as_str()).or_default() += 1,
                Some(version) => *refusals.entry(version.as_str()).or_default() += 1,
            }
        }
        if counts.values().any(|&n| n > 1) {
            duplicated.push(id);
        }
        if refusals.values().any(|&n| n > 1) {
            refusal_repeated.push(id);
        }
        if TERMINAL.iter().filter(|t| counts.contains_key(*t)).count() > 1 {
            two_terminals.push(id);
        }
    }
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    let passed = duplicated.is_empty()
        && refusal_repeated.is_empty()
        && two_terminals.is_empty()
        && missing.is_empty();
    let mut detail = Vec::new();
    if !duplicated.is_empty() {
        detail.push(format!(
            "{} documents notified twice for one status: {}",
            duplicated.len(),
            sample_ids(&duplicated)
        ));
    }
    if !refusal_repeated.is_empty() {
        detail.push(format!(
            "{} documents announced one refused version twice: {}",
            refusal_repeated.len(),
            sample_ids(&refusal_repeated)
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
            let (refusals, changes): (Vec<&StatusChange>, Vec<&StatusChange>) = seen
                .values()
                .flatten()
                .map(|(c, _)| c)
                .partition(|c| c.refused_version.is_some());
            format!(
                "{} status changes and {} refusals, none twice or missing",
                changes.len(),
                refusals.len()
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
pub(crate) async fn audit_check<A: LoadApi>(
    api: Arc<A>,
    uploaded: &[&Sample],
    plan: &Plan,
) -> Check {
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
    let trails = concurrently(ids, plan.concurrency, move |id| {
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
            // Each refused version is audited once, however often its event came.
            let mut refused = BTreeMap::<String, usize>::new();
            for e in events.iter().filter(|e| e.action == "overwrite_refused") {
                let version = serde_json::from_str::<Value>(&e.detail)
                    .ok()
                    .and_then(|d| d["version_id"].as_str().map(str::to_string))
                    .unwrap_or_default();
                *refused.entry(version).or_default() += 1;
            }
            let refused_twice = refused.values().any(|&n| n > 1);
            if verified.is_err() || outcomes != 1 || refused_twice {
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
            "{} trails broken, without exactly one outcome or with a refusal audited twice: {}",
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
        name: "every audit trail verifies with one outcome and one event per refusal".into(),
        passed: broken.is_empty() && unread == 0 && total > 0,
        detail,
    }
}

/// Posts every settled presigned document's form again, with the same bytes
/// (the form pins their Content-MD5), and checks what a verdict promises: the
/// new version is refused, announced once (`overwrite_refused` on the status
/// topic) and audited once, and the document's status never changes (the
/// notification check counts that). A run that posted nothing fails here.
pub(crate) async fn overwrite_check<A: LoadApi>(
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
