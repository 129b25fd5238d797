//! S3 ObjectCreated → processing verdict. A document's verdict is final and
//! given once: the first complete version under its key is judged (streamed
//! to ephemeral storage, hashed, run through the engine) and its outcome is
//! recorded only while the document is PENDING, so exactly one delivery's
//! verdict stands however many run at once. Every other version under the
//! key, uploaded later or beside it, is refused: audited with its version id
//! and uploader, announced once, and removed. Rejected versions are copied
//! to quarantine before the verdict is recorded (the record never points at
//! a missing object); copies made by deliveries that lost the race are
//! removed by whichever delivery finishes the verdict. Every side effect
//! after the record is idempotent and re-run by each later delivery, so a
//! crash between any two of them is finished by the retry.
//!
//! Storage failures are errors, so Lambda retries the invocation and finally
//! sends the event to the on-failure destination (S3 invokes the function
//! asynchronously:
//! https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
//! a hostile document is a verdict. Once a verdict is recorded, a cleanup
//! that S3 refuses for good (for example a version under compliance-mode
//! retention) is audited instead of failing the event forever.

use aws_lambda_events::s3::S3Event;
use docproc_core::audit::{append_event, NewAuditEvent};
use docproc_core::document::{normalize_sequencer, Document, DocumentStatus};
use docproc_core::ports::{
    AuditRepository, DocumentRepository, DownloadedObject, ObjectStore, OutcomeWrite,
    ProcessingOutcome,
};
use docproc_core::s3key::{
    decode_event_key, incoming_key, parse_incoming_key, quarantine_key, version_digest,
    QUARANTINE_PREFIX,
};
use docproc_core::{time_fmt, StoreError};
use docproc_engine::{Declared, FileSource, Limits, Reason, Rejection, Source, Verdict};
use serde_json::json;
use std::path::PathBuf;

/// The engine entry point (a seam so tests can make it fail).
pub type Inspector = fn(&dyn Source, &Declared, &Limits) -> Verdict;

#[derive(Debug, Clone)]
pub struct Config {
    /// Largest object the processor downloads (sized with ephemeral storage).
    pub max_document_bytes: u64,
    pub scratch_dir: PathBuf,
    pub limits: Limits,
    /// `docproc_engine::inspect` outside tests.
    pub inspector: Inspector,
    /// Runs the engine on a blocking thread (true in the Lambda). The
    /// simulation runs it inline so that a seed replays a schedule exactly.
    pub inspect_on_blocking_thread: bool,
}

/// One object version to process, from whichever event source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub key: String,
    pub version_id: Option<String>,
    pub sequencer: String,
    /// Who uploaded it, as the event tells (principal and source address):
    /// recorded when the version is refused.
    pub uploader: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Processed {
        document_id: String,
    },
    Rejected {
        document_id: String,
        reason: String,
    },
    /// Another version holds the document's verdict: this one was refused
    /// (audited, announced and removed).
    Refused {
        document_id: String,
        version_id: String,
    },
    /// A redelivered event of the judged version, or one for a deleted
    /// document: nothing left to do.
    Duplicate {
        document_id: String,
    },
    /// Not an object docproc manages (logged loudly; nothing to record).
    Ignored {
        key: String,
        why: &'static str,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("malformed event: {0}")]
    Event(String),
    #[error("scratch storage: {0}")]
    Scratch(#[from] std::io::Error),
}

/// The part of an EventBridge "Object Created" event the processor reads.
/// Unlike S3 notifications, EventBridge carries keys verbatim (not form-encoded).
#[derive(Debug, serde::Deserialize)]
struct EventBridgeObjectCreated {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: EventBridgeDetail,
}

#[derive(Debug, serde::Deserialize)]
struct EventBridgeDetail {
    object: EventBridgeObject,
    requester: Option<String>,
    #[serde(rename = "source-ip-address")]
    source_ip_address: Option<String>,
}

/// "principal from address", from whichever parts an event carries.
fn uploader(principal: Option<&str>, address: Option<&str>) -> Option<String> {
    match (principal, address) {
        (Some(p), Some(a)) => Some(format!("{p} from {a}")),
        (Some(p), None) => Some(p.to_string()),
        (None, Some(a)) => Some(format!("from {a}")),
        (None, None) => None,
    }
}

#[derive(Debug, serde::Deserialize)]
struct EventBridgeObject {
    key: String,
    #[serde(rename = "version-id")]
    version_id: Option<String>,
    sequencer: String,
}

/// Extracts object versions from either event source: an S3 notification
/// (`Records`) or an EventBridge event from `aws.s3`. Anything else is an
/// error, so the invocation fails and the event reaches the dead-letter
/// queue instead of being dropped.
pub fn versions_from_event(event: serde_json::Value) -> Result<Vec<ObjectVersion>, ProcessError> {
    if event.get("Records").is_some() {
        let notification: S3Event = serde_json::from_value(event)
            .map_err(|e| ProcessError::Event(format!("S3 notification: {e}")))?;
        return versions_from_s3_event(&notification);
    }
    if event.get("source").and_then(|s| s.as_str()) == Some("aws.s3") {
        let created: EventBridgeObjectCreated = serde_json::from_value(event)
            .map_err(|e| ProcessError::Event(format!("EventBridge S3 event: {e}")))?;
        if created.detail_type != "Object Created" {
            return Err(ProcessError::Event(format!(
                "EventBridge S3 event {:?} is not Object Created: check the rule's pattern",
                created.detail_type
            )));
        }
        let detail = created.detail;
        return Ok(vec![ObjectVersion {
            uploader: uploader(
                detail.requester.as_deref(),
                detail.source_ip_address.as_deref(),
            ),
            key: detail.object.key,
            version_id: detail.object.version_id.filter(|v| v != "null"),
            sequencer: detail.object.sequencer,
        }]);
    }
    Err(ProcessError::Event(
        "neither an S3 notification nor an EventBridge aws.s3 event".into(),
    ))
}

/// Extracts object versions from an S3 notification (keys are form-encoded).
pub fn versions_from_s3_event(event: &S3Event) -> Result<Vec<ObjectVersion>, ProcessError> {
    event
        .records
        .iter()
        .filter(|r| {
            r.event_name
                .as_deref()
                .is_some_and(|n| n.starts_with("ObjectCreated"))
        })
        .map(|r| {
            let raw =
                r.s3.object
                    .key
                    .as_deref()
                    .ok_or_else(|| ProcessError::Event("record without object key".into()))?;
            let key = decode_event_key(raw)
                .ok_or_else(|| ProcessError::Event(format!("undecodable key {raw:?}")))?;
            let sequencer =
                r.s3.object
                    .sequencer
                    .clone()
                    .ok_or_else(|| ProcessError::Event(format!("no sequencer for {key}")))?;
            Ok(ObjectVersion {
                key,
                version_id: r.s3.object.version_id.clone().filter(|v| v != "null"),
                sequencer,
                uploader: uploader(
                    r.principal_id.principal_id.as_deref(),
                    r.request_parameters.source_ip_address.as_deref(),
                ),
            })
        })
        .collect()
}

pub struct Processor<'a, D, A, O> {
    pub documents: &'a D,
    pub audit: &'a A,
    pub objects: &'a O,
    pub config: &'a Config,
}

/// How running the engine ended.
enum Inspection {
    /// It ran (or the scratch file could not be opened).
    Done(std::io::Result<Verdict>),
    /// The engine panicked on this document.
    Panicked,
    /// The blocking task could not run.
    Failed(tokio::task::JoinError),
}

/// Whether `version` is the version `judged` names. Without version ids (a
/// bucket without versioning) there is only ever one.
fn same_version(version: Option<&str>, judged: Option<&str>) -> bool {
    version.is_none() || judged.is_none() || version == judged
}

impl<D: DocumentRepository, A: AuditRepository, O: ObjectStore> Processor<'_, D, A, O> {
    pub async fn process(&self, object: &ObjectVersion) -> Result<Outcome, ProcessError> {
        let Some((client_id, document_id)) = parse_incoming_key(&object.key) else {
            tracing::error!(
                key = object.key,
                "object outside incoming/<client>/<document>: not processed"
            );
            return Ok(Outcome::Ignored {
                key: object.key.clone(),
                why: "unexpected key layout",
            });
        };
        let sequencer = normalize_sequencer(&object.sequencer).ok_or_else(|| {
            ProcessError::Event(format!("malformed sequencer {:?}", object.sequencer))
        })?;
        let mut document = match self.documents.get(document_id).await? {
            Some(d) => d,
            None => {
                self.adopt_orphan(client_id, document_id, &object.key)
                    .await?
            }
        };
        if document.client_id != client_id {
            tracing::error!(
                document_id,
                key = object.key,
                "object key names another client than the record"
            );
            return Ok(Outcome::Ignored {
                key: object.key.clone(),
                why: "client mismatch",
            });
        }
        let mut judged_here = None;
        if document.status == DocumentStatus::Pending {
            judged_here = self.judge(&document, object, &sequencer).await?;
            // Whoever won, the record now holds the verdict (or the deletion).
            document =
                self.documents.get(document_id).await?.ok_or_else(|| {
                    StoreError::Transient(format!("document {document_id} vanished"))
                })?;
        }
        let judged = document.source_version.as_deref();
        match document.status {
            DocumentStatus::Pending => {
                return Err(StoreError::Transient(format!(
                    "document {document_id} is still pending after its verdict was written"
                ))
                .into())
            }
            // Deleted before any verdict: its objects are kept for the trail.
            DocumentStatus::Deleted if document.source_sequencer.is_none() => {
                return Ok(Outcome::Duplicate {
                    document_id: document_id.to_string(),
                })
            }
            DocumentStatus::Deleted => {}
            DocumentStatus::Processed | DocumentStatus::Rejected => {
                self.finish(client_id, &document).await?
            }
        }
        if !same_version(object.version_id.as_deref(), judged) {
            let version_id = object.version_id.clone().unwrap_or_default();
            self.refuse(&document, object, &version_id, &sequencer)
                .await?;
            return Ok(Outcome::Refused {
                document_id: document_id.to_string(),
                version_id,
            });
        }
        Ok(judged_here.unwrap_or(Outcome::Duplicate {
            document_id: document_id.to_string(),
        }))
    }

    /// Judges the document's first complete version and records the verdict
    /// if the document is still PENDING. `None` when another delivery's
    /// verdict (or a deletion) got there first.
    async fn judge(
        &self,
        document: &Document,
        object: &ObjectVersion,
        sequencer: &str,
    ) -> Result<Option<Outcome>, ProcessError> {
        let (client_id, document_id) = (&document.client_id, &document.document_id);
        // The first complete upload under the key is the document, whichever
        // version's event arrives first: S3 lists a key's versions newest
        // first (list-obj-version-enabled-bucket.html), and lists are
        // strongly consistent with the writes before them
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel).
        let first = match object.version_id {
            Some(_) => self
                .objects
                .versions(&object.key)
                .await?
                .into_iter()
                .find(|v| v.key == object.key)
                .map(|v| v.version_id),
            None => None,
        };
        let target = ObjectVersion {
            version_id: first.or_else(|| object.version_id.clone()),
            ..object.clone()
        };
        let (verdict, downloaded) = self.inspect(document_id, &target, document).await?;

        let mut outcome = ProcessingOutcome {
            document_id: document_id.to_string(),
            status: DocumentStatus::Processed,
            size: downloaded.as_ref().map_or(0, |d| d.size),
            sha256: downloaded.map(|d| d.sha256),
            detected_format: None,
            reason_code: None,
            reason_message: None,
            metadata: None,
            object_key: target.key.clone(),
            sequencer: sequencer.to_string(),
            version_id: target.version_id.clone(),
            object_version: target.version_id.clone(),
            updated_at: time_fmt::format(time_fmt::now()),
        };
        match &verdict {
            Verdict::Accepted { format, metadata } => {
                outcome.detected_format = Some(format.name().to_string());
                outcome.metadata = Some(serde_json::Value::Object(metadata.clone()));
            }
            // Never read, so never copied (CopyObject takes at most 5 GB): the
            // original stays where it is, recorded as the document's object.
            Verdict::Rejected(r) if r.reason == Reason::TooLarge => {
                outcome.status = DocumentStatus::Rejected;
                outcome.reason_code = Some(r.reason.as_str().to_string());
                outcome.reason_message = Some(r.message.clone());
            }
            Verdict::Rejected(r) => {
                outcome.status = DocumentStatus::Rejected;
                outcome.detected_format = r.detected.clone();
                outcome.reason_code = Some(r.reason.as_str().to_string());
                outcome.reason_message = Some(r.message.clone());
                // Copy first: the record must never point at a missing object.
                let quarantined = quarantine_key(
                    client_id,
                    document_id,
                    target.version_id.as_deref(),
                    sequencer,
                );
                outcome.object_version = self
                    .objects
                    .copy(&target.key, target.version_id.as_deref(), &quarantined)
                    .await?;
                outcome.object_key = quarantined;
            }
        }
        if self.documents.record_outcome(&outcome).await? == OutcomeWrite::Stale {
            tracing::info!(
                document_id,
                sequencer,
                "another delivery recorded the verdict first"
            );
            return Ok(None);
        }
        tracing::info!(document_id, client_id, status = %outcome.status, reason = outcome.reason_code, sha256 = ?outcome.sha256, size = outcome.size, version_id = outcome.version_id, "document judged");
        Ok(Some(match outcome.reason_code {
            None => Outcome::Processed {
                document_id: document_id.to_string(),
            },
            Some(reason) => Outcome::Rejected {
                document_id: document_id.to_string(),
                reason,
            },
        }))
    }

    /// Downloads the object version to scratch space and runs the engine on
    /// it. An object larger than the processor takes is a `too_large`
    /// verdict without a download (retrying cannot make it fit).
    async fn inspect(
        &self,
        document_id: &str,
        object: &ObjectVersion,
        document: &Document,
    ) -> Result<(Verdict, Option<DownloadedObject>), ProcessError> {
        let scratch = tempfile::NamedTempFile::new_in(&self.config.scratch_dir)?;
        let downloaded = match self
            .objects
            .download(
                &object.key,
                object.version_id.as_deref(),
                scratch.path(),
                self.config.max_document_bytes,
            )
            .await
        {
            Ok(d) => d,
            Err(StoreError::TooLarge { limit }) => {
                let message = format!("the document is larger than {limit} bytes, the most the processor takes; it is kept unprocessed");
                return Ok((
                    Verdict::Rejected(Rejection::new(Reason::TooLarge, message)),
                    None,
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let declared = Declared::new(document.filename.clone(), document.declared_type.clone());
        let limits = self.config.limits.clone();
        let path = scratch.path().to_path_buf();
        let inspector = self.config.inspector;
        let run = move || FileSource::open(&path).map(|src| inspector(&src, &declared, &limits));
        let inspection = if self.config.inspect_on_blocking_thread {
            match tokio::task::spawn_blocking(run).await {
                Ok(opened) => Inspection::Done(opened),
                Err(e) if e.is_panic() => Inspection::Panicked,
                Err(e) => Inspection::Failed(e),
            }
        } else {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
                Ok(opened) => Inspection::Done(opened),
                Err(_) => Inspection::Panicked,
            }
        };
        let verdict = match inspection {
            Inspection::Done(opened) => opened?,
            // A panic inside the engine is a bug that this document triggers
            // deterministically: retrying would only move it to the DLQ. It
            // becomes a verdict (the document is kept in quarantine) and an
            // error log to fix the engine by.
            Inspection::Panicked => {
                tracing::error!(
                    document_id,
                    key = object.key,
                    "the engine panicked on this document"
                );
                Verdict::Rejected(Rejection::new(
                    Reason::Malformed,
                    "internal error: the document could not be inspected (kept in quarantine for review)",
                ))
            }
            Inspection::Failed(e) => return Err(ProcessError::Scratch(std::io::Error::other(e))),
        };
        Ok((verdict, Some(downloaded)))
    }

    /// The side effects of a recorded verdict, each idempotent, re-run by
    /// every delivery so that one that died half-way is finished by the
    /// next: one audit outcome per document (deduplicated), quarantine copies
    /// that deliveries which lost the race left behind removed, and, for a
    /// rejection, exactly the scanned version removed from `incoming/` (the
    /// quarantined copy is the one kept). Deleting by version id never
    /// touches another upload of the same key; a plain DELETE would put a
    /// delete marker on top of it
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html).
    async fn finish(&self, client_id: &str, doc: &Document) -> Result<(), ProcessError> {
        let document_id = doc.document_id.as_str();
        let sequencer = doc.source_sequencer.as_deref().unwrap_or_default();
        let (action, result) = match &doc.reason_code {
            None => ("processed", "success".to_string()),
            Some(code) => ("rejected", code.clone()),
        };
        let detail = json!({
            "sha256": doc.sha256, "size": doc.size, "format": doc.detected_format,
            "version_id": doc.source_version, "object_key": doc.object_key, "message": doc.reason_message,
        });
        append_event(
            self.audit,
            document_id,
            NewAuditEvent::new("processor", action, result, detail),
            Some(&format!("{action}:{sequencer}")),
        )
        .await?;
        let incoming = incoming_key(client_id, document_id);
        // Every copy under the document's quarantine folder but the record's
        // own was made by a delivery that lost the race or died before
        // recording (whichever version it judged).
        let folder = format!("{QUARANTINE_PREFIX}{client_id}/{document_id}/");
        for copy in self.objects.versions(&folder).await? {
            let kept = doc.object_key == copy.key
                && doc.object_version.as_deref() == Some(copy.version_id.as_str());
            if !kept {
                tracing::info!(
                    document_id,
                    key = copy.key,
                    version = copy.version_id,
                    "removing a copy a losing delivery made"
                );
                self.remove(document_id, &copy.key, &copy.version_id, "stray-copy")
                    .await?;
            }
        }
        // Accepted documents, and rejected ones kept where they were uploaded
        // (too large to copy), stay in incoming/.
        if doc.reason_code.is_none() || doc.object_key == incoming {
            return Ok(());
        }
        let Some(version_id) = doc.source_version.as_deref() else {
            // Without a version id the only delete is of whatever is current,
            // which may be a newer upload: keep the original instead.
            tracing::warn!(
                document_id,
                key = incoming,
                "no version id: the rejected original stays in incoming/"
            );
            return Ok(());
        };
        self.remove(document_id, &incoming, version_id, "cleanup")
            .await
    }

    /// Refuses a version uploaded under a document that has its verdict:
    /// audited (with the version id and uploader), announced through the
    /// record's refused versions, then removed, in that order so a retry
    /// finishes what a crash left.
    async fn refuse(
        &self,
        doc: &Document,
        object: &ObjectVersion,
        version_id: &str,
        sequencer: &str,
    ) -> Result<(), ProcessError> {
        let document_id = doc.document_id.as_str();
        tracing::warn!(document_id, key = object.key, version_id, uploader = object.uploader, status = %doc.status, "upload under a judged document refused");
        append_event(
            self.audit,
            document_id,
            NewAuditEvent::new(
                "processor",
                "overwrite_refused",
                "refused",
                json!({
                    "version_id": version_id, "sequencer": sequencer, "object_key": object.key,
                    "uploader": object.uploader, "judged_version": doc.source_version, "status": doc.status,
                }),
            ),
            Some(&format!("refused:{}", version_digest(version_id))),
        )
        .await?;
        self.documents
            .record_refusal(document_id, version_id)
            .await?;
        self.remove(document_id, &object.key, version_id, "refused-cleanup")
            .await
    }

    /// Permanently removes one object version. A refusal S3 makes for good
    /// (a version under compliance-mode retention: "you can't delete a
    /// protected object version",
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html)
    /// cannot succeed on retry: it is audited once and the verdict stands.
    async fn remove(
        &self,
        document_id: &str,
        key: &str,
        version_id: &str,
        what: &str,
    ) -> Result<(), ProcessError> {
        match self.objects.delete(key, Some(version_id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_retryable() => Err(e.into()),
            Err(e) => {
                tracing::error!(document_id, key, version_id, error = %e, "object version not removed");
                append_event(
                    self.audit,
                    document_id,
                    NewAuditEvent::new(
                        "processor",
                        "cleanup",
                        "failed",
                        json!({"object_key": key, "version_id": version_id, "error": e.to_string()}),
                    ),
                    Some(&format!("{what}:{}", version_digest(version_id))),
                )
                .await?;
                Ok(())
            }
        }
    }

    /// An object under `incoming/` without a record (written around the API):
    /// record it so it is processed, and quarantined if it does not pass.
    async fn adopt_orphan(
        &self,
        client_id: &str,
        document_id: &str,
        key: &str,
    ) -> Result<Document, ProcessError> {
        tracing::warn!(
            document_id,
            key,
            "object without a document record; adopting it"
        );
        let now = time_fmt::format(time_fmt::now());
        let doc = Document::pending(document_id, client_id, key, &now);
        match self.documents.create(&doc).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(self.documents.get(document_id).await?.unwrap_or(doc))
    }
}
