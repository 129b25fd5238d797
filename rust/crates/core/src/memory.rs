//! In-memory implementations of the ports, for unit tests and local tools.
//! They enforce the same conditions as the DynamoDB and S3 adapters.

use crate::audit::{AuditEvent, AuditHead};
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

/// One change of an item, as a `NEW_AND_OLD_IMAGES` stream carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub old: Option<Document>,
    pub new: Document,
}

#[derive(Debug, Default)]
pub struct MemoryDocuments {
    pub items: Mutex<BTreeMap<String, Document>>,
    /// Every write that changed an item, in order. Like DynamoDB Streams, a
    /// write that changes nothing leaves no record.
    pub stream: Mutex<Vec<ItemChange>>,
    pub failures: FailureInjector,
}

impl MemoryDocuments {
    fn changed(&self, old: Option<Document>, new: &Document) {
        if old.as_ref() != Some(new) {
            lock(&self.stream).push(ItemChange {
                old,
                new: new.clone(),
            });
        }
    }
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
        self.changed(None, document);
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
        if doc.status != DocumentStatus::Pending {
            return Ok(OutcomeWrite::Stale);
        }
        let previous = doc.clone();
        doc.status = o.status;
        doc.size = o.size;
        doc.sha256 = o.sha256.clone();
        doc.detected_format = o.detected_format.clone();
        doc.reason_code = o.reason_code.clone();
        doc.reason_message = o.reason_message.clone();
        doc.metadata = o.metadata.clone();
        doc.object_key = o.object_key.clone();
        doc.source_sequencer = Some(o.sequencer.clone());
        doc.source_version = o.version_id.clone();
        doc.object_version = o.object_version.clone();
        doc.updated_at = o.updated_at.clone();
        let new = doc.clone();
        self.changed(Some(previous.clone()), &new);
        Ok(OutcomeWrite::Applied {
            previous: Box::new(previous),
        })
    }

    async fn record_refusal(&self, document_id: &str, version_id: &str) -> StoreResult<bool> {
        self.failures.check("documents.record_refusal")?;
        let mut items = lock(&self.items);
        let Some(doc) = items.get_mut(document_id) else {
            return Ok(false);
        };
        if doc.refused_versions.len() >= crate::document::MAX_REFUSED_VERSIONS
            || doc.refused_versions.contains(version_id)
        {
            return Ok(false);
        }
        let previous = doc.clone();
        doc.refused_versions.insert(version_id.to_string());
        let new = doc.clone();
        self.changed(Some(previous), &new);
        Ok(true)
    }

    async fn mark_deleted(&self, document_id: &str, at: &str) -> StoreResult<Document> {
        self.failures.check("documents.mark_deleted")?;
        let mut items = lock(&self.items);
        match items.get_mut(document_id) {
            Some(doc) if doc.status != DocumentStatus::Deleted => {
                let previous = doc.clone();
                doc.status = DocumentStatus::Deleted;
                doc.updated_at = at.to_string();
                let new = doc.clone();
                self.changed(Some(previous), &new);
                Ok(new)
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
    pub heads: Mutex<BTreeMap<String, AuditHead>>,
    /// (document id, dedupe key) -> sequence number of the event that claimed it.
    pub dedupe: Mutex<BTreeMap<(String, String), u64>>,
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

    async fn page(
        &self,
        document_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.failures.check("audit.trail")?;
        Ok(lock(&self.events)
            .values()
            .filter(|e| e.document_id == document_id && e.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn head(&self, document_id: &str) -> StoreResult<Option<AuditHead>> {
        self.failures.check("audit.head")?;
        Ok(lock(&self.heads).get(document_id).cloned())
    }

    async fn append(&self, event: &AuditEvent, dedupe: Option<&str>) -> StoreResult<Appended> {
        self.failures.check("audit.put")?;
        // One lock order (events, heads, dedupe) keeps the three writes atomic.
        let mut events = lock(&self.events);
        let mut heads = lock(&self.heads);
        let mut claims = lock(&self.dedupe);
        let doc = event.document_id.clone();
        if let Some(d) = dedupe {
            if let Some(seq) = claims.get(&(doc.clone(), d.to_string())) {
                let existing = events.get(&(doc.clone(), *seq)).cloned().ok_or_else(|| {
                    StoreError::Permanent(format!("dedupe key {d} names a missing event"))
                })?;
                return Ok(Appended::Duplicate(existing));
            }
        }
        let expected_previous = heads.get(&doc).map_or(0, |h| h.seq);
        if event.seq != expected_previous + 1 || events.contains_key(&(doc.clone(), event.seq)) {
            return Err(StoreError::Conflict(format!(
                "audit trail {doc} moved past #{expected_previous}"
            )));
        }
        events.insert((doc.clone(), event.seq), event.clone());
        heads.insert(doc.clone(), AuditHead::of(event));
        if let Some(d) = dedupe {
            claims.insert((doc, d.to_string()), event.seq);
        }
        Ok(Appended::Stored)
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

/// One version of a key: an object, or a delete marker (`object: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub version_id: String,
    pub object: Option<StoredObject>,
}

/// A versioning-enabled bucket, as S3 documents it
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html>,
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/RetrievingObjectVersions.html>):
/// every write adds a version that becomes current; a GET without a version id
/// reads the current version (404 when it is a delete marker), with one reads
/// exactly that version; "a simple DELETE cannot permanently delete an object.
/// Instead, Amazon S3 inserts a delete marker"; "to delete versioned objects
/// permanently, you must use DELETE Object versionId".
#[derive(Debug, Default)]
pub struct MemoryObjects {
    /// Every key's versions, oldest first.
    pub versions: Mutex<BTreeMap<String, Vec<StoredVersion>>>,
    next_version: AtomicUsize,
    /// Version ids under Object Lock retention in compliance mode: deleting
    /// them is refused ("you can't delete a protected object version"), a
    /// delete marker is not
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html).
    pub retained: Mutex<std::collections::BTreeSet<String>>,
    /// Default retention in governance mode: every new version is protected,
    /// and deleting one is refused unless the request bypasses governance
    /// retention (`bypass_governance`), which needs
    /// `s3:BypassGovernanceRetention` (object-lock-managing.html).
    pub governance_default: std::sync::atomic::AtomicBool,
    governance_retained: Mutex<std::collections::BTreeSet<String>>,
    /// This client sends `x-amz-bypass-governance-retention: true` on deletes.
    pub bypass_governance: std::sync::atomic::AtomicBool,
    pub failures: FailureInjector,
    /// Fails only deletes (transiently), after `failures` passed.
    pub delete_failures: FailureInjector,
}

impl MemoryObjects {
    /// Adds a version under `key` (made current) and returns its id: `v1`, `v2`, …
    pub fn put_version(&self, key: &str, object: Option<StoredObject>) -> String {
        let version_id = format!("v{}", self.next_version.fetch_add(1, Ordering::SeqCst) + 1);
        if object.is_some() && self.governance_default.load(Ordering::SeqCst) {
            lock(&self.governance_retained).insert(version_id.clone());
        }
        lock(&self.versions)
            .entry(key.to_string())
            .or_default()
            .push(StoredVersion {
                version_id: version_id.clone(),
                object,
            });
        version_id
    }

    /// What a GET of `key` (and `version_id`, if any) returns.
    pub fn get(&self, key: &str, version_id: Option<&str>) -> Option<StoredObject> {
        let versions = lock(&self.versions);
        let list = versions.get(key)?;
        let version = match version_id {
            Some(id) => list.iter().find(|v| v.version_id == id)?,
            None => list.last()?,
        };
        version.object.clone()
    }

    /// The id of the current version of `key` (possibly a delete marker).
    pub fn current_version_id(&self, key: &str) -> Option<String> {
        lock(&self.versions)
            .get(key)
            .and_then(|l| l.last())
            .map(|v| v.version_id.clone())
    }

    /// Keys whose current version is an object (what a plain listing shows).
    pub fn live_keys(&self) -> Vec<String> {
        lock(&self.versions)
            .iter()
            .filter(|(_, l)| l.last().is_some_and(|v| v.object.is_some()))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

impl ObjectStore for MemoryObjects {
    async fn put(&self, key: &str, body: Vec<u8>, metadata: &ObjectMetadata) -> StoreResult<()> {
        self.failures.check("objects.put")?;
        self.put_version(
            key,
            Some(StoredObject {
                body,
                metadata: metadata.clone(),
            }),
        );
        Ok(())
    }

    async fn download(
        &self,
        key: &str,
        version_id: Option<&str>,
        dest: &Path,
        max_bytes: u64,
    ) -> StoreResult<DownloadedObject> {
        self.failures.check("objects.download")?;
        let body = self
            .get(key, version_id)
            .map(|o| o.body)
            .ok_or_else(|| StoreError::Permanent(format!("no object at {key} {version_id:?}")))?;
        if body.len() as u64 > max_bytes {
            return Err(StoreError::TooLarge { limit: max_bytes });
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
        from_version: Option<&str>,
        to_key: &str,
    ) -> StoreResult<Option<String>> {
        self.failures.check("objects.copy")?;
        let obj = self
            .get(from_key, from_version)
            .ok_or_else(|| StoreError::Permanent(format!("no object at {from_key}")))?;
        Ok(Some(self.put_version(to_key, Some(obj))))
    }

    async fn delete(&self, key: &str, version_id: Option<&str>) -> StoreResult<()> {
        self.failures.check("objects.delete")?;
        self.delete_failures.check("objects.delete")?;
        match version_id {
            Some(id)
                if lock(&self.retained).contains(id)
                    || (lock(&self.governance_retained).contains(id)
                        && !self.bypass_governance.load(Ordering::SeqCst)) =>
            {
                return Err(StoreError::Permanent(format!(
                    "AccessDenied: {key} version {id} is protected by Object Lock"
                )))
            }
            Some(id) => {
                if let Some(list) = lock(&self.versions).get_mut(key) {
                    list.retain(|v| v.version_id != id);
                }
            }
            None => {
                self.put_version(key, None);
            }
        }
        Ok(())
    }

    async fn versions(&self, prefix: &str) -> StoreResult<Vec<VersionRef>> {
        self.failures.check("objects.versions")?;
        Ok(lock(&self.versions)
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .flat_map(|(key, list)| {
                list.iter()
                    .filter(|v| v.object.is_some())
                    .map(move |v| VersionRef {
                        key: key.clone(),
                        version_id: v.version_id.clone(),
                    })
            })
            .collect())
    }

    async fn presign_get(
        &self,
        key: &str,
        version_id: Option<&str>,
        expires_in: Duration,
    ) -> StoreResult<String> {
        self.failures.check("objects.presign_get")?;
        let version = version_id
            .map(|v| format!("versionId={v}&"))
            .unwrap_or_default();
        Ok(format!(
            "memory://bucket/{key}?{version}expires={}",
            expires_in.as_secs()
        ))
    }

    async fn presign_post(
        &self,
        key: &str,
        max_size: u64,
        expires_in: Duration,
        metadata: &BTreeMap<String, String>,
        content_md5: Option<&str>,
    ) -> StoreResult<PresignedPost> {
        self.failures.check("objects.presign_post")?;
        let mut fields: BTreeMap<String, String> = metadata
            .iter()
            .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone()))
            .collect();
        fields.insert("key".into(), key.into());
        fields.insert("content-length-range".into(), format!("1,{max_size}"));
        if let Some(md5) = content_md5 {
            fields.insert(crate::presign::CONTENT_MD5_FIELD.into(), md5.into());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-memory futures never wait: one poll completes them.
    fn now<F: std::future::Future>(f: F) -> F::Output {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(f).poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => unreachable!("in-memory stores never wait"),
        }
    }

    fn obj(body: &[u8]) -> StoredObject {
        StoredObject {
            body: body.to_vec(),
            metadata: ObjectMetadata::default(),
        }
    }

    /// The fake follows S3's documented versioning semantics, which the
    /// handler tests rely on (DeletingObjectVersions.html).
    #[test]
    fn deletes_follow_s3_versioning() {
        let s3 = MemoryObjects::default();
        let v1 = s3.put_version("k", Some(obj(b"one")));
        let v2 = s3.put_version("k", Some(obj(b"two")));
        // DELETE with a version id removes exactly that version.
        now(s3.delete("k", Some(&v1))).unwrap();
        assert_eq!(s3.get("k", None), Some(obj(b"two")));
        assert_eq!(s3.get("k", Some(&v1)), None);
        // A simple DELETE adds a delete marker: GET finds nothing, the
        // version is still there.
        now(s3.delete("k", None)).unwrap();
        assert_eq!(s3.get("k", None), None);
        assert_eq!(s3.get("k", Some(&v2)), Some(obj(b"two")));
        assert!(s3.live_keys().is_empty());
    }
}
