//! S3 ObjectCreated → processing verdict. Streams the object to ephemeral
//! storage (hashing on the way), runs the engine, records the outcome with a
//! write conditioned on the object's sequencer (duplicates and out-of-order
//! events never regress a status), quarantines rejected objects and appends
//! to the audit trail. Storage failures before the verdict is recorded are
//! errors, so Lambda retries the invocation and finally sends the event to
//! the on-failure destination (S3 invokes the function asynchronously:
//! https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
//! a hostile document is a verdict. Once a verdict is recorded, a cleanup
//! that S3 refuses for good (for example an original under Object Lock
//! retention) is audited instead of failing the event forever.

use aws_lambda_events::s3::S3Event;
use docproc_core::audit::{append_event, NewAuditEvent};
use docproc_core::document::{normalize_sequencer, Document, DocumentStatus, UploadMethod};
use docproc_core::ports::{
    AuditRepository, DocumentRepository, DownloadedObject, ObjectStore, OutcomeWrite,
    ProcessingOutcome,
};
use docproc_core::s3key::{decode_event_key, parse_incoming_key, quarantine_key};
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
}

/// One object version to process, from whichever event source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    pub key: String,
    pub version_id: Option<String>,
    pub sequencer: String,
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
    /// A redelivered or out-of-order event: nothing changed.
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
        let object = created.detail.object;
        return Ok(vec![ObjectVersion {
            key: object.key,
            version_id: object.version_id.filter(|v| v != "null"),
            sequencer: object.sequencer,
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
            })
        })
        .collect()
}

/// What `Processor::finish` completes for one recorded object version.
struct Finish<'a> {
    key: &'a str,
    /// Where the record says the document's bytes are kept.
    recorded_key: &'a str,
    version_id: Option<&'a str>,
    reason: Option<String>,
    detail: serde_json::Value,
    sequencer: &'a str,
}

pub struct Processor<'a, D, A, O> {
    pub documents: &'a D,
    pub audit: &'a A,
    pub objects: &'a O,
    pub config: &'a Config,
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
        let document = match self.documents.get(document_id).await? {
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
        if let Some(recorded) = &document.source_sequencer {
            if recorded > &sequencer
                || (recorded == &sequencer && document.status != DocumentStatus::Pending)
            {
                tracing::info!(
                    document_id,
                    sequencer,
                    recorded,
                    "duplicate or out-of-order event"
                );
                if recorded == &sequencer {
                    // A previous attempt recorded this version but may have died
                    // before its audit event or cleanup: finish them (idempotent).
                    let detail = json!({
                        "sha256": document.sha256, "size": document.size, "format": document.detected_format,
                        "version_id": document.source_version, "object_key": document.object_key, "message": document.reason_message,
                    });
                    self.finish(
                        document_id,
                        Finish {
                            key: &object.key,
                            recorded_key: &document.object_key,
                            version_id: object.version_id.as_deref(),
                            reason: document.reason_code.clone(),
                            detail,
                            sequencer: &sequencer,
                        },
                    )
                    .await?;
                }
                return Ok(Outcome::Duplicate {
                    document_id: document_id.to_string(),
                });
            }
        }

        let (verdict, downloaded) = self.inspect(document_id, object, &document).await?;

        let now = time_fmt::format(time_fmt::now());
        let mut outcome = ProcessingOutcome {
            document_id: document_id.to_string(),
            status: DocumentStatus::Processed,
            size: downloaded.as_ref().map_or(0, |d| d.size),
            sha256: downloaded.map(|d| d.sha256),
            detected_format: None,
            reason_code: None,
            reason_message: None,
            metadata: None,
            object_key: object.key.clone(),
            sequencer: sequencer.clone(),
            version_id: object.version_id.clone(),
            object_version: object.version_id.clone(),
            updated_at: now,
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
                let quarantined = quarantine_key(client_id, document_id, &sequencer);
                outcome.object_version = self
                    .objects
                    .copy(&object.key, object.version_id.as_deref(), &quarantined)
                    .await?;
                outcome.object_key = quarantined;
            }
        }
        if self.documents.record_outcome(&outcome).await? == OutcomeWrite::Stale {
            tracing::info!(
                document_id,
                sequencer,
                "a newer version was recorded meanwhile"
            );
            return Ok(Outcome::Duplicate {
                document_id: document_id.to_string(),
            });
        }
        let detail = json!({
            "sha256": outcome.sha256, "size": outcome.size, "format": outcome.detected_format,
            "version_id": outcome.version_id, "object_key": outcome.object_key, "message": outcome.reason_message,
        });
        self.finish(
            document_id,
            Finish {
                key: &object.key,
                recorded_key: &outcome.object_key,
                version_id: object.version_id.as_deref(),
                reason: outcome.reason_code.clone(),
                detail,
                sequencer: &sequencer,
            },
        )
        .await?;
        tracing::info!(document_id, client_id, status = %outcome.status, reason = outcome.reason_code, sha256 = ?outcome.sha256, size = outcome.size, "document processed");
        Ok(match outcome.reason_code {
            None => Outcome::Processed {
                document_id: document_id.to_string(),
            },
            Some(reason) => Outcome::Rejected {
                document_id: document_id.to_string(),
                reason,
            },
        })
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
        let inspection = tokio::task::spawn_blocking(move || {
            FileSource::open(&path).map(|src| inspector(&src, &declared, &limits))
        })
        .await;
        let verdict = match inspection {
            Ok(opened) => opened?,
            // A panic inside the engine is a bug that this document triggers
            // deterministically: retrying would only move it to the DLQ. It
            // becomes a verdict (the document is kept in quarantine) and an
            // error log to fix the engine by.
            Err(e) if e.is_panic() => {
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
            Err(e) => return Err(ProcessError::Scratch(std::io::Error::other(e))),
        };
        Ok((verdict, Some(downloaded)))
    }

    /// The side effects after a recorded outcome: one audit event per object
    /// version (deduplicated on redelivery) and, for a rejection, removing
    /// exactly the scanned version from `incoming/` (the quarantined copy is
    /// the one kept). Deleting by version id never touches a newer upload of
    /// the same key; a plain DELETE would put a delete marker on top of it
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html).
    async fn finish(&self, document_id: &str, f: Finish<'_>) -> Result<(), ProcessError> {
        let (action, result) = match &f.reason {
            None => ("processed", "success".to_string()),
            Some(code) => ("rejected", code.clone()),
        };
        append_event(
            self.audit,
            document_id,
            NewAuditEvent::new("processor", action, result, f.detail),
            Some(&format!("{action}:{}", f.sequencer)),
        )
        .await?;
        // Accepted documents, and rejected ones kept where they were uploaded
        // (too large to copy), stay in incoming/.
        if f.reason.is_none() || f.recorded_key == f.key {
            return Ok(());
        }
        let Some(version_id) = f.version_id else {
            // Without a version id the only delete is of whatever is current,
            // which may be a newer upload: keep the original instead.
            tracing::warn!(
                document_id,
                key = f.key,
                "event without a version id: the rejected original stays in incoming/"
            );
            return Ok(());
        };
        match self.objects.delete(f.key, Some(version_id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_retryable() => Err(e.into()),
            Err(e) => {
                // The verdict stands; S3 refuses this delete for good (for
                // example a version under Object Lock retention: "you can't
                // delete a protected object version",
                // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html).
                tracing::error!(document_id, key = f.key, version_id, error = %e, "rejected original not removed");
                append_event(
                    self.audit,
                    document_id,
                    NewAuditEvent::new(
                        "processor",
                        "cleanup",
                        "failed",
                        json!({"object_key": f.key, "version_id": version_id, "error": e.to_string()}),
                    ),
                    Some(&format!("cleanup:{}", f.sequencer)),
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
        let doc = Document {
            document_id: document_id.to_string(),
            client_id: client_id.to_string(),
            status: DocumentStatus::Pending,
            filename: document_id.to_string(),
            declared_type: "application/octet-stream".to_string(),
            upload_method: UploadMethod::Presigned,
            size: 0,
            object_key: key.to_string(),
            created_at: now.clone(),
            updated_at: now,
            request_hash: None,
            sha256: None,
            detected_format: None,
            reason_code: None,
            reason_message: None,
            metadata: None,
            source_sequencer: None,
            source_version: None,
            object_version: None,
        };
        match self.documents.create(&doc).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(self.documents.get(document_id).await?.unwrap_or(doc))
    }
}
