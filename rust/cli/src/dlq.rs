//! Dead-letter queues: what failed and why, and redrive through the deployed
//! function. Processing is idempotent (per object version and per stream
//! record), so a redriven event never duplicates a record; a message is
//! deleted only after its redrive succeeded.

use crate::error::{OpsError, OpsResult};
use crate::ports::{DeadLetterQueue, Invoker, QueueMessage, ShardRange, StreamReader};
use docproc_core::audit::{append_event, NewAuditEvent};
use docproc_core::ports::AuditRepository;
use docproc_core::s3key::{decode_event_key, parse_incoming_key};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// How long a message being redriven stays hidden from other readers: longer
/// than any synchronous invocation can take (Lambda's timeout is at most
/// 900 s, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
/// so a slow redrive is never picked up a second time. Messages are received
/// one at a time, so the clock starts when that message's redrive starts.
pub const REDRIVE_VISIBILITY_SECONDS: u32 = 960;
const RECEIVE_BATCH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueueKind {
    /// Failed S3 events of the processor (async invocation on-failure destination).
    Processor,
    /// Failed DynamoDB stream batches of the notifier.
    Notifier,
}

impl QueueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueKind::Processor => "processor",
            QueueKind::Notifier => "notifier",
        }
    }
}

/// What to send again.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// The original invocation payload (an S3 event).
    Invoke { payload: Value },
    /// A range of stream records, re-read from the stream.
    StreamBatch {
        stream_arn: String,
        shard_id: String,
        start_sequence_number: String,
        end_sequence_number: String,
    },
}

/// One dead-lettered failure, decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedEvent {
    pub message_id: String,
    pub failed_at: Option<String>,
    pub condition: Option<String>,
    pub attempts: Option<u64>,
    pub error: String,
    /// Documents the event concerns (for S3 events, from the object keys).
    pub documents: Vec<String>,
    pub target: Target,
}

/// Decodes a dead-letter message: a Lambda destination envelope (async
/// invocation or stream on-failure), or a bare S3 event.
pub fn parse_message(message: &QueueMessage) -> OpsResult<FailedEvent> {
    let body: Value = serde_json::from_str(&message.body).map_err(|e| {
        OpsError::Invalid(format!(
            "message {} is not JSON ({e}); it was left in the queue",
            message.message_id
        ))
    })?;
    let context = &body["requestContext"];
    let error = match (&body["responsePayload"], context["condition"].as_str()) {
        (Value::Object(p), _) => format!(
            "{}: {}",
            p.get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("Error"),
            p.get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or("(no message)")
        ),
        (_, Some(condition)) => format!(
            "{} ({condition})",
            body["responseContext"]["functionError"]
                .as_str()
                .unwrap_or("invocation failed")
        ),
        _ => "(no error recorded)".to_string(),
    };
    let (target, documents) = if let Some(batch) = body.get("DDBStreamBatchInfo") {
        let field = |name: &str| {
            batch[name].as_str().map(str::to_string).ok_or_else(|| {
                OpsError::Invalid(format!(
                    "message {}: DDBStreamBatchInfo has no {name}",
                    message.message_id
                ))
            })
        };
        let target = Target::StreamBatch {
            stream_arn: field("streamArn")?,
            shard_id: field("shardId")?,
            start_sequence_number: field("startSequenceNumber")?,
            end_sequence_number: field("endSequenceNumber")?,
        };
        (target, Vec::new())
    } else {
        let payload = match body.get("requestPayload") {
            Some(p) => p.clone(),
            None if body.get("Records").is_some() => body.clone(),
            None => {
                return Err(OpsError::Invalid(format!(
                    "message {} is neither a Lambda failure record nor an S3 event; it was left in the queue",
                    message.message_id
                )))
            }
        };
        let documents = s3_documents(&payload);
        (Target::Invoke { payload }, documents)
    };
    Ok(FailedEvent {
        message_id: message.message_id.clone(),
        failed_at: body["timestamp"].as_str().map(str::to_string),
        condition: context["condition"].as_str().map(str::to_string),
        attempts: context["approximateInvokeCount"].as_u64(),
        error,
        documents,
        target,
    })
}

fn s3_documents(payload: &Value) -> Vec<String> {
    let keys = payload["Records"].as_array().into_iter().flatten();
    let ids: BTreeSet<String> = keys
        .filter_map(|r| r["s3"]["object"]["key"].as_str())
        .filter_map(decode_event_key)
        .filter_map(|k| parse_incoming_key(&k).map(|(_, doc)| doc.to_string()))
        .collect();
    ids.into_iter().collect()
}

fn stream_documents(records: &[Value]) -> Vec<String> {
    let ids: BTreeSet<String> = records
        .iter()
        .filter_map(|r| r["dynamodb"]["Keys"]["document_id"]["S"].as_str())
        .map(str::to_string)
        .collect();
    ids.into_iter().collect()
}

/// Reads up to `max` messages without hiding them (visibility 0), each once.
pub async fn peek<Q: DeadLetterQueue>(queue: &Q, max: usize) -> OpsResult<Vec<QueueMessage>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < max {
        let batch = queue.receive(RECEIVE_BATCH.min(max - out.len()), 0).await?;
        let fresh: Vec<_> = batch
            .into_iter()
            .filter(|m| seen.insert(m.message_id.clone()))
            .collect();
        if fresh.is_empty() {
            break;
        }
        out.extend(fresh);
    }
    out.truncate(max);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RedriveResult {
    /// Dry run: what would be sent.
    WouldRedrive { event: FailedEvent },
    /// Sent, succeeded, deleted from the queue.
    Redriven { event: FailedEvent },
    /// Left in the queue.
    Failed { message_id: String, error: String },
    /// A poison record (one the notifier can never read), removed from the
    /// queue with `--discard-poison` and audited on its documents' trails.
    Discarded { event: FailedEvent, reason: String },
}

pub struct Redriver<'a, Q, I, S, A> {
    pub kind: QueueKind,
    pub queue: &'a Q,
    pub invoker: &'a I,
    pub streams: &'a S,
    pub audit: &'a A,
    pub function_name: &'a str,
    pub actor: &'a str,
    /// Poison records are deleted (and audited) instead of kept.
    pub discard_poison: bool,
}

impl<Q: DeadLetterQueue, I: Invoker, S: StreamReader, A: AuditRepository> Redriver<'_, Q, I, S, A> {
    /// Redrives up to `max` messages. An empty queue is an error, so a script
    /// notices it redrove nothing.
    pub async fn redrive(&self, max: usize, dry_run: bool) -> OpsResult<Vec<RedriveResult>> {
        if max == 0 {
            return Err(OpsError::Invalid("--max must be at least 1".into()));
        }
        let mut results = Vec::new();
        if dry_run {
            for message in peek(self.queue, max).await? {
                results.push(match parse_message(&message) {
                    Ok(event) => RedriveResult::WouldRedrive { event },
                    Err(e) => failed(&message, e),
                });
            }
        } else {
            // Failed messages stay hidden until the run ends (so the next
            // receive reaches the others), then are released for the next attempt.
            let mut seen = BTreeSet::new();
            let mut failures = Vec::new();
            while results.len() < max {
                let Some(message) = self
                    .queue
                    .receive(1, REDRIVE_VISIBILITY_SECONDS)
                    .await?
                    .into_iter()
                    .next()
                else {
                    break;
                };
                // A message this run already tried came back (its visibility
                // ran out): leave it for the next run.
                if !seen.insert(message.message_id.clone()) {
                    self.queue.release(&message.receipt_handle).await?;
                    break;
                }
                let result = self.redrive_one(&message).await;
                if matches!(result, RedriveResult::Failed { .. }) {
                    failures.push((results.len(), message.receipt_handle.clone()));
                }
                results.push(result);
            }
            for (index, receipt) in failures {
                // Visible again at once, for the next attempt; never dropped.
                if let (Err(release), RedriveResult::Failed { error, .. }) =
                    (self.queue.release(&receipt).await, &mut results[index])
                {
                    error.push_str(&format!(
                        " (it reappears after {REDRIVE_VISIBILITY_SECONDS} s: {release})"
                    ));
                }
            }
        }
        if results.is_empty() {
            return Err(OpsError::NotFound(format!(
                "the {} dead-letter queue is empty: nothing to redrive",
                self.kind.as_str()
            )));
        }
        Ok(results)
    }

    async fn redrive_one(&self, message: &QueueMessage) -> RedriveResult {
        let outcome = async {
            let mut event = parse_message(message)?;
            let payload = match &event.target {
                Target::Invoke { payload } => payload.clone(),
                Target::StreamBatch {
                    stream_arn,
                    shard_id,
                    start_sequence_number,
                    end_sequence_number,
                } => {
                    let records = self
                        .streams
                        .read(&ShardRange {
                            stream_arn: stream_arn.clone(),
                            shard_id: shard_id.clone(),
                            start_sequence_number: start_sequence_number.clone(),
                            end_sequence_number: end_sequence_number.clone(),
                        })
                        .await?;
                    if records.is_empty() {
                        return Err(OpsError::NotFound(format!(
                            "the stream no longer holds records {start_sequence_number}..{end_sequence_number} (24 h retention): replay from the documents table instead"
                        )));
                    }
                    event.documents = stream_documents(&records);
                    json!({ "Records": records })
                }
            };
            let invocation = self.invoker.invoke(self.function_name, &payload).await?;
            if let Some(kind) = invocation.function_error {
                let text = invocation.payload.to_string();
                if text.contains(docproc_core::notification::POISON_MARKER) {
                    if !self.discard_poison {
                        return Err(OpsError::remote(
                            "lambda",
                            format!("a poison record that can never be published ({text}): re-run with --discard-poison to remove it, audited on its documents' trails"),
                        ));
                    }
                    for document in &event.documents {
                        let note = NewAuditEvent::new(
                            self.actor,
                            "poison_discarded",
                            "discarded",
                            json!({"queue": self.kind.as_str(), "message_id": message.message_id, "error": text}),
                        );
                        let dedupe = format!("poison:{}", message.message_id);
                        append_event(self.audit, document, note, Some(&dedupe)).await?;
                    }
                    self.queue.delete(&message.receipt_handle).await?;
                    return Ok(Err((event, text)));
                }
                return Err(OpsError::remote(
                    "lambda",
                    format!("{} failed again ({kind}): {}", self.function_name, invocation.payload),
                ));
            }
            let partial = invocation.payload["batchItemFailures"]
                .as_array()
                .is_some_and(|f| !f.is_empty());
            if partial {
                return Err(OpsError::remote(
                    "lambda",
                    format!("{} reported failed records: {}", self.function_name, invocation.payload),
                ));
            }
            for document in &event.documents {
                let note = NewAuditEvent::new(
                    self.actor,
                    "redriven",
                    "success",
                    json!({"queue": self.kind.as_str(), "message_id": message.message_id}),
                );
                let dedupe = format!("redrive:{}", message.message_id);
                append_event(self.audit, document, note, Some(&dedupe)).await?;
            }
            self.queue.delete(&message.receipt_handle).await?;
            Ok(Ok(event))
        }
        .await;
        match outcome {
            Ok(Ok(event)) => RedriveResult::Redriven { event },
            Ok(Err((event, reason))) => RedriveResult::Discarded { event, reason },
            Err(e) => failed(message, e),
        }
    }
}

fn failed(message: &QueueMessage, e: OpsError) -> RedriveResult {
    RedriveResult::Failed {
        message_id: message.message_id.clone(),
        error: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Invocation;
    use docproc_core::memory::MemoryAudit;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// An SQS queue in memory: id -> (body, hidden).
    #[derive(Default)]
    /// Messages (body, hidden) and every receive call (max, visibility).
    struct FakeQueue(
        Mutex<BTreeMap<String, (String, bool)>>,
        Mutex<Vec<(usize, u32)>>,
    );

    impl FakeQueue {
        fn with(bodies: &[Value]) -> Self {
            let q = FakeQueue::default();
            for (i, b) in bodies.iter().enumerate() {
                q.0.lock()
                    .unwrap()
                    .insert(format!("m{i}"), (b.to_string(), false));
            }
            q
        }
        fn ids(&self) -> Vec<String> {
            self.0.lock().unwrap().keys().cloned().collect()
        }
    }

    impl DeadLetterQueue for FakeQueue {
        async fn receive(&self, max: usize, visibility: u32) -> OpsResult<Vec<QueueMessage>> {
            self.1.lock().unwrap().push((max, visibility));
            let mut q = self.0.lock().unwrap();
            let mut out = Vec::new();
            for (id, (body, hidden)) in q.iter_mut().filter(|(_, (_, h))| !h).take(max) {
                *hidden = visibility > 0;
                out.push(QueueMessage {
                    message_id: id.clone(),
                    receipt_handle: format!("rh-{id}"),
                    body: body.clone(),
                });
            }
            Ok(out)
        }
        async fn delete(&self, receipt: &str) -> OpsResult<()> {
            self.0
                .lock()
                .unwrap()
                .remove(receipt.trim_start_matches("rh-"));
            Ok(())
        }
        async fn release(&self, receipt: &str) -> OpsResult<()> {
            if let Some(m) = self
                .0
                .lock()
                .unwrap()
                .get_mut(receipt.trim_start_matches("rh-"))
            {
                m.1 = false;
            }
            Ok(())
        }
    }

    /// Records every payload; fails invocations whose payload mentions `fail_on`.
    #[derive(Default)]
    struct FakeInvoker {
        calls: Mutex<Vec<(String, Value)>>,
        fail_on: Option<&'static str>,
        response: Value,
    }

    impl Invoker for FakeInvoker {
        async fn invoke(&self, function: &str, payload: &Value) -> OpsResult<Invocation> {
            self.calls
                .lock()
                .unwrap()
                .push((function.into(), payload.clone()));
            let fails = self
                .fail_on
                .is_some_and(|f| payload.to_string().contains(f));
            Ok(Invocation {
                function_error: fails.then(|| "Unhandled".to_string()),
                payload: if fails {
                    json!({"errorType": "Error", "errorMessage": "table unavailable"})
                } else {
                    self.response.clone()
                },
            })
        }
    }

    struct FakeStreams(Vec<Value>);

    impl StreamReader for FakeStreams {
        async fn read(&self, range: &ShardRange) -> OpsResult<Vec<Value>> {
            assert_eq!(range.shard_id, "shardId-1");
            Ok(self.0.clone())
        }
    }

    fn s3_event(doc: &str) -> Value {
        json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": format!("incoming/acme/{doc}"), "sequencer": "0A"}}}]})
    }

    fn envelope(doc: &str) -> Value {
        json!({
            "version": "1.0",
            "timestamp": "2026-11-28T10:00:00.000Z",
            "requestContext": {"requestId": "r1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:dev-docproc-processor:$LATEST",
                "condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "requestPayload": s3_event(doc),
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorType": "StoreError", "errorMessage": "transient storage failure: throttled"}
        })
    }

    fn stream_envelope() -> Value {
        json!({
            "version": "1.0",
            "timestamp": "2026-11-28T10:00:00.000Z",
            "requestContext": {"requestId": "r2", "functionArn": "arn:f", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "DDBStreamBatchInfo": {"shardId": "shardId-1", "startSequenceNumber": "100", "endSequenceNumber": "200",
                "batchSize": 2, "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026"}
        })
    }

    fn message(body: &Value) -> QueueMessage {
        QueueMessage {
            message_id: "m0".into(),
            receipt_handle: "rh-m0".into(),
            body: body.to_string(),
        }
    }

    #[test]
    fn decodes_async_invocation_failures() {
        let event = parse_message(&message(&envelope("d1"))).unwrap();
        assert_eq!(
            event.error,
            "StoreError: transient storage failure: throttled"
        );
        assert_eq!(event.condition.as_deref(), Some("RetriesExhausted"));
        assert_eq!(event.attempts, Some(3));
        assert_eq!(event.documents, ["d1"]);
        assert_eq!(
            event.target,
            Target::Invoke {
                payload: s3_event("d1")
            }
        );
    }

    #[test]
    fn decodes_stream_batch_failures_and_bare_s3_events() {
        let event = parse_message(&message(&stream_envelope())).unwrap();
        assert_eq!(event.error, "Unhandled (RetryAttemptsExhausted)");
        assert!(
            matches!(event.target, Target::StreamBatch { ref end_sequence_number, .. } if end_sequence_number == "200")
        );
        let bare = parse_message(&message(&s3_event("d2"))).unwrap();
        assert_eq!(bare.documents, ["d2"]);
    }

    #[test]
    fn unknown_messages_are_explained() {
        for body in ["not json", r#"{"hello": 1}"#] {
            let m = QueueMessage {
                message_id: "m9".into(),
                receipt_handle: "r".into(),
                body: body.into(),
            };
            let err = parse_message(&m).unwrap_err();
            assert!(err.to_string().contains("left in the queue"), "{err}");
        }
    }

    fn redriver<'a, I: Invoker>(
        kind: QueueKind,
        queue: &'a FakeQueue,
        invoker: &'a I,
        streams: &'a FakeStreams,
        audit: &'a MemoryAudit,
    ) -> Redriver<'a, FakeQueue, I, FakeStreams, MemoryAudit> {
        Redriver {
            kind,
            queue,
            invoker,
            streams,
            audit,
            function_name: "dev-docproc-processor",
            actor: "arn:ops",
            discard_poison: false,
        }
    }

    #[tokio::test]
    async fn redrive_sends_the_original_event_and_deletes_only_successes() {
        let queue = FakeQueue::with(&[envelope("d1"), envelope("d2"), json!("garbage")]);
        let invoker = FakeInvoker {
            fail_on: Some("d2"),
            ..Default::default()
        };
        let (streams, audit) = (FakeStreams(vec![]), MemoryAudit::default());
        let results = redriver(QueueKind::Processor, &queue, &invoker, &streams, &audit)
            .redrive(10, false)
            .await
            .unwrap();
        assert_eq!(results.len(), 3);
        assert!(
            matches!(&results[0], RedriveResult::Redriven { event } if event.documents == ["d1"])
        );
        assert!(
            matches!(&results[1], RedriveResult::Failed { error, .. } if error.contains("table unavailable"))
        );
        assert!(
            matches!(&results[2], RedriveResult::Failed { error, .. } if error.contains("neither"))
        );
        // The failures stay, visible for the next attempt.
        assert_eq!(queue.ids(), ["m1", "m2"]);
        // Each message was taken on its own and hidden for longer than the
        // longest invocation Lambda allows (900 s): never redriven twice at once.
        let receives = queue.1.lock().unwrap().clone();
        assert!(
            receives
                .iter()
                .all(|(max, visibility)| *max == 1 && *visibility > 900),
            "{receives:?}"
        );
        assert_eq!(queue.receive(10, 0).await.unwrap().len(), 2);
        let calls = invoker.calls.lock().unwrap().clone();
        assert_eq!(
            calls[0],
            ("dev-docproc-processor".to_string(), s3_event("d1"))
        );
        let trail = audit.trail("d1").await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(
            (trail[0].action.as_str(), trail[0].actor.as_str()),
            ("redriven", "arn:ops")
        );
        assert!(audit.trail("d2").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn max_bounds_the_redrive() {
        let queue = FakeQueue::with(&[envelope("d1"), envelope("d2"), envelope("d3")]);
        let invoker = FakeInvoker::default();
        let (streams, audit) = (FakeStreams(vec![]), MemoryAudit::default());
        let r = redriver(QueueKind::Processor, &queue, &invoker, &streams, &audit);
        assert_eq!(r.redrive(2, false).await.unwrap().len(), 2);
        assert_eq!(queue.ids(), ["m2"]);
        assert_eq!(
            queue.receive(10, 0).await.unwrap().len(),
            1,
            "the rest stays visible"
        );
    }

    #[tokio::test]
    async fn dry_run_changes_nothing_and_an_empty_queue_is_an_error() {
        let queue = FakeQueue::with(&[envelope("d1")]);
        let invoker = FakeInvoker::default();
        let (streams, audit) = (FakeStreams(vec![]), MemoryAudit::default());
        let r = redriver(QueueKind::Processor, &queue, &invoker, &streams, &audit);
        let results = r.redrive(10, true).await.unwrap();
        assert!(matches!(&results[0], RedriveResult::WouldRedrive { .. }));
        assert!(invoker.calls.lock().unwrap().is_empty());
        assert_eq!(queue.ids(), ["m0"]);

        r.redrive(10, false).await.unwrap();
        let err = r.redrive(10, false).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the processor dead-letter queue is empty: nothing to redrive"
        );
        assert_eq!(r.redrive(0, false).await.unwrap_err().exit_code(), 2);
    }

    #[tokio::test]
    async fn stream_batches_are_reread_and_partial_failures_keep_the_message() {
        let record = json!({"eventID": "e1", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"document_id": {"S": "d7"}}, "SequenceNumber": "100"}});
        let streams = FakeStreams(vec![record.clone()]);
        let audit = MemoryAudit::default();

        let queue = FakeQueue::with(&[stream_envelope()]);
        let partial = FakeInvoker {
            response: json!({"batchItemFailures": [{"itemIdentifier": "100"}]}),
            ..Default::default()
        };
        let results = redriver(QueueKind::Notifier, &queue, &partial, &streams, &audit)
            .redrive(5, false)
            .await
            .unwrap();
        assert!(
            matches!(&results[0], RedriveResult::Failed { error, .. } if error.contains("failed records"))
        );
        assert_eq!(queue.ids(), ["m0"]);

        let ok = FakeInvoker {
            response: json!({"batchItemFailures": []}),
            ..Default::default()
        };
        let results = redriver(QueueKind::Notifier, &queue, &ok, &streams, &audit)
            .redrive(5, false)
            .await
            .unwrap();
        assert!(
            matches!(&results[0], RedriveResult::Redriven { event } if event.documents == ["d7"])
        );
        assert_eq!(ok.calls.lock().unwrap()[0].1, json!({"Records": [record]}));
        assert!(queue.ids().is_empty());
        assert_eq!(audit.trail("d7").await.unwrap().len(), 1);
    }

    /// A poison record fails every redrive: it is reported as such and kept,
    /// and `--discard-poison` removes it with an audit event on its trail.
    #[tokio::test]
    async fn a_poison_record_is_reported_and_can_be_discarded_with_an_audit_event() {
        let record = json!({"eventID": "e1", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"document_id": {"S": "d8"}}, "SequenceNumber": "100"}});
        let streams = FakeStreams(vec![record]);
        let audit = MemoryAudit::default();
        let queue = FakeQueue::with(&[stream_envelope()]);
        let poison = PoisonInvoker;
        let results = redriver(QueueKind::Notifier, &queue, &poison, &streams, &audit)
            .redrive(5, false)
            .await
            .unwrap();
        assert!(
            matches!(&results[0], RedriveResult::Failed { error, .. } if error.contains("--discard-poison")),
            "{:?}",
            results[0]
        );
        assert_eq!(queue.ids(), ["m0"], "kept without --discard-poison");
        let mut discarding = redriver(QueueKind::Notifier, &queue, &poison, &streams, &audit);
        discarding.discard_poison = true;
        let results = discarding.redrive(5, false).await.unwrap();
        assert!(
            matches!(&results[0], RedriveResult::Discarded { event, .. } if event.documents == ["d8"])
        );
        assert!(queue.ids().is_empty());
        let trail = audit.trail("d8").await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(
            (trail[0].action.as_str(), trail[0].outcome.as_str()),
            ("poison_discarded", "discarded")
        );
    }

    /// The notifier failing on a record it can never read.
    struct PoisonInvoker;

    impl Invoker for PoisonInvoker {
        async fn invoke(&self, _: &str, _: &Value) -> OpsResult<Invocation> {
            Ok(Invocation {
                function_error: Some("Unhandled".into()),
                payload: json!({"errorType": "PoisonRecord",
                    "errorMessage": "poison record 100: new image has no valid status (retrying cannot fix it)"}),
            })
        }
    }
}
