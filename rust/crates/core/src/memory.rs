//! In-memory implementations of the ports, for unit tests and local tools.
//! They enforce the same conditions as the DynamoDB and S3 adapters.

use crate::audit::AuditEvent;
use crate::document::{Document, DocumentStatus};
use crate::error::StoreError;
use crate::keys::{ApiKeyRecord, KeyStatus};
use crate::pagination::{Page, PageToken};
use crate::ports::*;
use crate::presign::PresignedPost;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes the next `n` calls fail with a transient error, to test retries.
#[derive(Debug, Default)]
pub struct FailureInjector(AtomicUsize);

impl FailureInjector {
    pub fn fail_next(&self, n: usize) {
        self.0.store(n, Ordering::SeqCst);
    }

    fn check(&self, what: &str) -> StoreResult<()> {
        let left = self.0.load(Ordering::SeqCst);
        if left > 0 {
            self.0.store(left - 1, Ordering::SeqCst);
            return Err(StoreError::Transient(format!("injected failure in {what}")));
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct MemoryDocuments {
    pub items: Mutex<BTreeMap<String, Document>>,
    pub failures: FailureInjector,
}

impl DocumentRepository for MemoryDocuments {
    async fn get(&self, document_id: &str) -> StoreResult<Option<Document>> {
        self.failures.check("documents.get")?;
        Ok(lock(&self.items).get(document_id).cloned())
    }

    async fn create(&self, document: &Document) -> StoreResult<()> {
        self.failures.check("documents.create")?;
        let mut items = lock(&self.items);
        if items.contains_key(&document.document_id) {
            return Err(StoreError::Conflict(format!(
                "document {} exists",
                document.document_id
            )));
        }
        items.insert(document.document_id.clone(), document.clone());
        Ok(())
    }

    async fn record_outcome(&self, o: &ProcessingOutcome) -> StoreResult<OutcomeWrite> {
        self.failures.check("documents.record_outcome")?;
        let mut items = lock(&self.items);
        let Some(doc) = items.get_mut(&o.document_id) else {
            return Err(StoreError::Conflict(format!(
                "document {} does not exist",
                o.document_id
            )));
        };
        let newer_recorded = doc
            .source_sequencer
            .as_deref()
            .is_some_and(|s| s > o.sequencer.as_str());
        if newer_recorded || doc.status == DocumentStatus::Deleted {
            return Ok(OutcomeWrite::Stale);
        }
        let previous = doc.clone();
        doc.status = o.status;
        doc.size = o.size;
        doc.sha256 = Some(o.sha256.clone());
        doc.detected_format = o.detected_format.clone();
        doc.reason_code = o.reason_code.clone();
        doc.reason_message = o.reason_message.clone();
        doc.metadata = o.metadata.clone();
        doc.object_key = o.object_key.clone();
        doc.source_sequencer = Some(o.sequencer.clone());
        doc.source_version = o.version_id.clone();
        doc.updated_at = o.updated_at.clone();
        Ok(OutcomeWrite::Applied {
            previous: Box::new(previous),
        })
    }

    async fn mark_deleted(&self, document_id: &str, at: &str) -> StoreResult<Document> {
        self.failures.check("documents.mark_deleted")?;
        let mut items = lock(&self.items);
        match items.get_mut(document_id) {
            Some(doc) if doc.status != DocumentStatus::Deleted => {
                doc.status = DocumentStatus::Deleted;
                doc.updated_at = at.to_string();
                Ok(doc.clone())
            }
            _ => Err(StoreError::Conflict(format!(
                "document {document_id} is missing or deleted"
            ))),
        }
    }

    async fn list(&self, q: &ListQuery) -> StoreResult<Page<Document>> {
        self.failures.check("documents.list")?;
        let items = lock(&self.items);
        let after = q
            .start
            .as_ref()
            .and_then(|t| t.0.get("document_id").cloned());
        let mut matching = items
            .values()
            .filter(|d| q.client_id.as_ref().is_none_or(|c| &d.client_id == c))
            .filter(|d| q.status.is_none_or(|s| d.status == s))
            .filter(|d| after.as_ref().is_none_or(|a| &d.document_id > a));
        let page: Vec<Document> = matching.by_ref().take(q.limit as usize).cloned().collect();
        let next = match (matching.next(), page.last()) {
            (Some(_), Some(last)) => Some(PageToken(BTreeMap::from([(
                "document_id".to_string(),
                last.document_id.clone(),
            )]))),
            _ => None,
        };
        Ok(Page { items: page, next })
    }
}

#[derive(Debug, Default)]
pub struct MemoryAudit {
    pub events: Mutex<BTreeMap<(String, u64), AuditEvent>>,
    pub failures: FailureInjector,
}

impl AuditRepository for MemoryAudit {
    async fn trail(&self, document_id: &str) -> StoreResult<Vec<AuditEvent>> {
        self.failures.check("audit.trail")?;
        Ok(lock(&self.events)
            .values()
            .filter(|e| e.document_id == document_id)
            .cloned()
            .collect())
    }

    async fn put(&self, event: &AuditEvent) -> StoreResult<()> {
        self.failures.check("audit.put")?;
        let mut events = lock(&self.events);
        let key = (event.document_id.clone(), event.seq);
        if events.contains_key(&key) {
            return Err(StoreError::Conflict(format!(
                "audit event {} #{} exists",
                key.0, key.1
            )));
        }
        events.insert(key, event.clone());
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct MemoryKeys {
    pub items: Mutex<BTreeMap<String, ApiKeyRecord>>,
    pub failures: FailureInjector,
}

impl KeyRepository for MemoryKeys {
    async fn get(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.failures.check("keys.get")?;
        Ok(lock(&self.items).get(key_hash).cloned())
    }

    async fn create(&self, record: &ApiKeyRecord) -> StoreResult<()> {
        let mut items = lock(&self.items);
        if items.contains_key(&record.key_hash) {
            return Err(StoreError::Conflict("key exists".into()));
        }
        items.insert(record.key_hash.clone(), record.clone());
        Ok(())
    }

    async fn list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        Ok(lock(&self.items).values().cloned().collect())
    }

    async fn set_status(&self, key_hash: &str, status: KeyStatus) -> StoreResult<()> {
        let mut items = lock(&self.items);
        let rec = items
            .get_mut(key_hash)
            .ok_or_else(|| StoreError::Conflict("no such key".into()))?;
        rec.status = status;
        Ok(())
    }

    async fn set_expiry(&self, key_hash: &str, expires_at: &str) -> StoreResult<()> {
        let mut items = lock(&self.items);
        let rec = items
            .get_mut(key_hash)
            .ok_or_else(|| StoreError::Conflict("no such key".into()))?;
        rec.expires_at = Some(expires_at.to_string());
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub body: Vec<u8>,
    pub metadata: ObjectMetadata,
}

#[derive(Debug, Default)]
pub struct MemoryObjects {
    pub objects: Mutex<BTreeMap<String, StoredObject>>,
    pub failures: FailureInjector,
}

impl ObjectStore for MemoryObjects {
    async fn put(&self, key: &str, body: Vec<u8>, metadata: &ObjectMetadata) -> StoreResult<()> {
        self.failures.check("objects.put")?;
        lock(&self.objects).insert(
            key.to_string(),
            StoredObject {
                body,
                metadata: metadata.clone(),
            },
        );
        Ok(())
    }

    async fn download(
        &self,
        key: &str,
        _version: Option<&str>,
        dest: &Path,
        max_bytes: u64,
    ) -> StoreResult<DownloadedObject> {
        self.failures.check("objects.download")?;
        let body = lock(&self.objects)
            .get(key)
            .map(|o| o.body.clone())
            .ok_or_else(|| StoreError::Permanent(format!("no object at {key}")))?;
        if body.len() as u64 > max_bytes {
            return Err(StoreError::Permanent(format!(
                "object exceeds {max_bytes} bytes"
            )));
        }
        std::fs::write(dest, &body).map_err(|e| StoreError::Transient(e.to_string()))?;
        Ok(DownloadedObject {
            size: body.len() as u64,
            sha256: hex::encode(Sha256::digest(&body)),
        })
    }

    async fn copy(
        &self,
        from_key: &str,
        _from_version: Option<&str>,
        to_key: &str,
    ) -> StoreResult<()> {
        self.failures.check("objects.copy")?;
        let mut objects = lock(&self.objects);
        let obj = objects
            .get(from_key)
            .cloned()
            .ok_or_else(|| StoreError::Permanent(format!("no object at {from_key}")))?;
        objects.insert(to_key.to_string(), obj);
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.failures.check("objects.delete")?;
        lock(&self.objects).remove(key);
        Ok(())
    }

    async fn presign_get(&self, key: &str, expires_in: Duration) -> StoreResult<String> {
        Ok(format!(
            "memory://bucket/{key}?expires={}",
            expires_in.as_secs()
        ))
    }

    async fn presign_post(
        &self,
        key: &str,
        max_size: u64,
        expires_in: Duration,
        metadata: &BTreeMap<String, String>,
    ) -> StoreResult<PresignedPost> {
        let mut fields: BTreeMap<String, String> = metadata
            .iter()
            .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone()))
            .collect();
        fields.insert("key".into(), key.into());
        fields.insert("content-length-range".into(), format!("1,{max_size}"));
        Ok(PresignedPost {
            url: "memory://bucket/".into(),
            fields,
            expires_at: format!("+{}s", expires_in.as_secs()),
        })
    }
}

#[derive(Debug, Default)]
pub struct MemoryPublisher {
    pub published: Mutex<Vec<StatusChange>>,
    pub failures: FailureInjector,
}

impl Publisher for MemoryPublisher {
    async fn publish(&self, change: &StatusChange) -> StoreResult<()> {
        self.failures.check("publisher.publish")?;
        lock(&self.published).push(change.clone());
        Ok(())
    }
}
