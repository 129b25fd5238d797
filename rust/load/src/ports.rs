//! How a run reaches the platform: small traits the CLI implements over
//! HTTP and the AWS SDK, and the tests over an in-memory fake. Nothing here
//! depends on the rest of the crate.

use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// An HTTP answer: status and body. A transport failure is an `Err(String)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

pub type HttpResult = Result<Answer, String>;

/// The REST API, with the run's key, and the presigned S3 POST.
pub trait LoadApi: Send + Sync + 'static {
    /// `POST <api><path>` with a JSON body.
    /// `POST <api><path>` with a JSON body and an `Idempotency-Key`: a retry
    /// after a timeout or a lost answer finds the document the first try made.
    fn post_json(
        &self,
        path: &str,
        body: &Value,
        idempotency_key: &str,
    ) -> impl Future<Output = HttpResult> + Send;
    /// `GET <api><path>`.
    fn get(&self, path: &str) -> impl Future<Output = HttpResult> + Send;
    /// `GET <api><path>` with another API key.
    fn get_with_key(&self, path: &str, key: &str) -> impl Future<Output = HttpResult> + Send;
    /// The run's own key.
    fn key(&self) -> &str;
    /// A multipart/form-data POST to `url`: `fields` in order, then the file.
    fn post_form(
        &self,
        url: &str,
        fields: &[(String, String)],
        file: Arc<Vec<u8>>,
    ) -> impl Future<Output = HttpResult> + Send;
}

/// A presigned POST's multipart/form-data body and its content type: the
/// policy's fields in order, then the file, which S3 requires to be the last
/// field of the form.
pub fn form_body(fields: &[(String, String)], file: &[u8]) -> (String, Vec<u8>) {
    // Random-looking and long enough never to occur in the fields; a file
    // containing it still parses, as its part is last and delimited by length.
    let boundary = "docproc-load-7f3a91c2e6b4d05e";
    let mut body = Vec::with_capacity(file.len() + 4096);
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// One status change published on the status topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The id of the queue message that carried it: standard SQS queues
    /// deliver at least once, so a copy with the same id is not a second
    /// notification.
    pub message_id: String,
    pub document_id: String,
    pub status: String,
    pub reason_code: Option<String>,
    /// Set on a refused upload (`event_type` `document.overwrite_refused`):
    /// the document's status did not change.
    pub refused_version: Option<String>,
}

/// Reads a status change from an SQS message body. SNS wraps the published
/// message in a JSON envelope (`Type` "Notification", the message in
/// `Message`) whose `MessageId` is the publish's: SNS and SQS both deliver at
/// least once, and every copy of one publish carries that id. A raw body
/// (raw message delivery) has only the SQS message's id to go by.
pub fn status_change_of(sqs_message_id: &str, body: &str) -> Option<StatusChange> {
    let body: Value = serde_json::from_str(body).ok()?;
    let (change, message_id) = match body["Message"].as_str() {
        Some(inner) if body["Type"] == "Notification" => (
            serde_json::from_str::<Value>(inner).ok()?,
            body["MessageId"]
                .as_str()
                .unwrap_or(sqs_message_id)
                .to_string(),
        ),
        _ => (body, sqs_message_id.to_string()),
    };
    Some(StatusChange {
        refused_version: change["refused_version"].as_str().map(str::to_string),
        message_id,
        document_id: change["document_id"].as_str()?.to_string(),
        status: change["new_status"].as_str()?.to_string(),
        reason_code: change["reason_code"].as_str().map(str::to_string),
    })
}

/// The status topic, as the run sees it (an SQS queue subscribed to it).
pub trait StatusFeed: Send + Sync + 'static {
    /// The changes that arrived since the last call; waits about a second when there are none.
    fn receive(&self) -> impl Future<Output = Result<Vec<StatusChange>, String>> + Send;
}

/// One version of a document's object, as the platform knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    /// The key as stored (not yet event-encoded).
    pub key: String,
    /// `None` in a bucket without versioning.
    pub version_id: Option<String>,
    /// The sequencer S3 sent with this version's event, where the documents
    /// table recorded it (the judged version); `None` for any other.
    pub sequencer: Option<String>,
}

/// An `ObjectCreated` event as S3 would send it for one object version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// The key as stored (not yet event-encoded).
    pub key: String,
    pub size: u64,
    pub version_id: Option<String>,
    pub sequencer: String,
}

/// Delivers S3 events to the processor again (`duplicate-events`): S3
/// delivers at least once, in no set order.
pub trait Replayer: Send + Sync + 'static {
    /// The document's object versions, oldest first: the judged one and
    /// those refused (from the documents table), then any other still under
    /// its key (`ListObjectVersions`), such as an upload not yet judged.
    fn versions(
        &self,
        document_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredVersion>, String>> + Send;
    /// Invokes the processor with `event` and waits for it to finish.
    fn deliver(&self, event: &ObjectEvent) -> impl Future<Output = Result<(), String>> + Send;
}

/// The platform's dead-letter queues, for `docproc load --redrive`.
pub trait DeadLetters: Send + Sync + 'static {
    /// Sends every dead-lettered event through its function again (as
    /// `docproc dlq redrive` does); returns how many were redriven, or what
    /// failed.
    fn redrive_all(&self) -> impl Future<Output = Result<usize, String>> + Send;
}

/// A run without `--redrive`.
pub struct NoRedrive;

impl DeadLetters for NoRedrive {
    async fn redrive_all(&self) -> Result<usize, String> {
        Err("no redrive".into())
    }
}

/// A run without the `duplicate-events` fault.
pub struct NoReplay;

impl Replayer for NoReplay {
    async fn versions(&self, _: &str) -> Result<Vec<StoredVersion>, String> {
        Err("no replayer".into())
    }
    async fn deliver(&self, _: &ObjectEvent) -> Result<(), String> {
        Err("no replayer".into())
    }
}

/// A fault injected for a window of the run by the local platform's
/// emulator (`scripts/emulator_faults.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outage {
    /// The documents table answers 503 ServiceUnavailable.
    Table,
    /// Publishing to the status topic answers 500 InternalError.
    Sns,
    /// About half the processor's invocations are killed mid-document.
    ProcessorCrash,
}

impl Outage {
    pub const ALL: [Outage; 3] = [Outage::Table, Outage::Sns, Outage::ProcessorCrash];

    /// The name `--faults` and the emulator use.
    pub fn name(self) -> &'static str {
        match self {
            Outage::Table => "table-outage",
            Outage::Sns => "sns-outage",
            Outage::ProcessorCrash => "processor-crash",
        }
    }

    /// What one injection is, for the check's detail.
    pub fn effect(self) -> &'static str {
        match self {
            Outage::Table => "documents-table requests refused (503 ServiceUnavailable)",
            Outage::Sns => "status publishes refused (500 InternalError)",
            Outage::ProcessorCrash => "processor invocations killed mid-document",
        }
    }
}

/// Arms an [`Outage`] for a window and tells what it did.
pub trait FaultSwitch: Send + Sync + 'static {
    fn arm(
        &self,
        outage: Outage,
        window: Duration,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// How many requests or invocations the outage hit so far.
    fn injected(&self, outage: Outage) -> impl Future<Output = Result<u64, String>> + Send;
}

/// A run without outages.
pub struct NoOutages;

impl FaultSwitch for NoOutages {
    async fn arm(&self, _: Outage, _: Duration) -> Result<(), String> {
        Err("no fault switch".into())
    }
    async fn injected(&self, _: Outage) -> Result<u64, String> {
        Err("no fault switch".into())
    }
}
