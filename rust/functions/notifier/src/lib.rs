//! DynamoDB Streams → one SNS message per document status change. Reports
//! partial batch failures: processing stops at the first record that cannot
//! be published and reports it, because Lambda retries a stream from the
//! lowest reported sequence number (later records would be sent twice).
//!
//! Ids are checked before they reach SNS: a document id or client id that is
//! not one docproc issues (an orphan object's key, say) would make the
//! Subject or a message attribute invalid, and a record whose publish fails
//! that way fails again on every retry, blocking the shard until its retries
//! run out. Such a record is logged once and skipped instead.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use docproc_core::document::DocumentStatus;
use docproc_core::keys::validate_client_id;
use docproc_core::notification::{changes, StatusImage};
use docproc_core::ports::{Publisher, StatusChange};
use serde_json::Value;

/// Reads a string attribute from a stream image (DynamoDB JSON).
fn attr(image: &Value, name: &str) -> Option<String> {
    image.get(name)?.get("S")?.as_str().map(str::to_string)
}

fn status(image: &Value) -> Option<DocumentStatus> {
    attr(image, "status").and_then(|s| DocumentStatus::parse(&s))
}

/// Why a record was not published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The image cannot be read (no valid status): retrying cannot fix it,
    /// so it is isolated and sent to the on-failure destination alone (see
    /// `notify`).
    Malformed(String),
    /// Its ids cannot be published safely; retrying cannot change that, so
    /// it is logged once and skipped, never blocking the shard.
    UnsafeIds(String),
}

/// Longest document id published. With it the Subject the SNS adapter
/// builds (`docproc: document {id} is {STATUS}`) stays under SNS's limit.
pub const MAX_PUBLISHED_ID_LEN: usize = 64;

/// Ids that may appear in an SNS Subject: "Subjects must be UTF-8 text with
/// no line breaks or control characters, and less than 100 characters long"
/// (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). docproc's
/// own ids (`d` + 31 hex) qualify; so do orphan objects' plain names. Only
/// ASCII letters, digits and `-_.` are accepted, so the Subject is ASCII too.
pub fn is_publishable_id(id: &str) -> bool {
    (1..=MAX_PUBLISHED_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// An attacker-influenced value, shortened and escaped for a log line.
fn loggable(value: &str) -> String {
    let short: String = value.chars().take(80).collect();
    format!("{short:?}")
}

/// The changes a stream record carries: a status change, refused uploads.
pub fn status_changes(record: &EventRecord) -> Result<Vec<StatusChange>, RecordError> {
    let changes = read_changes(record).map_err(RecordError::Malformed)?;
    if let Some(change) = changes.first() {
        if !is_publishable_id(&change.document_id) {
            return Err(RecordError::UnsafeIds(format!(
                "document_id {} is not publishable",
                loggable(&change.document_id)
            )));
        }
        if validate_client_id(&change.client_id).is_err() {
            return Err(RecordError::UnsafeIds(format!(
                "client_id {} is not a valid client id",
                loggable(&change.client_id)
            )));
        }
    }
    Ok(changes)
}

/// The attributes of a stream image that notifications carry.
fn image(value: &Value) -> Result<StatusImage, String> {
    Ok(StatusImage {
        document_id: attr(value, "document_id").ok_or("image has no document_id")?,
        client_id: attr(value, "client_id").ok_or("image has no client_id")?,
        status: status(value).ok_or("image has no valid status")?,
        reason_code: attr(value, "reason_code"),
        reason_message: attr(value, "reason_message"),
        updated_at: attr(value, "updated_at").unwrap_or_default(),
        refused_versions: value
            .get("refused_versions")
            .and_then(|v| v.get("SS"))
            .and_then(Value::as_array)
            .map(|set| {
                set.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn read_changes(record: &EventRecord) -> Result<Vec<StatusChange>, String> {
    if record.event_name == "REMOVE" {
        return Ok(Vec::new());
    }
    let new = serde_json::to_value(&record.change.new_image).map_err(|e| e.to_string())?;
    let old = serde_json::to_value(&record.change.old_image).map_err(|e| e.to_string())?;
    let new = image(&new).map_err(|e| format!("new {e}"))?;
    // An old image that cannot be read is treated as none: the change is
    // published rather than lost.
    let old = (record.event_name != "INSERT")
        .then(|| image(&old).ok())
        .flatten();
    Ok(changes(old.as_ref(), &new))
}

/// A record that can never be published, first in its batch: the
/// invocation fails with it so that Lambda bisects the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoisonRecord {
    pub sequence_number: String,
    pub problem: String,
}

pub use docproc_core::notification::POISON_MARKER;

impl std::fmt::Display for PoisonRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{POISON_MARKER} {}: {} (retrying cannot fix it)",
            self.sequence_number, self.problem
        )
    }
}

impl std::error::Error for PoisonRecord {}

/// Publishes each record's changes in order and reports the first record
/// that failed, so Lambda retries from it and checkpoints the rest
/// (partial batch response). A poison record (its image cannot be read) is
/// isolated without stranding the valid records around it: the mapping
/// bisects on function errors, and "when a partial batch success response
/// is received and both BisectBatchOnFunctionError and
/// ReportBatchItemFailures are turned on, the batch is bisected at the
/// returned sequence number and Lambda retries only the remaining records"
/// (services-ddb-batchfailurereporting.html). So a poison record after
/// others is reported as the failed item; first in its batch, it fails the
/// invocation, and each bisection halves the batch until it stands alone,
/// retries run out and the on-failure destination gets its range only.
pub async fn notify<P: Publisher>(
    publisher: &P,
    event: &Event,
) -> Result<DynamoDbEventResponse, PoisonRecord> {
    let mut response = DynamoDbEventResponse::default();
    for (index, record) in event.records.iter().enumerate() {
        let sequence = record.change.sequence_number.clone();
        let changes = match status_changes(record) {
            Ok(changes) => changes,
            Err(RecordError::UnsafeIds(problem)) => {
                tracing::error!(
                    sequence_number = sequence,
                    event_id = record.event_id,
                    problem,
                    "status change not published: unsafe ids; skipped (retrying cannot fix it)"
                );
                Vec::new()
            }
            Err(RecordError::Malformed(problem)) => {
                tracing::error!(
                    sequence_number = sequence,
                    event_id = record.event_id,
                    problem,
                    first_in_batch = index == 0,
                    "poison record: it cannot be read; isolating it for the on-failure destination"
                );
                if index == 0 {
                    return Err(PoisonRecord {
                        sequence_number: sequence.unwrap_or_default(),
                        problem,
                    });
                }
                response.batch_item_failures.push(failure(sequence));
                break;
            }
        };
        let mut published = true;
        for change in &changes {
            if let Err(error) = publisher.publish(change).await {
                tracing::error!(
                    sequence_number = sequence,
                    event_id = record.event_id,
                    error = %error,
                    "record not published; reporting it for retry"
                );
                published = false;
                break;
            }
            tracing::info!(
                document_id = change.document_id,
                client_id = change.client_id,
                old_status = change.old_status.map(|s| s.as_str()),
                new_status = change.new_status.as_str(),
                refused_version = change.refused_version,
                event_type = change.event_type(),
                "change published"
            );
        }
        if !published {
            response.batch_item_failures.push(failure(sequence));
            break;
        }
    }
    Ok(response)
}

fn failure(sequence: Option<String>) -> DynamoDbBatchItemFailure {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = sequence;
    failure
}

#[cfg(test)]
mod tests {
    use super::*;
    use docproc_core::memory::MemoryPublisher;
    use serde_json::json;

    fn record(seq: &str, name: &str, old: Option<&str>, new: &str) -> Value {
        let image = |status: &str| {
            json!({
                "document_id": {"S": format!("d{seq}")}, "client_id": {"S": "acme"}, "status": {"S": status},
                "reason_code": {"S": "polyglot"}, "updated_at": {"S": "2026-11-28T00:00:00Z"}, "size": {"N": "10"}
            })
        };
        let mut change = json!({
            "ApproximateCreationDateTime": 1795827723.0, "Keys": {"document_id": {"S": format!("d{seq}")}},
            "NewImage": image(new), "SequenceNumber": seq, "SizeBytes": 120, "StreamViewType": "NEW_AND_OLD_IMAGES"
        });
        if let Some(o) = old {
            change["OldImage"] = image(o);
        }
        json!({"eventID": format!("e{seq}"), "eventName": name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
               "awsRegion": "us-east-1", "dynamodb": change,
               "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/dev-docproc-documents/stream/2026-11-28T00:00:00.000"})
    }

    fn event(records: Vec<Value>) -> Event {
        serde_json::from_value(json!({"Records": records})).unwrap()
    }

    #[tokio::test]
    async fn publishes_only_status_changes() {
        let p = MemoryPublisher::default();
        let ev = event(vec![
            record("100", "INSERT", None, "PENDING"),
            record("101", "MODIFY", Some("PENDING"), "REJECTED"),
            record("102", "MODIFY", Some("PROCESSED"), "PROCESSED"),
            record("103", "REMOVE", Some("PROCESSED"), "PROCESSED"),
        ]);
        let r = notify(&p, &ev).await.unwrap();
        assert!(r.batch_item_failures.is_empty());
        let published = p.published.lock().unwrap();
        assert_eq!(published.len(), 2);
        assert_eq!(
            (published[0].old_status, published[0].new_status),
            (None, DocumentStatus::Pending)
        );
        assert_eq!(
            (published[1].old_status, published[1].new_status),
            (Some(DocumentStatus::Pending), DocumentStatus::Rejected)
        );
        assert_eq!(published[1].reason_code.as_deref(), Some("polyglot"));
        assert_eq!(published[1].document_id, "d101");
    }

    #[tokio::test]
    async fn stops_at_the_first_failure_and_reports_it() {
        let p = MemoryPublisher::default();
        let ev = event(vec![
            record("201", "MODIFY", Some("PENDING"), "PROCESSED"),
            record("202", "MODIFY", Some("PENDING"), "PROCESSED"),
        ]);
        p.failures.fail_next(1);
        let r = notify(&p, &ev).await.unwrap();
        let ids: Vec<_> = r
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(ids, vec![Some("201".to_string())]);
        assert!(
            p.published.lock().unwrap().is_empty(),
            "nothing after the failed record was published"
        );
        // The retry (from 201) publishes both.
        assert!(notify(&p, &ev)
            .await
            .unwrap()
            .batch_item_failures
            .is_empty());
        assert_eq!(p.published.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn records_with_unsafe_ids_are_skipped_once_without_blocking_the_shard() {
        let p = MemoryPublisher::default();
        let valid = "d0123456789abcdef0123456789abcde";
        let orphan = "scan-2026.pdf";
        let with_id = |seq: &str, field: &str, id: &str| {
            let mut r = record(seq, "MODIFY", Some("PENDING"), "REJECTED");
            r["dynamodb"]["NewImage"][field] = json!({"S": id});
            r
        };
        let long = "x".repeat(200);
        let ev = event(vec![
            with_id("400", "document_id", "evil\nSubject: spoofed"),
            with_id("401", "document_id", "r\u{e9}sum\u{e9}.pdf"),
            with_id("402", "document_id", &long),
            with_id("403", "client_id", "acme\r\nx"),
            with_id("404", "document_id", valid),
            with_id("405", "document_id", orphan),
        ]);
        let r = notify(&p, &ev).await.unwrap();
        assert!(
            r.batch_item_failures.is_empty(),
            "nothing is retried: {:?}",
            r.batch_item_failures
        );
        let published = p.published.lock().unwrap();
        let ids: Vec<_> = published.iter().map(|c| c.document_id.as_str()).collect();
        assert_eq!(
            ids,
            vec![valid, orphan],
            "the valid records after them are published"
        );
    }

    #[test]
    fn publishable_ids_keep_the_sns_subject_within_its_documented_limits() {
        // The subject docproc_aws::sns::SnsPublisher builds.
        let longest = "a".repeat(MAX_PUBLISHED_ID_LEN);
        assert!(is_publishable_id(&longest));
        for status in DocumentStatus::ALL {
            let subject = format!("docproc: document {longest} is {status}");
            assert!(subject.len() < 100, "{subject}");
            assert!(subject.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
        }
        for bad in [
            "",
            "a\nb",
            "a\rb",
            "caf\u{e9}",
            "a b",
            &"a".repeat(MAX_PUBLISHED_ID_LEN + 1),
        ] {
            assert!(!is_publishable_id(bad), "{bad:?}");
        }
    }

    /// A poison record never blocks the valid records around it: after
    /// others it is the reported failure (those before it are published and
    /// checkpointed); first in its batch it fails the invocation, so Lambda
    /// bisects until it stands alone and dead-letters only its range.
    #[tokio::test]
    async fn a_poison_record_is_isolated_not_retried_with_the_valid_ones() {
        let p = MemoryPublisher::default();
        let mut bad = record("301", "MODIFY", Some("PENDING"), "PROCESSED");
        bad["dynamodb"]["NewImage"]["status"] = json!({"S": "EXPLODED"});
        let good = |seq: &str| record(seq, "MODIFY", Some("PENDING"), "PROCESSED");
        let r = notify(&p, &event(vec![good("300"), bad.clone(), good("302")]))
            .await
            .unwrap();
        let failed: Vec<_> = r
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(failed, vec![Some("301".to_string())]);
        assert_eq!(p.published.lock().unwrap().len(), 1, "300 published");
        // Lambda retries from 301: now first in its batch, it fails the invocation.
        let poison = notify(&p, &event(vec![bad.clone(), good("302")]))
            .await
            .unwrap_err();
        assert_eq!(poison.sequence_number, "301");
        assert!(poison.to_string().contains(POISON_MARKER), "{poison}");
        // After the bisection the valid half goes through on its own.
        assert!(notify(&p, &event(vec![good("302")]))
            .await
            .unwrap()
            .batch_item_failures
            .is_empty());
        assert_eq!(p.published.lock().unwrap().len(), 2);
        assert!(notify(&p, &event(vec![bad])).await.is_err());
    }
}
