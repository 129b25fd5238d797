//! The processor against in-memory stores, driven by real-shaped S3 events.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use aws_lambda_events::s3::S3Event;
use docproc_core::audit::verify_chain;
use docproc_core::document::{Document, DocumentStatus, UploadMethod};
use docproc_core::memory::{MemoryAudit, MemoryDocuments, MemoryObjects};
use docproc_core::ports::{AuditRepository, DocumentRepository, ObjectMetadata, ObjectStore};
use docproc_core::s3key::quarantine_key;
use docproc_engine::Limits;
use docproc_processor::{versions_from_s3_event, Config, ObjectVersion, Outcome, Processor};
use std::path::PathBuf;

const DOC: &str = "d0123456789abcdef0123456789abcd";

struct World {
    documents: MemoryDocuments,
    audit: MemoryAudit,
    objects: MemoryObjects,
    config: Config,
}

/// The version ids stored under exactly `key`, oldest first.
async fn live(objects: &MemoryObjects, key: &str) -> Vec<String> {
    objects
        .versions(key)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.key == key)
        .map(|v| v.version_id)
        .collect()
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../crates/engine/tests/corpus")
            .join(name),
    )
    .unwrap()
}

fn event(key: &str, version: &str, sequencer: &str) -> S3Event {
    let text = include_str!("fixtures/s3-put.json")
        .replace("incoming/acme/KEY", key)
        .replace("VERSION", version)
        .replace("SEQUENCER", sequencer);
    serde_json::from_str(&text).unwrap()
}

async fn world(file: &str, filename: &str, declared: &str) -> World {
    let w = World {
        documents: MemoryDocuments::default(),
        audit: MemoryAudit::default(),
        objects: MemoryObjects::default(),
        config: Config {
            max_document_bytes: 1 << 30,
            scratch_dir: std::env::temp_dir(),
            limits: Limits::default(),
            inspector: docproc_engine::inspect,
            inspect_on_blocking_thread: true,
        },
    };
    let key = format!("incoming/acme/{DOC}");
    w.objects
        .put(&key, corpus(file), &ObjectMetadata::default())
        .await
        .unwrap();
    // The bucket's first version id.
    assert_eq!(w.objects.current_version_id(&key).as_deref(), Some("v1"));
    w.documents
        .create(&Document {
            filename: filename.into(),
            declared_type: declared.into(),
            upload_method: UploadMethod::Inline,
            size: 1,
            ..Document::pending(DOC, "acme", &key, "2026-11-28T00:00:00Z")
        })
        .await
        .unwrap();
    w
}

impl World {
    async fn run(&self, ev: &S3Event) -> Result<Vec<Outcome>, docproc_processor::ProcessError> {
        let p = Processor {
            documents: &self.documents,
            audit: &self.audit,
            objects: &self.objects,
            config: &self.config,
        };
        let mut out = Vec::new();
        for v in versions_from_s3_event(ev)? {
            out.push(p.process(&v).await?);
        }
        Ok(out)
    }

    /// The trail's actions, in order.
    async fn actions(&self) -> Vec<String> {
        self.audit
            .trail(DOC)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    async fn doc(&self) -> Document {
        self.documents.get(DOC).await.unwrap().unwrap()
    }
}

#[tokio::test]
async fn accepted_document_is_processed_with_metadata_and_audited() {
    let w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    let out = w
        .run(&event(
            &format!("incoming/acme/{DOC}"),
            "v1",
            "0055AED6DCD90281E5",
        ))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![Outcome::Processed {
            document_id: DOC.into()
        }]
    );
    let d = w.doc().await;
    assert_eq!(d.status, DocumentStatus::Processed);
    assert_eq!(d.detected_format.as_deref(), Some("pdf"));
    assert_eq!(d.metadata.as_ref().unwrap()["pages"], 1);
    assert_eq!(d.sha256.as_ref().map(String::len), Some(64));
    assert_eq!(d.source_version.as_deref(), Some("v1"));
    assert_eq!(d.object_version.as_deref(), Some("v1"));
    let trail = w.audit.trail(DOC).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(
        (trail[0].action.as_str(), trail[0].outcome.as_str()),
        ("processed", "success")
    );
    assert_eq!(verify_chain(DOC, &trail), Ok(1));
}

#[tokio::test]
async fn hostile_document_is_rejected_and_quarantined_never_deleted() {
    let w = world(
        "zip-slip.docx",
        "a.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    .await;
    let out = w
        .run(&event(&format!("incoming/acme/{DOC}"), "v1", "0A"))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![Outcome::Rejected {
            document_id: DOC.into(),
            reason: "zip_unsafe_path".into()
        }]
    );
    let d = w.doc().await;
    assert_eq!(d.status, DocumentStatus::Rejected);
    assert_eq!(d.reason_code.as_deref(), Some("zip_unsafe_path"));
    assert_eq!(
        d.object_key,
        quarantine_key(
            "acme",
            DOC,
            Some("v1"),
            &d.source_sequencer.clone().unwrap()
        )
    );
    // The record points at exactly the quarantined copy's version.
    let copy = w.objects.current_version_id(&d.object_key);
    assert!(copy.is_some());
    assert_eq!(d.object_version, copy);
    assert_eq!(d.source_version.as_deref(), Some("v1"));
    assert_eq!(
        w.objects
            .get(&d.object_key, d.object_version.as_deref())
            .map(|o| o.body),
        Some(corpus("zip-slip.docx"))
    );
    // The scanned version was removed by its id: no delete marker is left.
    let incoming = format!("incoming/acme/{DOC}");
    assert_eq!(w.objects.get(&incoming, Some("v1")), None);
    assert_eq!(w.objects.current_version_id(&incoming), None);
}

/// Two versions under the key before either event is processed (a reused
/// presigned form): the first complete version is the document, whichever
/// event comes first; the other is refused once, however often its event
/// comes back.
#[tokio::test]
async fn the_first_version_is_judged_whichever_event_comes_first() {
    let w = world("chart.png", "c.png", "image/png").await;
    let key = format!("incoming/acme/{DOC}");
    w.objects
        .put(&key, corpus("one-page.pdf"), &ObjectMetadata::default())
        .await
        .unwrap();
    let refused = vec![Outcome::Refused {
        document_id: DOC.into(),
        version_id: "v2".into(),
    }];
    assert_eq!(w.run(&event(&key, "v2", "00B0")).await.unwrap(), refused);
    let after_first = w.doc().await;
    assert_eq!(after_first.status, DocumentStatus::Processed);
    assert_eq!(after_first.detected_format.as_deref(), Some("png"));
    assert_eq!(after_first.source_version.as_deref(), Some("v1"));
    assert_eq!(after_first.refused_versions, ["v2".to_string()].into());
    // v2 is gone by its id; v1 is the current version again.
    assert_eq!(live(&w.objects, &key).await, vec!["v1"]);
    // The same event again, then the first version's own event.
    assert_eq!(w.run(&event(&key, "v2", "00B0")).await.unwrap(), refused);
    assert_eq!(
        w.run(&event(&key, "v1", "00A0")).await.unwrap(),
        vec![Outcome::Duplicate {
            document_id: DOC.into()
        }]
    );
    assert_eq!(w.doc().await, after_first);
    let actions = w.actions().await;
    assert_eq!(actions, vec!["processed", "overwrite_refused"]);
}

#[tokio::test]
async fn transient_failures_are_errors_and_a_retry_completes() {
    let w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    let ev = event(&format!("incoming/acme/{DOC}"), "v1", "01");
    w.objects.failures.fail_next(1);
    assert!(w.run(&ev).await.is_err());
    assert_eq!(w.doc().await.status, DocumentStatus::Pending);
    w.audit.failures.fail_next(1);
    assert!(w.run(&ev).await.is_err(), "audit failure must surface");
    // The status was recorded before the audit write failed; the retry still audits exactly once.
    w.run(&ev).await.unwrap();
    assert_eq!(w.doc().await.status, DocumentStatus::Processed);
    assert_eq!(w.audit.trail(DOC).await.unwrap().len(), 1);
}

#[tokio::test]
async fn encoded_keys_decode_and_foreign_keys_are_ignored() {
    let ev = event("incoming/acme/my+report%2Bfinal.pdf", "v1", "01");
    let versions = versions_from_s3_event(&ev).unwrap();
    assert_eq!(
        versions,
        vec![ObjectVersion {
            key: "incoming/acme/my report+final.pdf".into(),
            version_id: Some("v1".into()),
            sequencer: "01".into(),
            uploader: Some("AWS:AROAEXAMPLE:docproc-api from 10.0.1.23".into()),
        }]
    );
    let w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    let out = w.run(&event("incoming/acme", "v1", "01")).await.unwrap();
    assert!(matches!(out[0], Outcome::Ignored { .. }));
}

#[tokio::test]
async fn orphan_objects_are_adopted_and_judged() {
    let w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    let orphan = "d1111111111111111111111111111111";
    let key = format!("incoming/acme/{orphan}");
    w.objects
        .put(&key, corpus("one-page.pdf"), &ObjectMetadata::default())
        .await
        .unwrap();
    let version = w.objects.current_version_id(&key).unwrap();
    let out = w.run(&event(&key, &version, "01")).await.unwrap();
    assert_eq!(
        out,
        vec![Outcome::Rejected {
            document_id: orphan.into(),
            reason: "type_mismatch".into()
        }]
    );
}

fn eventbridge(key: &str, version: &str, sequencer: &str) -> serde_json::Value {
    let text = include_str!("fixtures/eventbridge-object-created.json")
        .replace("\"KEY\"", &serde_json::to_string(key).unwrap())
        .replace("VERSION", version)
        .replace("SEQUENCER", sequencer);
    serde_json::from_str(&text).unwrap()
}

#[test]
fn both_event_sources_yield_the_same_object_version() {
    let direct = docproc_processor::versions_from_event(
        serde_json::to_value(event("incoming/acme/a+b%3A1.pdf", "v1", "0A")).unwrap(),
    )
    .unwrap();
    // EventBridge carries the key verbatim: no form decoding.
    let bridged =
        docproc_processor::versions_from_event(eventbridge("incoming/acme/a b:1.pdf", "v1", "0A"))
            .unwrap();
    // Each source names the uploader its own way (principal id; account).
    assert_eq!(
        direct[0].uploader.as_deref(),
        Some("AWS:AROAEXAMPLE:docproc-api from 10.0.1.23")
    );
    assert_eq!(
        bridged[0].uploader.as_deref(),
        Some("123456789012 from 10.0.1.23")
    );
    let without_uploader = |v: &[ObjectVersion]| -> Vec<ObjectVersion> {
        v.iter()
            .map(|o| ObjectVersion {
                uploader: None,
                ..o.clone()
            })
            .collect()
    };
    assert_eq!(without_uploader(&direct), without_uploader(&bridged));
    assert_eq!(bridged[0].key, "incoming/acme/a b:1.pdf");
    let plus = docproc_processor::versions_from_event(eventbridge("incoming/acme/a+b", "v1", "0A"))
        .unwrap();
    assert_eq!(plus[0].key, "incoming/acme/a+b");
}

#[test]
fn other_events_fail_the_invocation_instead_of_vanishing() {
    let mut deleted = eventbridge("incoming/acme/x", "v1", "0A");
    deleted["detail-type"] = "Object Deleted".into();
    for bad in [
        deleted,
        serde_json::json!({"source": "aws.s3", "detail-type": "Object Created"}),
        serde_json::json!({"hello": "world"}),
    ] {
        let err = docproc_processor::versions_from_event(bad).unwrap_err();
        assert!(
            matches!(err, docproc_processor::ProcessError::Event(_)),
            "{err}"
        );
    }
}

#[tokio::test]
async fn an_eventbridge_event_is_processed_like_a_notification() {
    let w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    let p = Processor {
        documents: &w.documents,
        audit: &w.audit,
        objects: &w.objects,
        config: &w.config,
    };
    let key = format!("incoming/acme/{DOC}");
    for v in docproc_processor::versions_from_event(eventbridge(&key, "v1", "01")).unwrap() {
        assert!(matches!(
            p.process(&v).await.unwrap(),
            Outcome::Processed { .. }
        ));
    }
    assert_eq!(w.doc().await.status, DocumentStatus::Processed);
}

/// A client uploads again to the same key (a new version) before the first
/// version's event is processed. Rejecting the first version must not hide the
/// second: S3 only removes exactly the version named in the DELETE; a DELETE
/// without one would put a delete marker on top of the newer upload
/// (DeletingObjectVersions.html).
#[tokio::test]
async fn rejecting_an_old_version_never_hides_a_newer_upload() {
    let w = world(
        "zip-slip.docx",
        "a.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    .await;
    let key = format!("incoming/acme/{DOC}");
    w.objects
        .put(&key, corpus("one-page.pdf"), &ObjectMetadata::default())
        .await
        .unwrap();
    assert_eq!(w.objects.current_version_id(&key).as_deref(), Some("v2"));

    let out = w
        .run(&event(&key, "v1", "0055AED6DCD90281E5"))
        .await
        .unwrap();
    assert!(matches!(out[0], Outcome::Rejected { .. }), "{out:?}");
    // v1 is gone, v2 is still the current, readable version.
    assert_eq!(w.objects.get(&key, Some("v1")), None);
    assert_eq!(w.objects.current_version_id(&key).as_deref(), Some("v2"));
    assert_eq!(
        w.objects.get(&key, None).map(|o| o.body),
        Some(corpus("one-page.pdf"))
    );
    assert!(w.objects.live_keys().contains(&key));
}

/// A verdict is final: a version uploaded after it (a presigned form posted
/// again) never replaces the judged one. It is audited with its uploader,
/// announced once (one stream record), and removed by its id.
#[tokio::test]
async fn a_version_uploaded_after_the_verdict_is_refused_and_announced_once() {
    let w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    let key = format!("incoming/acme/{DOC}");
    w.run(&event(&key, "v1", "0055AED6DCD90281E5"))
        .await
        .unwrap();
    let judged = w.doc().await;
    w.objects
        .put(&key, corpus("three-pages.pdf"), &ObjectMetadata::default())
        .await
        .unwrap();
    let records_before = w.documents.stream.lock().unwrap().len();
    let refused = vec![Outcome::Refused {
        document_id: DOC.into(),
        version_id: "v2".into(),
    }];
    for _ in 0..2 {
        assert_eq!(
            w.run(&event(&key, "v2", "0055AED6DCD90282")).await.unwrap(),
            refused
        );
    }
    let d = w.doc().await;
    assert_eq!(d.source_version.as_deref(), Some("v1"));
    assert_eq!(d.metadata, judged.metadata);
    assert_eq!(d.sha256, judged.sha256);
    assert_eq!(d.refused_versions, ["v2".to_string()].into());
    assert_eq!(live(&w.objects, &key).await, vec!["v1"]);
    assert_eq!(
        w.documents.stream.lock().unwrap().len(),
        records_before + 1,
        "one stream record for the refusal, none for its redelivery"
    );
    let trail = w.audit.trail(DOC).await.unwrap();
    assert_eq!(trail.len(), 2);
    let refusal: serde_json::Value = serde_json::from_str(&trail[1].detail).unwrap();
    assert_eq!(trail[1].action, "overwrite_refused");
    assert_eq!(refusal["version_id"], "v2");
    assert_eq!(refusal["judged_version"], "v1");
    assert_eq!(
        refusal["uploader"],
        "AWS:AROAEXAMPLE:docproc-api from 10.0.1.23"
    );
    assert_eq!(verify_chain(DOC, &trail), Ok(2));
}

/// Prod's bucket has Object Lock default retention in governance mode: every
/// version is protected, and deleting one needs the bypass header and
/// `s3:BypassGovernanceRetention` (object-lock-managing.html). With both, a
/// rejection and a refusal remove their versions and nothing is denied.
#[tokio::test]
async fn under_governance_retention_the_processor_removes_versions_by_bypassing_it() {
    use std::sync::atomic::Ordering;
    for bypass in [true, false] {
        let w = World {
            objects: MemoryObjects::default(),
            ..world(
                "zip-slip.docx",
                "a.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            )
            .await
        };
        w.objects.governance_default.store(true, Ordering::SeqCst);
        w.objects.bypass_governance.store(bypass, Ordering::SeqCst);
        let key = format!("incoming/acme/{DOC}");
        for body in [corpus("zip-slip.docx"), corpus("one-page.pdf")] {
            w.objects
                .put(&key, body, &ObjectMetadata::default())
                .await
                .unwrap();
        }
        w.run(&event(&key, "v1", "0A")).await.unwrap();
        w.run(&event(&key, "v2", "0B")).await.unwrap();
        let d = w.doc().await;
        assert_eq!(d.status, DocumentStatus::Rejected);
        let actions: Vec<String> = w
            .audit
            .trail(DOC)
            .await
            .unwrap()
            .into_iter()
            .map(|e| format!("{}:{}", e.action, e.outcome))
            .collect();
        if bypass {
            assert_eq!(live(&w.objects, &key).await, Vec::<String>::new());
            assert_eq!(
                actions,
                vec!["rejected:zip_unsafe_path", "overwrite_refused:refused"]
            );
        } else {
            // Without it every removal is an AccessDenied (audited, and in
            // AWS a CloudTrail record that pages on-call).
            assert_eq!(live(&w.objects, &key).await.len(), 2);
            assert_eq!(
                actions,
                vec![
                    "rejected:zip_unsafe_path",
                    "cleanup:failed",
                    "overwrite_refused:refused",
                    "cleanup:failed"
                ]
            );
        }
    }
}

/// A retryable S3 failure (throttling, 5xx) while removing the rejected
/// original fails the invocation, so Lambda retries it; the retry finishes
/// the removal without recording anything twice.
#[tokio::test]
async fn a_retryable_cleanup_failure_fails_the_invocation_and_the_retry_completes() {
    let w = world(
        "zip-slip.docx",
        "a.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    .await;
    let key = format!("incoming/acme/{DOC}");
    let ev = event(&key, "v1", "0A");
    w.objects.delete_failures.fail_next(1);
    assert!(w.run(&ev).await.is_err());
    assert_eq!(w.doc().await.status, DocumentStatus::Rejected);
    assert!(w.objects.get(&key, Some("v1")).is_some());
    w.run(&ev).await.unwrap();
    assert_eq!(w.objects.get(&key, Some("v1")), None);
    let actions = w.actions().await;
    assert_eq!(actions, vec!["rejected"]);
}

/// Under Object Lock default retention (prod) S3 refuses to delete the
/// protected original version: "you can't delete a protected object version"
/// (object-lock-managing.html). That cannot succeed on retry, so the verdict
/// stands and the refusal is audited once instead of dead-lettering the event.
#[tokio::test]
async fn a_permanently_refused_cleanup_is_audited_and_the_verdict_stands() {
    let w = world(
        "zip-slip.docx",
        "a.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    .await;
    w.objects.retained.lock().unwrap().insert("v1".into());
    let key = format!("incoming/acme/{DOC}");
    let ev = event(&key, "v1", "0A");
    let out = w.run(&ev).await.unwrap();
    assert!(matches!(out[0], Outcome::Rejected { .. }), "{out:?}");
    assert!(w.objects.get(&key, Some("v1")).is_some());
    // Redelivered: still one cleanup record.
    w.run(&ev).await.unwrap();
    let trail = w.audit.trail(DOC).await.unwrap();
    let actions: Vec<(&str, &str)> = trail
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![("rejected", "zip_unsafe_path"), ("cleanup", "failed")]
    );
    assert_eq!(verify_chain(DOC, &trail), Ok(2));
}

fn panicking_engine(
    _: &dyn docproc_engine::Source,
    _: &docproc_engine::Declared,
    _: &Limits,
) -> docproc_engine::Verdict {
    panic!("engine bug triggered by this document")
}

#[tokio::test]
async fn an_engine_panic_is_a_verdict_not_a_retry() {
    // A panic recurs on every retry of the same document: it must become a
    // rejection (document kept in quarantine), not an error that ends in the DLQ.
    let mut w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    w.config.inspector = panicking_engine;
    let out = w
        .run(&event(&format!("incoming/acme/{DOC}"), "v1", "0A"))
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![Outcome::Rejected {
            document_id: DOC.into(),
            reason: "malformed".into()
        }]
    );
    let d = w.doc().await;
    assert_eq!(d.status, DocumentStatus::Rejected);
    assert!(d.reason_message.unwrap().contains("internal error"));
    assert_eq!(
        w.objects
            .get(&d.object_key, d.object_version.as_deref())
            .map(|o| o.body),
        Some(corpus("one-page.pdf"))
    );
}

#[tokio::test]
async fn an_object_larger_than_the_processor_takes_is_a_too_large_verdict_kept_in_place() {
    // Retrying cannot make it fit: a verdict, never an error that ends in the
    // DLQ, and the original is kept (never read, so never copied or deleted).
    let mut w = world("one-page.pdf", "q.pdf", "application/pdf").await;
    w.config.max_document_bytes = 100;
    let key = format!("incoming/acme/{DOC}");
    let out = w.run(&event(&key, "v1", "0A")).await.unwrap();
    assert_eq!(
        out,
        vec![Outcome::Rejected {
            document_id: DOC.into(),
            reason: "too_large".into()
        }]
    );
    let d = w.doc().await;
    assert_eq!(d.status, DocumentStatus::Rejected);
    assert_eq!(d.sha256, None, "never read, so no digest is claimed");
    assert!(d.reason_message.unwrap().contains("larger than 100 bytes"));
    assert_eq!(
        (d.object_key.as_str(), d.object_version.as_deref()),
        (key.as_str(), Some("v1"))
    );
    assert_eq!(
        w.objects.get(&key, Some("v1")).map(|o| o.body),
        Some(corpus("one-page.pdf"))
    );
    // A redelivery changes nothing and still deletes nothing.
    assert_eq!(
        w.run(&event(&key, "v1", "0A")).await.unwrap(),
        vec![Outcome::Duplicate {
            document_id: DOC.into()
        }]
    );
    assert!(w.objects.get(&key, Some("v1")).is_some());
}
