//! AWS SDK adapters for the operator ports.

use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use base64::Engine;
use docproc_cli::error::{OpsError, OpsResult};
use docproc_cli::ports::{
    DeadLetterQueue, Gateway, Invocation, Invoker, QueueMessage, ShardRange, StreamReader,
};
use docproc_load::faults::object_created_event;
use docproc_load::ports::{status_change_of, StatusChange, StatusFeed};
use docproc_load::ports::{ObjectEvent, Replayer, StoredVersion};
use docproc_load::retry::backoff;
use serde_json::{json, Map, Value};

/// The SDK's error with its service code and message (`DisplayErrorContext`).
fn remote<E: std::error::Error>(service: &'static str, err: E) -> OpsError {
    OpsError::remote(service, aws_sdk_sqs::error::DisplayErrorContext(&err))
}

pub struct ApiGateway(pub aws_sdk_apigateway::Client);

impl Gateway for ApiGateway {
    async fn create_key(&self, name: &str, value: &str, description: &str) -> OpsResult<String> {
        let key = self
            .0
            .create_api_key()
            .name(name)
            .value(value)
            .description(description)
            .enabled(true)
            .send()
            .await
            .map_err(|e| remote("apigateway", e))?;
        key.id
            .ok_or_else(|| OpsError::remote("apigateway", "CreateApiKey returned no id"))
    }

    async fn add_to_usage_plan(&self, usage_plan_id: &str, gateway_key_id: &str) -> OpsResult<()> {
        self.0
            .create_usage_plan_key()
            .usage_plan_id(usage_plan_id)
            .key_id(gateway_key_id)
            .key_type("API_KEY")
            .send()
            .await
            .map_err(|e| remote("apigateway", e))?;
        Ok(())
    }

    async fn set_enabled(&self, gateway_key_id: &str, enabled: bool) -> OpsResult<()> {
        let patch = PatchOperation::builder()
            .op(Op::Replace)
            .path("/enabled")
            .value(enabled.to_string())
            .build();
        self.0
            .update_api_key()
            .api_key(gateway_key_id)
            .patch_operations(patch)
            .send()
            .await
            .map_err(|e| remote("apigateway", e))?;
        Ok(())
    }

    async fn delete_key(&self, gateway_key_id: &str) -> OpsResult<()> {
        match self.0.delete_api_key().api_key(gateway_key_id).send().await {
            Ok(_) => Ok(()),
            // Already deleted (a re-run of an interrupted revoke): the goal holds.
            // DeleteApiKey answers NotFoundException for an unknown key
            // (https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteApiKey.html).
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(remote("apigateway", e)),
        }
    }
}

pub struct SqsQueue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
}

impl DeadLetterQueue for SqsQueue {
    async fn receive(&self, max: usize, visibility_seconds: u32) -> OpsResult<Vec<QueueMessage>> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(visibility_seconds as i32)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|e| remote("sqs", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| QueueMessage {
                message_id: m.message_id.unwrap_or_default(),
                receipt_handle: m.receipt_handle.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
            })
            .collect())
    }

    async fn delete(&self, receipt_handle: &str) -> OpsResult<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| remote("sqs", e))?;
        Ok(())
    }

    async fn release(&self, receipt_handle: &str) -> OpsResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| remote("sqs", e))?;
        Ok(())
    }
}

pub struct Lambda(pub aws_sdk_lambda::Client);

impl Invoker for Lambda {
    async fn invoke(&self, function_name: &str, payload: &Value) -> OpsResult<Invocation> {
        let out = self
            .0
            .invoke()
            .function_name(function_name)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .map_err(|e| remote("lambda", e))?;
        let body = out.payload.map(Blob::into_inner).unwrap_or_default();
        let payload = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        Ok(Invocation {
            function_error: out.function_error,
            payload,
        })
    }
}

pub struct Streams(pub aws_sdk_dynamodbstreams::Client);

/// Stream sequence numbers are decimal strings of varying length.
fn sequence_le(a: &str, b: &str) -> bool {
    (a.len(), a) <= (b.len(), b)
}

impl StreamReader for Streams {
    async fn read(&self, range: &ShardRange) -> OpsResult<Vec<Value>> {
        // A shard holds at most 24 h of records; bound the walk all the same.
        const MAX_PAGES: usize = 1000;
        let iterator = self
            .0
            .get_shard_iterator()
            .stream_arn(&range.stream_arn)
            .shard_id(&range.shard_id)
            .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
            .sequence_number(&range.start_sequence_number)
            .send()
            .await
            .map_err(|e| remote("dynamodbstreams", e))?
            .shard_iterator;
        let mut next = iterator;
        let mut records = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(it) = next.take() else { break };
            let page = self
                .0
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .map_err(|e| remote("dynamodbstreams", e))?;
            if page.records().is_empty() {
                break;
            }
            for record in page.records() {
                let seq = record
                    .dynamodb()
                    .and_then(|d| d.sequence_number())
                    .unwrap_or_default();
                if !sequence_le(seq, &range.end_sequence_number) {
                    return Ok(records);
                }
                records.push(lambda_record(record, &range.stream_arn));
            }
            next = page.next_shard_iterator;
        }
        Ok(records)
    }
}

/// A stream record in the JSON shape Lambda delivers to the notifier.
fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let mut dynamodb = Map::new();
    if let Some(d) = record.dynamodb() {
        if let Some(t) = d.approximate_creation_date_time() {
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(t.secs()));
        }
        for (name, image) in [
            ("Keys", d.keys()),
            ("NewImage", d.new_image()),
            ("OldImage", d.old_image()),
        ] {
            if let Some(image) = image {
                dynamodb.insert(name.into(), item(image));
            }
        }
        dynamodb.insert("SequenceNumber".into(), json!(d.sequence_number()));
        dynamodb.insert("SizeBytes".into(), json!(d.size_bytes()));
        if let Some(v) = d.stream_view_type() {
            dynamodb.insert("StreamViewType".into(), json!(v.as_str()));
        }
    }
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": record.event_version(),
        "eventSource": record.event_source(),
        "awsRegion": record.aws_region(),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

fn item(image: &std::collections::HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        image
            .iter()
            .map(|(k, v)| (k.clone(), attribute(v)))
            .collect(),
    )
}

fn attribute(v: &AttributeValue) -> Value {
    let b64 = |b: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(b.as_ref())
    };
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item(m) }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(attribute).collect::<Vec<_>>() }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        // NULL, and any type a newer SDK adds, as NULL: the notifier only reads known fields.
        _ => json!({ "NULL": true }),
    }
}

/// The ARN of whoever runs the command, for the audit trail.
pub async fn caller_arn(sts: &aws_sdk_sts::Client) -> OpsResult<String> {
    let who = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| remote("sts", e))?;
    who.arn
        .ok_or_else(|| OpsError::remote("sts", "GetCallerIdentity returned no ARN"))
}

/// An SQS queue subscribed to the status topic for one `docproc load` run:
/// the run's view of every status change. [`StatusTap::remove`] unsubscribes
/// and deletes it.
pub struct StatusTap {
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    queue_url: String,
    subscription_arn: String,
}

impl StatusTap {
    /// Creates the queue (SSE-SQS), lets only `topic_arn` send to it, and
    /// subscribes it (SNS envelopes, whose MessageId tells SNS's own duplicate
    /// deliveries apart from a second publish). In one account SNS confirms an
    /// SQS subscription by itself.
    pub async fn create(
        sdk: &aws_config::SdkConfig,
        topic_arn: &str,
        queue_name: &str,
    ) -> OpsResult<StatusTap> {
        use aws_sdk_sqs::types::QueueAttributeName as Q;
        let sqs = aws_sdk_sqs::Client::new(sdk);
        let sns = aws_sdk_sns::Client::new(sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name(queue_name)
            .attributes(Q::SqsManagedSseEnabled, "true")
            .attributes(Q::MessageRetentionPeriod, "86400")
            .send()
            .await
            .map_err(|e| remote("sqs", e))?
            .queue_url
            .ok_or_else(|| OpsError::remote("sqs", "CreateQueue returned no URL"))?;
        let mut tap = StatusTap {
            sqs,
            sns,
            queue_url,
            subscription_arn: String::new(),
        };
        if let Err(e) = tap.subscribe(topic_arn).await {
            tap.remove().await;
            return Err(e);
        }
        Ok(tap)
    }

    async fn subscribe(&mut self, topic_arn: &str) -> OpsResult<()> {
        use aws_sdk_sqs::types::QueueAttributeName as Q;
        let queue_arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(Q::QueueArn)
            .send()
            .await
            .map_err(|e| remote("sqs", e))?
            .attributes
            .and_then(|a| a.get(&Q::QueueArn).cloned())
            .ok_or_else(|| OpsError::remote("sqs", "the tap queue has no ARN"))?;
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "StatusTopicOnly",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }],
        });
        self.sqs
            .set_queue_attributes()
            .queue_url(&self.queue_url)
            .attributes(Q::Policy, policy.to_string())
            .send()
            .await
            .map_err(|e| remote("sqs", e))?;
        self.subscription_arn = self
            .sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| remote("sns", e))?
            .subscription_arn
            .unwrap_or_default();
        Ok(())
    }

    /// Unsubscribes and deletes the queue; failures are only reported.
    pub async fn remove(&self) {
        if !self.subscription_arn.is_empty() {
            if let Err(e) = self
                .sns
                .unsubscribe()
                .subscription_arn(&self.subscription_arn)
                .send()
                .await
            {
                eprintln!(
                    "could not unsubscribe {}: {}",
                    self.subscription_arn,
                    remote("sns", e)
                );
            }
        }
        if let Err(e) = self
            .sqs
            .delete_queue()
            .queue_url(&self.queue_url)
            .send()
            .await
        {
            eprintln!("could not delete {}: {}", self.queue_url, remote("sqs", e));
        }
    }
}

impl StatusFeed for StatusTap {
    async fn receive(&self) -> Result<Vec<StatusChange>, String> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|e| remote("sqs", e).to_string())?;
        let mut changes = Vec::new();
        for m in out.messages.unwrap_or_default() {
            changes.extend(status_change_of(
                m.message_id().unwrap_or_default(),
                m.body().unwrap_or_default(),
            ));
            if let Some(handle) = m.receipt_handle() {
                // A failed delete only means the message comes back, and is skipped then.
                let _ = self
                    .sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await;
            }
        }
        Ok(changes)
    }
}

/// Replays a document's S3 events to the processor (`docproc load --faults
/// duplicate-events`), built as S3 sends them from what the documents table
/// recorded and what is under the document's key, and waits for each
/// invocation. Needs `dynamodb:GetItem` on the documents table,
/// `s3:ListBucketVersions` on the bucket and `lambda:InvokeFunction` on the
/// processor.
pub struct EventReplayer {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub objects: docproc_aws::s3::S3Objects,
    pub lambda: aws_sdk_lambda::Client,
    pub documents_table: String,
    pub bucket: String,
    pub processor: String,
    pub region: String,
}

impl Replayer for EventReplayer {
    async fn versions(&self, document_id: &str) -> Result<Vec<StoredVersion>, String> {
        use docproc_core::ports::ObjectStore as _;
        let item = self
            .dynamodb
            .get_item()
            .table_name(&self.documents_table)
            .key(
                "document_id",
                aws_sdk_dynamodb::types::AttributeValue::S(document_id.into()),
            )
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| remote("dynamodb", e).to_string())?
            .item
            .ok_or("no such document")?;
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        // The key S3 named in the original events: `object_key` moves to the
        // quarantine copy once a document is rejected.
        let client_id = text("client_id").ok_or("the document has no client_id")?;
        let key = docproc_core::s3key::incoming_key(&client_id, document_id);
        let version = |version_id: Option<String>, sequencer: Option<String>| StoredVersion {
            key: key.clone(),
            version_id,
            sequencer,
        };
        let mut versions = Vec::new();
        let judged = text("source_version");
        if let Some(sequencer) = text("source_sequencer") {
            versions.push(version(judged.clone(), Some(sequencer)));
        }
        let refused = item
            .get("refused_versions")
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default();
        versions.extend(refused.iter().map(|v| version(Some(v.clone()), None)));
        // What is still under the key and not recorded: an upload not judged yet.
        let listed = self
            .objects
            .versions(&key)
            .await
            .map_err(|e| format!("s3: {e}"))?;
        for listed in listed.into_iter().filter(|v| v.key == key) {
            let known = judged.as_deref() == Some(listed.version_id.as_str())
                || refused.contains(&listed.version_id);
            if !known {
                versions.push(version(Some(listed.version_id), None));
            }
        }
        Ok(versions)
    }

    async fn deliver(&self, object: &ObjectEvent) -> Result<(), String> {
        let now = docproc_core::time_fmt::format(docproc_core::time_fmt::now());
        let event = object_created_event(&self.region, &self.bucket, object, &now);
        // The processor's reserved concurrency throttles replays (429
        // TooManyRequestsException): wait and send again, a bounded number of times.
        let mut retries = 0;
        let out = loop {
            let sent = self
                .lambda
                .invoke()
                .function_name(&self.processor)
                .payload(Blob::new(event.to_string()))
                .send()
                .await;
            match sent {
                Ok(out) => break out,
                Err(e) => {
                    let service = e.as_service_error();
                    if service.is_some_and(|s| s.is_too_many_requests_exception()) && retries < 12 {
                        tokio::time::sleep(backoff(std::time::Duration::from_millis(250), retries))
                            .await;
                        retries += 1;
                        continue;
                    }
                    return Err(match service {
                        Some(s) => format!(
                            "lambda: {}: {}",
                            s.meta().code().unwrap_or("error"),
                            s.meta().message().unwrap_or_default()
                        ),
                        None => remote("lambda", e).to_string(),
                    });
                }
            }
        };
        match out.function_error {
            None => Ok(()),
            Some(kind) => Err(format!(
                "{kind}: {}",
                out.payload
                    .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
                    .unwrap_or_default()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};
    use std::collections::HashMap;

    #[test]
    fn sequence_numbers_compare_numerically() {
        assert!(sequence_le("99", "100"));
        assert!(sequence_le("100", "100"));
        assert!(!sequence_le("101", "100"));
    }

    #[test]
    fn stream_records_become_the_event_the_notifier_parses() {
        let keys = HashMap::from([("document_id".to_string(), AttributeValue::S("d1".into()))]);
        let mut image = keys.clone();
        image.insert("status".into(), AttributeValue::S("PROCESSED".into()));
        image.insert("size".into(), AttributeValue::N("42".into()));
        image.insert(
            "flags".into(),
            AttributeValue::L(vec![AttributeValue::Bool(true)]),
        );
        image.insert(
            "metadata".into(),
            AttributeValue::M(HashMap::from([(
                "pages".into(),
                AttributeValue::N("3".into()),
            )])),
        );
        let record = Record::builder()
            .event_id("e1")
            .event_name(OperationType::Modify)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("us-east-1")
            .dynamodb(
                StreamRecord::builder()
                    .set_keys(Some(keys))
                    .set_new_image(Some(image))
                    .sequence_number("100")
                    .size_bytes(64)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build();
        let json = json!({ "Records": [lambda_record(&record, "arn:stream")] });
        let event: aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(json.clone()).unwrap();
        let r = &event.records[0];
        assert_eq!(r.event_name, "MODIFY");
        assert_eq!(r.change.sequence_number.as_deref(), Some("100"));
        assert_eq!(
            json["Records"][0]["dynamodb"]["NewImage"]["status"],
            json!({"S": "PROCESSED"})
        );
        assert_eq!(
            json["Records"][0]["dynamodb"]["NewImage"]["metadata"]["M"]["pages"],
            json!({"N": "3"})
        );
        assert_eq!(json["Records"][0]["eventSourceARN"], "arn:stream");
    }
}
