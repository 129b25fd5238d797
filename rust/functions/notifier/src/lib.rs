//! DynamoDB Streams → one SNS message per document status change. Reports
//! partial batch failures: processing stops at the first record that cannot
//! be published and reports it, because Lambda retries a stream from the
//! lowest reported sequence number (later records would be sent twice).

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use docproc_core::document::DocumentStatus;
use docproc_core::ports::{Publisher, StatusChange};
use serde_json::Value;

/// Reads a string attribute from a stream image (DynamoDB JSON).
fn attr(image: &Value, name: &str) -> Option<String> {
    image.get(name)?.get("S")?.as_str().map(str::to_string)
}

fn status(image: &Value) -> Option<DocumentStatus> {
    attr(image, "status").and_then(|s| DocumentStatus::parse(&s))
}

/// The status change a stream record carries, if any.
pub fn status_change(record: &EventRecord) -> Result<Option<StatusChange>, String> {
    if record.event_name == "REMOVE" {
        return Ok(None);
    }
    let new = serde_json::to_value(&record.change.new_image).map_err(|e| e.to_string())?;
    let old = serde_json::to_value(&record.change.old_image).map_err(|e| e.to_string())?;
    let new_status = status(&new).ok_or("new image has no valid status")?;
    let old_status = status(&old);
    if old_status == Some(new_status) {
        return Ok(None);
    }
    Ok(Some(StatusChange {
        document_id: attr(&new, "document_id").ok_or("new image has no document_id")?,
        client_id: attr(&new, "client_id").ok_or("new image has no client_id")?,
        old_status,
        new_status,
        reason_code: attr(&new, "reason_code"),
        reason_message: attr(&new, "reason_message"),
        at: attr(&new, "updated_at").unwrap_or_default(),
    }))
}

pub async fn notify<P: Publisher>(publisher: &P, event: &Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let sequence = record.change.sequence_number.clone();
        let result = match status_change(record) {
            Ok(Some(change)) => publisher
                .publish(&change)
                .await
                .map(|()| Some(change))
                .map_err(|e| e.to_string()),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match result {
            Ok(Some(change)) => tracing::info!(
                document_id = change.document_id,
                client_id = change.client_id,
                old_status = change.old_status.map(|s| s.as_str()),
                new_status = change.new_status.as_str(),
                "status change published"
            ),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(
                    sequence_number = sequence,
                    event_id = record.event_id,
                    error,
                    "record not published; reporting it for retry"
                );
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = sequence;
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    response
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
        let r = notify(&p, &ev).await;
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
        let r = notify(&p, &ev).await;
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
        assert!(notify(&p, &ev).await.batch_item_failures.is_empty());
        assert_eq!(p.published.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn malformed_images_are_reported_not_dropped() {
        let p = MemoryPublisher::default();
        let mut bad = record("300", "MODIFY", Some("PENDING"), "PROCESSED");
        bad["dynamodb"]["NewImage"]["status"] = json!({"S": "EXPLODED"});
        let r = notify(&p, &event(vec![bad])).await;
        assert_eq!(r.batch_item_failures.len(), 1);
    }
}
