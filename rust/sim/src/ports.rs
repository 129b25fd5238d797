//! The in-memory ports, each call behind a scheduling point, and a bucket
//! that emits S3 event notifications for new versions under `incoming/`.

use crate::sched::Sched;
use docproc_core::audit::{AuditEvent, AuditHead};
use docproc_core::document::Document;
use docproc_core::memory::{MemoryAudit, MemoryDocuments, MemoryObjects, MemoryPublisher};
use docproc_core::pagination::Page;
use docproc_core::ports::*;
use docproc_core::presign::PresignedPost;
use docproc_core::s3key::INCOMING_PREFIX;
use docproc_processor::ObjectVersion;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The documents bucket: versions in memory, and the event notifications S3
/// sends for `ObjectCreated` under `incoming/` (the only prefix the
/// notification is configured for), each with a sequencer that grows with
/// every write.
#[derive(Debug, Default)]
pub struct Bucket {
    pub objects: MemoryObjects,
    pub events: Mutex<Vec<ObjectVersion>>,
    sequencer: AtomicU64,
    /// Every version ever written: key, version id, bytes.
    log: Mutex<Vec<(String, String, Vec<u8>)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Bucket {
    /// A client's upload that reaches S3 directly (a presigned POST).
    pub fn post(&self, key: &str, body: Vec<u8>, uploader: &str) -> String {
        let version = self.objects.put_version(
            key,
            Some(docproc_core::memory::StoredObject {
                body: body.clone(),
                metadata: ObjectMetadata::default(),
            }),
        );
        self.created(key, &version, body, uploader);
        version
    }

    /// The versions ever written under `key`, oldest first, with their bytes.
    pub fn uploaded(&self, key: &str) -> Vec<(String, Vec<u8>)> {
        lock(&self.log)
            .iter()
            .filter(|(k, _, _)| k == key)
            .map(|(_, v, b)| (v.clone(), b.clone()))
            .collect()
    }

    /// The object versions stored under `key` now, oldest first.
    pub fn live_versions(&self, key: &str) -> Vec<String> {
        self.all_versions()
            .into_iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v)
            .collect()
    }

    /// Every object version stored now (delete markers left out).
    pub fn all_versions(&self) -> Vec<(String, String)> {
        lock(&self.objects.versions)
            .iter()
            .flat_map(|(k, list)| {
                list.iter()
                    .filter(|v| v.object.is_some())
                    .map(move |v| (k.clone(), v.version_id.clone()))
            })
            .collect()
    }

    fn created(&self, key: &str, version: &str, body: Vec<u8>, uploader: &str) {
        lock(&self.log).push((key.to_string(), version.to_string(), body));
        if key.starts_with(INCOMING_PREFIX) {
            let sequencer = self.sequencer.fetch_add(1, Ordering::SeqCst) + 1;
            lock(&self.events).push(ObjectVersion {
                key: key.to_string(),
                version_id: Some(version.to_string()),
                sequencer: format!("{sequencer:016X}"),
                uploader: Some(uploader.to_string()),
            });
        }
    }
}

/// A port whose every call first passes the scheduler's point.
pub struct Gated<'a, T> {
    pub inner: &'a T,
    pub sched: &'a Sched,
}

impl<T> Clone for Gated<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Gated<'_, T> {}

impl DocumentRepository for Gated<'_, MemoryDocuments> {
    async fn get(&self, id: &str) -> StoreResult<Option<Document>> {
        self.sched.point("documents.get").await?;
        self.inner.get(id).await
    }
    async fn create(&self, d: &Document) -> StoreResult<()> {
        self.sched.point("documents.create").await?;
        self.inner.create(d).await
    }
    async fn record_outcome(&self, o: &ProcessingOutcome) -> StoreResult<OutcomeWrite> {
        self.sched.point("documents.record_outcome").await?;
        self.inner.record_outcome(o).await
    }
    async fn record_refusal(&self, id: &str, version: &str) -> StoreResult<bool> {
        self.sched.point("documents.record_refusal").await?;
        self.inner.record_refusal(id, version).await
    }
    async fn mark_deleted(&self, id: &str, at: &str) -> StoreResult<Document> {
        self.sched.point("documents.mark_deleted").await?;
        self.inner.mark_deleted(id, at).await
    }
    async fn list(&self, q: &ListQuery) -> StoreResult<Page<Document>> {
        self.sched.point("documents.list").await?;
        self.inner.list(q).await
    }
}

impl AuditRepository for Gated<'_, MemoryAudit> {
    async fn trail(&self, id: &str) -> StoreResult<Vec<AuditEvent>> {
        self.sched.point("audit.trail").await?;
        self.inner.trail(id).await
    }
    async fn page(&self, id: &str, after: u64, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        self.sched.point("audit.page").await?;
        self.inner.page(id, after, limit).await
    }
    async fn head(&self, id: &str) -> StoreResult<Option<AuditHead>> {
        self.sched.point("audit.head").await?;
        self.inner.head(id).await
    }
    async fn append(&self, e: &AuditEvent, dedupe: Option<&str>) -> StoreResult<Appended> {
        self.sched.point("audit.append").await?;
        self.inner.append(e, dedupe).await
    }
}

impl ObjectStore for Gated<'_, Bucket> {
    async fn put(&self, key: &str, body: Vec<u8>, m: &ObjectMetadata) -> StoreResult<()> {
        self.sched.point("objects.put").await?;
        self.inner.objects.put(key, body.clone(), m).await?;
        let version = self
            .inner
            .objects
            .current_version_id(key)
            .unwrap_or_default();
        self.inner.created(key, &version, body, "docproc-api");
        Ok(())
    }
    async fn download(
        &self,
        key: &str,
        version: Option<&str>,
        dest: &Path,
        max: u64,
    ) -> StoreResult<DownloadedObject> {
        self.sched.point("objects.download").await?;
        self.inner.objects.download(key, version, dest, max).await
    }
    async fn copy(
        &self,
        from: &str,
        version: Option<&str>,
        to: &str,
    ) -> StoreResult<Option<String>> {
        self.sched.point("objects.copy").await?;
        let copy = self.inner.objects.copy(from, version, to).await?;
        if let Some(v) = &copy {
            let body = self
                .inner
                .objects
                .get(to, Some(v))
                .map(|o| o.body)
                .unwrap_or_default();
            self.inner.created(to, v, body, "docproc-processor");
        }
        Ok(copy)
    }
    async fn delete(&self, key: &str, version: Option<&str>) -> StoreResult<()> {
        self.sched.point("objects.delete").await?;
        self.inner.objects.delete(key, version).await
    }
    async fn versions(&self, key: &str) -> StoreResult<Vec<VersionRef>> {
        self.sched.point("objects.versions").await?;
        self.inner.objects.versions(key).await
    }
    async fn presign_get(
        &self,
        key: &str,
        version: Option<&str>,
        expires: Duration,
    ) -> StoreResult<String> {
        self.sched.point("objects.presign_get").await?;
        self.inner.objects.presign_get(key, version, expires).await
    }
    async fn presign_post(
        &self,
        key: &str,
        max_size: u64,
        expires: Duration,
        metadata: &BTreeMap<String, String>,
        md5: Option<&str>,
    ) -> StoreResult<PresignedPost> {
        self.sched.point("objects.presign_post").await?;
        self.inner
            .objects
            .presign_post(key, max_size, expires, metadata, md5)
            .await
    }
}

impl Publisher for Gated<'_, MemoryPublisher> {
    async fn publish(&self, change: &StatusChange) -> StoreResult<()> {
        self.sched.point("publisher.publish").await?;
        self.inner.publish(change).await
    }
}
