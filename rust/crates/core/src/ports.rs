//! Storage and messaging ports. The Lambda handlers depend on these traits;
//! `docproc-aws` implements them with the AWS SDK and `memory` in process.

use crate::audit::{AuditEvent, AuditHead};
use crate::document::{Document, DocumentStatus};
use crate::error::StoreError;
use crate::keys::{ApiKeyRecord, KeyStatus};
use crate::pagination::{Page, PageToken};
use crate::presign::PresignedPost;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// `None` lists every client's documents (admin only).
    pub client_id: Option<String>,
    pub status: Option<DocumentStatus>,
    pub limit: u32,
    pub start: Option<PageToken>,
}

/// The processor's verdict for one object version.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessingOutcome {
    pub document_id: String,
    pub status: DocumentStatus,
    pub size: u64,
    /// None when the object was never read (larger than the processor takes).
    pub sha256: Option<String>,
    pub detected_format: Option<String>,
    pub reason_code: Option<String>,
    pub reason_message: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub object_key: String,
    pub sequencer: String,
    /// Version id of the scanned upload (from the event).
    pub version_id: Option<String>,
    /// Version id of the object at `object_key`: the scanned upload when
    /// processed, the quarantined copy when rejected.
    pub object_version: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OutcomeWrite {
    /// The outcome was recorded; carries the record as it was before.
    Applied { previous: Box<Document> },
    /// The document is no longer PENDING: another delivery recorded its
    /// verdict first, or it was deleted. A verdict is final.
    Stale,
}

pub trait DocumentRepository: Send + Sync {
    fn get(&self, document_id: &str) -> impl Future<Output = StoreResult<Option<Document>>> + Send;
    /// Creates the record; `Conflict` if the id exists.
    fn create(&self, document: &Document) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records a processing outcome only while the document is PENDING, so
    /// that exactly one delivery judges it, whatever runs concurrently.
    fn record_outcome(
        &self,
        outcome: &ProcessingOutcome,
    ) -> impl Future<Output = StoreResult<OutcomeWrite>> + Send;
    /// Adds `version_id` to the document's refused versions. True when it was
    /// added by this call; false when it was listed already (a redelivery),
    /// the list is full, or the document does not exist. Only a write that
    /// adds an id changes the item, so the stream carries one record per
    /// refused version.
    fn record_refusal(
        &self,
        document_id: &str,
        version_id: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Logical delete; `Conflict` if missing or already deleted.
    fn mark_deleted(
        &self,
        document_id: &str,
        at: &str,
    ) -> impl Future<Output = StoreResult<Document>> + Send;
    fn list(&self, query: &ListQuery) -> impl Future<Output = StoreResult<Page<Document>>> + Send;
}

/// What an append did: stored the event, or found the dedupe key already
/// used by an earlier event (returned instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    Stored,
    Duplicate(AuditEvent),
}

pub trait AuditRepository: Send + Sync {
    /// The whole trail, ordered by sequence number.
    fn trail(&self, document_id: &str)
        -> impl Future<Output = StoreResult<Vec<AuditEvent>>> + Send;
    /// At most `limit` events with a sequence number above `after`, in order.
    fn page(
        &self,
        document_id: &str,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<AuditEvent>>> + Send;
    /// The trail's anchor: sequence number and hash of its last event.
    fn head(
        &self,
        document_id: &str,
    ) -> impl Future<Output = StoreResult<Option<AuditHead>>> + Send;
    /// Atomically stores the event, moves the anchor to it (only from the
    /// event's predecessor: `Conflict` when another writer got there first)
    /// and, with `dedupe`, claims that key for it.
    fn append(
        &self,
        event: &AuditEvent,
        dedupe: Option<&str>,
    ) -> impl Future<Output = StoreResult<Appended>> + Send;
}

/// What a permissions-table lookup found. A row that exists but cannot be
/// read as a key record is `Malformed`, not a storage failure: the caller
/// must deny it (retrying cannot fix it), whereas a `StoreError` means the
/// store could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    Missing,
    Found(ApiKeyRecord),
    /// The row's problem, for logs (names the attribute, never its value).
    Malformed(String),
}

pub trait KeyRepository: Send + Sync {
    fn get(&self, key_hash: &str)
        -> impl Future<Output = StoreResult<Option<ApiKeyRecord>>> + Send;
    /// Like `get`, but tells a malformed row apart from a storage failure.
    /// The default cannot (it only sees `get`'s result); adapters that can
    /// detect malformed rows override it.
    fn lookup(&self, key_hash: &str) -> impl Future<Output = StoreResult<KeyLookup>> + Send {
        async move {
            Ok(match self.get(key_hash).await? {
                Some(record) => KeyLookup::Found(record),
                None => KeyLookup::Missing,
            })
        }
    }
    /// Creates the record; `Conflict` if the hash exists.
    fn create(&self, record: &ApiKeyRecord) -> impl Future<Output = StoreResult<()>> + Send;
    fn list(&self) -> impl Future<Output = StoreResult<Vec<ApiKeyRecord>>> + Send;
    fn set_status(
        &self,
        key_hash: &str,
        status: KeyStatus,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn set_expiry(
        &self,
        key_hash: &str,
        expires_at: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectMetadata {
    pub content_type: String,
    /// Stored as `x-amz-meta-*`.
    pub user: BTreeMap<String, String>,
}

/// Response headers a presigned GET makes S3 send instead of the stored ones
/// (`response-content-disposition`, `response-content-type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHeaders {
    pub content_disposition: String,
    pub content_type: String,
}

/// One stored object version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionRef {
    pub key: String,
    pub version_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedObject {
    pub size: u64,
    pub sha256: String,
}

/// Object access. Wherever one exact object version is meant, the version id
/// is passed: in a versioning-enabled bucket a GET, COPY or DELETE without one
/// acts on whatever is current, which may be a newer upload of the same key.
/// `None` means the current version (or a bucket without versioning).
pub trait ObjectStore: Send + Sync {
    /// Stores bytes under `key`, encrypted with the bucket's KMS key, with an
    /// integrity checksum S3 verifies (and Object Lock requires).
    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        metadata: &ObjectMetadata,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Streams one object version into `dest`, hashing on the way; never
    /// buffers the whole object. Refuses objects larger than `max_bytes`.
    fn download(
        &self,
        key: &str,
        version_id: Option<&str>,
        dest: &Path,
        max_bytes: u64,
    ) -> impl Future<Output = StoreResult<DownloadedObject>> + Send;
    /// Copies one object version to `to_key`; returns the version id of the
    /// copy (`None` when the bucket is not versioned).
    fn copy(
        &self,
        from_key: &str,
        from_version: Option<&str>,
        to_key: &str,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// With a version id, permanently removes exactly that version and
    /// nothing else; without one, a versioned bucket only adds a delete
    /// marker, which hides whatever version is current.
    fn delete(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The object versions stored under keys that start with `prefix` (not
    /// delete markers), by key, each key's versions oldest first.
    fn versions(&self, prefix: &str) -> impl Future<Output = StoreResult<Vec<VersionRef>>> + Send;
    /// A presigned GET for one object version.
    fn presign_get(
        &self,
        key: &str,
        version_id: Option<&str>,
        expires_in: Duration,
    ) -> impl Future<Output = StoreResult<String>> + Send;
    /// A presigned GET for one object version whose response carries
    /// `headers` instead of the object's stored Content-Type and
    /// Content-Disposition. The default appends them to `presign_get`'s URL
    /// as query parameters, which is only right for a store whose URLs are
    /// not signed over the query (the in-memory store): a store that signs
    /// its URLs must override it so the overrides are part of the signature.
    fn presign_download(
        &self,
        key: &str,
        version_id: Option<&str>,
        expires_in: Duration,
        headers: &ResponseHeaders,
    ) -> impl Future<Output = StoreResult<String>> + Send {
        async move {
            let url = self.presign_get(key, version_id, expires_in).await?;
            let enc = |v: &str| {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            Ok(format!(
                "{url}{sep}response-content-disposition={}&response-content-type={}",
                enc(&headers.content_disposition),
                enc(&headers.content_type)
            ))
        }
    }
    /// A presigned POST for exactly `key`. With `content_md5` (base64 of the
    /// 16-byte MD5 digest of the file), the form carries it and the policy
    /// pins it, so S3 only accepts those bytes.
    fn presign_post(
        &self,
        key: &str,
        max_size: u64,
        expires_in: Duration,
        metadata: &BTreeMap<String, String>,
        content_md5: Option<&str>,
    ) -> impl Future<Output = StoreResult<PresignedPost>> + Send;
}

/// One published change of a document: its status changed, or (with
/// `refused_version`) an upload under its key was refused and its status
/// stayed what it was.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StatusChange {
    pub document_id: String,
    pub client_id: String,
    pub old_status: Option<DocumentStatus>,
    pub new_status: DocumentStatus,
    pub reason_code: Option<String>,
    pub reason_message: Option<String>,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_version: Option<String>,
}

impl StatusChange {
    /// The SNS `event_type` attribute subscribers filter on.
    pub fn event_type(&self) -> &'static str {
        if self.refused_version.is_some() {
            "document.overwrite_refused"
        } else {
            "document.status_changed"
        }
    }
}

pub trait Publisher: Send + Sync {
    fn publish(&self, change: &StatusChange) -> impl Future<Output = StoreResult<()>> + Send;
}
