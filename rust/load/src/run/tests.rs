use super::*;
use crate::measure::Expected;
use crate::mix::default_mix;
use crate::plan::Faults;
use crate::ports::{
    form_body, status_change_of, Answer, HttpResult, ObjectEvent, Outage, StatusChange,
    StoredVersion,
};
use crate::retry::{error_code, retryable};
use crate::UploadKind;
use base64::Engine as _;
use docproc_core::audit::NewAuditEvent;
use docproc_core::audit::{AuditEvent, AuditHead};
use serde_json::{json, Value};
use std::collections::HashMap;

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
    /// A replayed refused version is announced and audited again (a
    /// processor whose refusals are not idempotent).
    refusals_not_idempotent: bool,
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
    /// The feed never goes quiet: a message every few milliseconds.
    keeps_publishing: bool,
    /// An armed outage fails processor invocations (replays) but no upload's
    /// own processing: every document settles inside the window.
    outage_spares_documents: bool,
    /// This document settles, and a failed copy of its event still lands in
    /// the dead-letter queue.
    also_dead_lettered: Option<usize>,
}

/// How long the fake takes to judge a document.
const PROCESSING: Duration = Duration::from_millis(20);

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
    /// Replayed events: (document, version).
    replays: Vec<(String, Option<String>)>,
    keys_seen: std::collections::HashSet<String>,
    /// (document, the status its redrive reaches, reason)
    dead_letters: Vec<(String, String, Option<String>)>,
    /// Outages armed, with the uploads done when they were.
    armed: Vec<(Outage, Duration, usize)>,
    /// Until when an armed outage lasts: processor invocations (replays
    /// included) fail before then.
    outage_ends: Option<Instant>,
    /// Documents an outage sent to the dead-letter queue.
    outage_hits: u64,
    /// Status changes published later: (when, change).
    late: Vec<(Instant, StatusChange)>,
    /// Forms posted per document, and the documents that refused one.
    posts: HashMap<String, usize>,
    /// Refused versions per document, once per audit event written.
    refused: HashMap<String, Vec<String>>,
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
        let in_outage =
            !self.faults.outage_spares_documents && !st.armed.is_empty() && st.outage_hits < 5;
        if in_outage {
            st.outage_hits += 1;
        }
        if self.faults.also_dead_lettered == Some(n) {
            st.dead_letters
                .push((id.clone(), status.clone(), reason.clone()));
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
            // Judging takes a moment: the verdict is published after it.
            let judged = Instant::now() + PROCESSING;
            if self.faults.drop_terminal_notification != Some(n) {
                st.late.push((judged, change(&status, reason.clone())));
            }
            if self.faults.duplicate_notification == Some(n) {
                st.late.push((judged, change(&status, reason.clone())));
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
            let later: Vec<(Instant, StatusChange)> = st
                .late
                .iter()
                .filter(|(_, c)| c.document_id == id)
                .cloned()
                .collect();
            st.late.extend(later);
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
            let mut details = vec![json!({}); actions.len()];
            for version in st.refused.get(id).into_iter().flatten() {
                actions.push("overwrite_refused".into());
                details.push(json!({ "version_id": version }));
            }
            for (action, detail) in actions.into_iter().zip(details) {
                let e = NewAuditEvent::new("acme", action, "success", detail).seal(
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
            let page: Vec<&AuditEvent> = events.iter().filter(|e| e.seq > after).take(1).collect();
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
            st.refused
                .entry(id.clone())
                .or_default()
                .push(format!("v{posted}"));
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
            // A duplicate of a judged document's event changes nothing.
            if st.docs[id].0 != "PENDING" {
                continue;
            }
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
    async fn versions(&self, document_id: &str) -> Result<Vec<StoredVersion>, String> {
        let st = lock(&self.state);
        let key = format!("incoming/acme/{document_id}");
        let mut versions = vec![StoredVersion {
            key: key.clone(),
            version_id: Some("v1".into()),
            sequencer: Some("00AA".into()),
        }];
        let mut refused: Vec<&String> = st.refused.get(document_id).into_iter().flatten().collect();
        refused.dedup();
        versions.extend(refused.into_iter().map(|v| StoredVersion {
            key: key.clone(),
            version_id: Some(v.clone()),
            sequencer: None,
        }));
        Ok(versions)
    }

    async fn deliver(&self, event: &ObjectEvent) -> Result<(), String> {
        let mut st = lock(&self.state);
        if st.outage_ends.is_some_and(|end| Instant::now() < end) {
            st.outage_hits += 1;
            return Err("Runtime.ExitError: killed mid-document".into());
        }
        let id = event.key.rsplit('/').next().unwrap().to_string();
        let version = event.version_id.clone();
        st.replays.push((id.clone(), version.clone()));
        let message_id = format!("replay-{}", st.replays.len());
        let (status, reason) = st.docs[&id].clone();
        let refused_version = version.filter(|v| v != "v1");
        match refused_version {
            // A processor that is not idempotent refuses, announces and audits again.
            Some(v) if self.faults.refusals_not_idempotent => {
                st.refused.get_mut(&id).unwrap().push(v.clone());
                st.feed.push(StatusChange {
                    message_id,
                    document_id: id,
                    status,
                    reason_code: reason,
                    refused_version: Some(v),
                });
            }
            Some(_) => {}
            // A processor that is not idempotent publishes the status again.
            None if self.faults.reprocess_on_replay => st.feed.push(StatusChange {
                message_id,
                document_id: id,
                status,
                reason_code: reason,
                refused_version: None,
            }),
            None => {}
        }
        Ok(())
    }
}

impl FaultSwitch for Fake {
    async fn arm(&self, outage: Outage, window: Duration) -> Result<(), String> {
        let mut st = lock(&self.state);
        let uploads = st.uploads;
        st.armed.push((outage, window, uploads));
        st.outage_ends = Some(Instant::now() + window);
        Ok(())
    }

    async fn injected(&self, _: Outage) -> Result<u64, String> {
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
            if self.faults.keeps_publishing {
                changes.push(StatusChange {
                    message_id: format!("chatter-{}", changes.len() + st.replays.len() + st.probes),
                    document_id: "elsewhere".into(),
                    status: "PENDING".into(),
                    reason_code: None,
                    refused_version: None,
                });
            }
            changes
        };
        // Like a long poll, an empty answer takes a while; a chattering feed
        // still answers every few milliseconds.
        if changes.is_empty() || self.faults.keeps_publishing {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(changes)
    }
}

/// (replayed ids in order, probes sent)
fn state(fake: &Fake) -> (Vec<(String, Option<String>)>, usize) {
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
        feed_quiet: Duration::from_millis(30),
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
    plan.faults = Faults {
        replay_copies: 3,
        probe_keys: 120,
        ..Faults::default()
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
    // Two early replays per document and three late ones: 100 deliveries
    // of the judged version (no overwrite, so no other version).
    assert_eq!(replays.len(), 100, "{replays:?}");
    let mut by_doc: HashMap<&str, usize> = HashMap::new();
    for (id, version) in &replays {
        assert_eq!(version.as_deref(), Some("v1"));
        *by_doc.entry(id).or_default() += 1;
    }
    assert!(by_doc.values().all(|&n| n == 5) && by_doc.len() == 20);
    let late: Vec<&String> = replays[40..].iter().map(|(id, _)| id).collect();
    let mut sorted = late.clone();
    sorted.sort();
    assert_ne!(late, sorted, "late deliveries are shuffled");
    let early = check(&r, "duplicate S3 events racing the first delivery");
    assert!(
        early.detail.starts_with("40 deliveries")
            && early.detail.contains("(2 at once per document)"),
        "{early:?}"
    );
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
        plan.faults = Faults {
            overwrite: true,
            ..Faults::default()
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
    plan.faults = Faults {
        replay_copies: 3,
        ..Faults::default()
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
    plan.faults.outages = vec![Outage::Table, Outage::ProcessorCrash];
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
        [Outage::Table, Outage::ProcessorCrash]
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

/// Replays after the verdicts check that duplicates change nothing, not how
/// an outage is ridden out: they wait for the outage to end, even when every
/// document settled inside it. The early replays, sent during it, retry.
#[tokio::test]
async fn replays_after_the_verdicts_wait_for_the_outage_to_end() {
    let fake = Fake::new(Misbehaviour {
        outage_spares_documents: true,
        ..Misbehaviour::default()
    });
    let mut plan = outage_plan(20);
    plan.faults.window = Duration::from_millis(1500);
    plan.faults.replay_copies = 1;
    let r = run_fake(&fake, &plan, true, true).await;
    // Here every early replay retried past its verdict (the fake judges in
    // 20 ms, the outage lasts 1.5 s): none raced, and the check says so.
    let racing = check(&r, "duplicate S3 events racing");
    assert!(racing.detail.starts_with("40 deliveries"), "{racing:?}");
    for c in r.checks.iter().filter(|c| c.name != racing.name) {
        assert!(c.passed, "{c:?}");
    }
    let late = check(&r, "duplicate S3 events accepted");
    assert!(late.detail.starts_with("20 deliveries"), "{late:?}");
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
    // Three rounds while it had not settled, one sweep once everything had.
    assert!(
        redriven
            .detail
            .contains("(4 rounds, the last once everything settled)"),
        "{redriven:?}"
    );
}

/// An event dead-lettered although its document settled (another delivery
/// judged it) is redriven once everything settled, and changes nothing.
#[tokio::test]
async fn dead_letters_of_settled_documents_are_swept_at_the_end() {
    let fake = Fake::new(Misbehaviour {
        also_dead_lettered: Some(3),
        ..Misbehaviour::default()
    });
    let mut plan = plan(5);
    plan.redrive = true;
    plan.stall = Some(Duration::from_millis(50));
    let r = run_fake(&fake, &plan, false, true).await;
    for c in &r.checks {
        assert!(c.passed, "{c:?}");
    }
    let redriven = check(&r, "dead letters redriven");
    assert!(
        redriven.detail.starts_with("1 dead-lettered events"),
        "{redriven:?}"
    );
    assert!(lock(&fake.state).dead_letters.is_empty());
}

/// Overwrites and replays together: each document's refused version is
/// delivered before its judged one; a sound platform passes, one whose
/// refusals are not idempotent announces and audits them again and fails
/// both the notification and the audit check.
#[tokio::test]
async fn replayed_refusals_must_change_nothing() {
    for not_idempotent in [false, true] {
        let fake = Fake::new(Misbehaviour {
            refusals_not_idempotent: not_idempotent,
            ..Misbehaviour::default()
        });
        let mut plan = plan(12);
        plan.faults = Faults {
            replay_copies: 2,
            overwrite: true,
            ..Faults::default()
        };
        let r = run_fake(&fake, &plan, true, false).await;
        let replays = check(&r, "duplicate S3 events accepted");
        assert!(replays.passed, "{replays:?}");
        // One refused version per presigned document, replayed in 2 rounds.
        let presigned = r
            .samples
            .iter()
            .filter(|s| s.upload == UploadKind::Presigned)
            .count();
        assert!(presigned > 0);
        let reordered = format!(
            "{} rounds delivered an older version after a newer one",
            2 * presigned
        );
        assert!(replays.detail.contains(&reordered), "{replays:?}");
        let (delivered, _) = state(&fake);
        for (id, version) in delivered.iter().filter(|(_, v)| v.as_deref() != Some("v1")) {
            let next = delivered
                .iter()
                .skip_while(|d| d.0 != *id || d.1 != *version)
                .find(|d| d.0 == *id)
                .cloned();
            assert!(next.is_some(), "{id} {version:?}: {delivered:?}");
        }
        let notified = check(&r, "one notification per status change");
        let audited = check(&r, "every audit trail verifies");
        assert_eq!(notified.passed, !not_idempotent, "{notified:?}");
        assert_eq!(audited.passed, !not_idempotent, "{audited:?}");
        if not_idempotent {
            assert!(
                notified.detail.contains(&format!(
                    "{presigned} documents announced one refused version twice"
                )),
                "{notified:?}"
            );
            assert!(
                audited.detail.contains("refusal audited twice"),
                "{audited:?}"
            );
        }
    }
}

/// A feed that never goes quiet fails its check instead of being cut off
/// at an arbitrary moment.
#[tokio::test]
async fn a_feed_that_never_goes_quiet_fails() {
    let fake = Fake::new(Misbehaviour {
        keeps_publishing: true,
        ..Misbehaviour::default()
    });
    let r = run_on(&fake, 4).await;
    let feed = check(&r, "status feed read until quiet");
    assert!(!feed.passed, "{feed:?}");
    assert!(feed.detail.contains("never quiet"), "{feed:?}");
    let quiet = Fake::new(Misbehaviour::default());
    let r = run_on(&quiet, 4).await;
    let feed = check(&r, "status feed read until quiet");
    assert!(feed.passed, "{feed:?}");
}
