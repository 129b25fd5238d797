//! The handlers in process against moto: real SDK calls through the
//! adapters, real DynamoDB conditions and streams, real S3 versions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_lambda_events::encodings::Body;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use base64::Engine;
use docproc_api::Api;
use docproc_aws::dynamo::{DynamoAudit, DynamoDocuments, DynamoKeys};
use docproc_aws::s3::S3Objects;
use docproc_aws::sns::SnsPublisher;
use docproc_core::access::AccessLevel;
use docproc_core::audit::{verify_chain, TamperError};
use docproc_core::document::DocumentStatus;
use docproc_core::keys::{hash_key, key_id_of_hash, ApiKeyRecord, KeyStatus};
use docproc_core::ports::{AuditRepository, DocumentRepository, KeyRepository};
use docproc_integration::{http_request, s3_client, subscribe_queue, Emulator};
use docproc_load::ports::form_body;
use docproc_processor::{Config as ProcessorConfig, ObjectVersion, Outcome, Processor};
use serde_json::{json, Value};

const BUCKET: &str = "test-docproc-documents";
const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";

struct Platform {
    _emulator: Emulator,
    sdk: aws_config::SdkConfig,
    documents: DynamoDocuments,
    audit: DynamoAudit,
    keys: DynamoKeys,
    objects: S3Objects,
    publisher: SnsPublisher,
    queue_url: String,
}

fn attr(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .unwrap()
}

fn key(name: &str, t: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .unwrap()
}

fn gsi(name: &str, pk: &str) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(pk, KeyType::Hash))
        .key_schema(key("created_at", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap()
}

/// Creates what the Terraform storage module creates, through the SDK.
async fn platform() -> Platform {
    let emulator = Emulator::start_moto();
    let sdk = emulator.sdk_config().await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    ddb.create_table()
        .table_name("documents")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("document_id", ScalarAttributeType::S))
        .attribute_definitions(attr("client_id", ScalarAttributeType::S))
        .attribute_definitions(attr("status", ScalarAttributeType::S))
        .attribute_definitions(attr("created_at", ScalarAttributeType::S))
        .key_schema(key("document_id", KeyType::Hash))
        .global_secondary_indexes(gsi("by_client", "client_id"))
        .global_secondary_indexes(gsi("by_status", "status"))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    ddb.create_table()
        .table_name("audit")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("document_id", ScalarAttributeType::S))
        .attribute_definitions(attr("seq", ScalarAttributeType::N))
        .key_schema(key("document_id", KeyType::Hash))
        .key_schema(key("seq", KeyType::Range))
        .send()
        .await
        .unwrap();
    ddb.create_table()
        .table_name("permissions")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("key_hash", ScalarAttributeType::S))
        .key_schema(key("key_hash", KeyType::Hash))
        .send()
        .await
        .unwrap();
    let s3 = s3_client(&sdk);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("status")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue_url = subscribe_queue(&sdk, &topic, "status-tap").await;
    Platform {
        documents: DynamoDocuments::new(ddb.clone(), "documents"),
        audit: DynamoAudit::new(ddb.clone(), "audit"),
        keys: DynamoKeys::new(ddb, "permissions"),
        objects: S3Objects::new(&sdk, BUCKET, KMS),
        publisher: SnsPublisher::new(sns, topic),
        queue_url,
        sdk,
        _emulator: emulator,
    }
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/engine/tests/corpus")
            .join(name),
    )
    .unwrap()
}

fn api_request(
    method: &str,
    target: &str,
    level: AccessLevel,
    body: Option<Value>,
) -> ApiGatewayProxyRequest {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let multi: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), json!([v])))
        .collect();
    serde_json::from_value(json!({
        "resource": path, "path": path, "httpMethod": method,
        "queryStringParameters": params, "multiValueQueryStringParameters": multi,
        "headers": {"content-type": "application/json"}, "multiValueHeaders": {},
        "requestContext": {"requestId": "it", "requestTimeEpoch": 0, "httpMethod": method,
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"client_id": "acme", "level": level.as_str(), "key_id": "it"}},
        "body": body.map(|b| b.to_string()),
    }))
    .unwrap()
}

impl Platform {
    async fn call(
        &self,
        method: &str,
        path: &str,
        level: AccessLevel,
        body: Option<Value>,
    ) -> (i64, Value) {
        let config = docproc_api::Config::default();
        let api = Api {
            documents: &self.documents,
            audit: &self.audit,
            objects: &self.objects,
            config: &config,
        };
        let r = api.handle(&api_request(method, path, level, body)).await;
        let body = match r.body {
            Some(Body::Text(t)) => serde_json::from_str(&t).unwrap(),
            _ => Value::Null,
        };
        (r.status_code, body)
    }

    async fn process(&self, key: &str, sequencer: &str) -> Outcome {
        let s3 = s3_client(&self.sdk);
        let head = s3
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        let config = ProcessorConfig {
            max_document_bytes: 1 << 30,
            scratch_dir: std::env::temp_dir(),
            limits: Default::default(),
            inspector: docproc_engine::inspect,
            inspect_on_blocking_thread: true,
        };
        let p = Processor {
            documents: &self.documents,
            audit: &self.audit,
            objects: &self.objects,
            config: &config,
        };
        p.process(&ObjectVersion {
            key: key.into(),
            version_id: head.version_id,
            sequencer: sequencer.into(),
            uploader: None,
        })
        .await
        .unwrap()
    }

    /// Reads the documents table's stream as the Lambda service would and
    /// hands the records to the notifier, in the Lambda event format.
    async fn pump_stream(&self) -> usize {
        let ddb = aws_sdk_dynamodb::Client::new(&self.sdk);
        let stream_arn = ddb
            .describe_table()
            .table_name("documents")
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
            .latest_stream_arn
            .unwrap();
        let streams = aws_sdk_dynamodbstreams::Client::new(&self.sdk);
        let desc = streams
            .describe_stream()
            .stream_arn(&stream_arn)
            .send()
            .await
            .unwrap()
            .stream_description
            .unwrap();
        let mut records = Vec::new();
        for shard in desc.shards() {
            let it = streams
                .get_shard_iterator()
                .stream_arn(&stream_arn)
                .shard_id(shard.shard_id().unwrap())
                .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
                .send()
                .await
                .unwrap()
                .shard_iterator
                .unwrap();
            let out = streams
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .unwrap();
            for r in out.records() {
                let d = r.dynamodb().unwrap();
                let image = |i: Option<
                    &std::collections::HashMap<
                        String,
                        aws_sdk_dynamodbstreams::types::AttributeValue,
                    >,
                >|
                 -> Value {
                    let mut m = serde_json::Map::new();
                    for (k, v) in i.into_iter().flatten() {
                        if let Ok(s) = v.as_s() {
                            m.insert(k.clone(), json!({"S": s}));
                        } else if let Ok(n) = v.as_n() {
                            m.insert(k.clone(), json!({"N": n}));
                        }
                    }
                    Value::Object(m)
                };
                records.push(json!({
                    "eventID": r.event_id(), "eventName": r.event_name().unwrap().as_str(), "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "eventSourceARN": stream_arn,
                    "dynamodb": {"ApproximateCreationDateTime": 0.0, "Keys": image(d.keys()), "NewImage": image(d.new_image()),
                                 "OldImage": image(d.old_image()), "SequenceNumber": d.sequence_number(), "SizeBytes": 1,
                                 "StreamViewType": "NEW_AND_OLD_IMAGES"}
                }));
            }
        }
        let event = serde_json::from_value(json!({"Records": records})).unwrap();
        let response = docproc_notifier::notify(&self.publisher, &event)
            .await
            .expect("the pipeline writes no poison records");
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
        records.len()
    }

    async fn notifications(&self) -> Vec<Value> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let mut out = Vec::new();
        for _ in 0..5 {
            let r = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .unwrap();
            if r.messages().is_empty() {
                break;
            }
            for m in r.messages() {
                let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                let mut msg: Value =
                    serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
                msg["attributes"] = envelope["MessageAttributes"].clone();
                out.push(msg);
                sqs.delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        out
    }
}

#[tokio::test]
async fn keys_upload_process_notify_download_delete_and_audit() {
    let p = platform().await;

    // Keys: stored hashed; the authorizer decides from the real table.
    let hash = hash_key("dpk_integration");
    p.keys
        .create(&ApiKeyRecord {
            key_id: key_id_of_hash(&hash).into(),
            key_hash: hash.clone(),
            client_id: "acme".into(),
            level: AccessLevel::ReadWrite,
            status: KeyStatus::Active,
            tier: "standard".into(),
            description: "it".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: None,
            gateway_key_id: None,
        })
        .await
        .unwrap();
    assert!(p
        .keys
        .create(&p.keys.get(&hash).await.unwrap().unwrap())
        .await
        .unwrap_err()
        .is_conflict());
    let authz = |key: &str| {
        serde_json::from_value::<aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest>(json!({
            "type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/documents",
            "httpMethod": "GET", "path": "/documents", "headers": {"x-api-key": key}, "requestContext": {}
        }))
        .unwrap()
    };
    let now = time::OffsetDateTime::now_utc();
    let allowed = docproc_authorizer::authorize(&p.keys, &authz("dpk_integration"), now)
        .await
        .unwrap();
    assert_eq!(allowed.context["level"], "read-write");
    p.keys.set_status(&hash, KeyStatus::Revoked).await.unwrap();
    let denied = docproc_authorizer::authorize(&p.keys, &authz("dpk_integration"), now)
        .await
        .unwrap();
    assert_eq!(denied.context["reason"], "revoked");

    // Upload through the API: object in S3 (SSE-KMS), record PENDING, audit.
    let pdf = corpus("three-pages.pdf");
    let body = json!({"filename": "report.pdf", "content_type": "application/pdf", "content_base64": base64::engine::general_purpose::STANDARD.encode(&pdf)});
    let (status, created) = p
        .call("POST", "/documents", AccessLevel::ReadWrite, Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["document_id"].as_str().unwrap().to_string();
    let key = format!("incoming/acme/{id}");
    let s3 = s3_client(&p.sdk);
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption,
        Some(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.metadata.unwrap()["client-id"], "acme");

    // Process: PROCESSED with metadata; duplicates and older versions change nothing.
    assert_eq!(
        p.process(&key, "00A0").await,
        Outcome::Processed {
            document_id: id.clone()
        }
    );
    let doc = p.documents.get(&id).await.unwrap().unwrap();
    assert_eq!(
        (doc.status, doc.metadata.as_ref().unwrap()["pages"].clone()),
        (DocumentStatus::Processed, json!(3))
    );
    assert_eq!(
        p.process(&key, "00A0").await,
        Outcome::Duplicate {
            document_id: id.clone()
        }
    );
    assert_eq!(
        p.process(&key, "0090").await,
        Outcome::Duplicate {
            document_id: id.clone()
        }
    );
    assert_eq!(p.documents.get(&id).await.unwrap().unwrap(), doc);

    // Listing through the GSI sees it.
    let (_, list) = p
        .call(
            "GET",
            "/documents?status=PROCESSED",
            AccessLevel::ReadOnly,
            None,
        )
        .await;
    assert_eq!(list["documents"][0]["document_id"], json!(id));

    // Download: a presigned GET that really serves the bytes.
    let (status, content) = p
        .call(
            "GET",
            &format!("/documents/{id}/content"),
            AccessLevel::ReadOnly,
            None,
        )
        .await;
    assert_eq!(status, 200, "{content}");
    let (code, bytes) = http_request(content["url"].as_str().unwrap(), "GET", None, b"");
    assert_eq!((code, bytes == pdf), (200, true));

    // Delete, then the stream carries every status change to SNS.
    assert_eq!(
        p.call(
            "DELETE",
            &format!("/documents/{id}"),
            AccessLevel::Admin,
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        p.call(
            "DELETE",
            &format!("/documents/{id}"),
            AccessLevel::Admin,
            None
        )
        .await
        .0,
        409
    );
    assert!(p.pump_stream().await >= 3);
    let changes: Vec<(Value, Value)> = p
        .notifications()
        .await
        .iter()
        .map(|m| (m["old_status"].clone(), m["new_status"].clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (Value::Null, json!("PENDING")),
            (json!("PENDING"), json!("PROCESSED")),
            (json!("PROCESSED"), json!("DELETED"))
        ]
    );

    // Audit: created, processed, download, deleted; intact; tampering is detected.
    let trail = p.audit.trail(&id).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["created", "processed", "download", "deleted"]);
    assert_eq!(verify_chain(&id, &trail), Ok(4));
    aws_sdk_dynamodb::Client::new(&p.sdk)
        .update_item()
        .table_name("audit")
        .key("document_id", AttributeValue::S(id.clone()))
        .key("seq", AttributeValue::N("2".into()))
        .update_expression("SET outcome = :o")
        .expression_attribute_values(":o", AttributeValue::S("tampered".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        verify_chain(&id, &p.audit.trail(&id).await.unwrap()),
        Err(TamperError::Modified { seq: 2 })
    );
}

#[tokio::test]
async fn audit_appends_are_transactions_with_an_anchor_and_dedupe_claims() {
    use docproc_core::audit::{append_event, verify_anchored, AuditHead, NewAuditEvent};
    use docproc_core::ports::Appended;
    let p = platform().await;
    let note = |i: u64| NewAuditEvent::new("ops", "note", "success", json!({"i": i}));
    for i in 0..3 {
        append_event(&p.audit, "trail-a", note(i), None)
            .await
            .unwrap();
    }
    let head = p.audit.head("trail-a").await.unwrap().unwrap();
    assert_eq!(head.seq, 3);
    let trail = p.audit.trail("trail-a").await.unwrap();
    assert_eq!(verify_anchored("trail-a", &trail, Some(&head)), Ok(3));
    assert_eq!(
        p.audit
            .page("trail-a", 1, 1)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        [2]
    );

    // Two writers sealed against the same anchor: one transaction wins, the
    // other is a Conflict and writes nothing (no event, anchor unchanged).
    let first = note(10).seal_after("trail-a", Some(&head), "2026-11-28T00:00:00Z".into());
    let second = note(11).seal_after("trail-a", Some(&head), "2026-11-28T00:00:01Z".into());
    assert_eq!(
        p.audit.append(&first, None).await.unwrap(),
        Appended::Stored
    );
    assert!(p
        .audit
        .append(&second, None)
        .await
        .unwrap_err()
        .is_conflict());
    assert_eq!(
        p.audit.head("trail-a").await.unwrap(),
        Some(AuditHead::of(&first))
    );
    assert_eq!(p.audit.trail("trail-a").await.unwrap().len(), 4);

    // A dedupe key claims one event; the same key again returns it.
    let a = append_event(&p.audit, "trail-a", note(20), Some("msg-1"))
        .await
        .unwrap();
    let b = append_event(&p.audit, "trail-a", note(21), Some("msg-1"))
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(p.audit.trail("trail-a").await.unwrap().len(), 5);

    // Deleting the newest event leaves a valid chain that the anchor refutes.
    aws_sdk_dynamodb::Client::new(&p.sdk)
        .delete_item()
        .table_name("audit")
        .key("document_id", AttributeValue::S("trail-a".into()))
        .key("seq", AttributeValue::N("5".into()))
        .send()
        .await
        .unwrap();
    let trail = p.audit.trail("trail-a").await.unwrap();
    assert_eq!(verify_chain("trail-a", &trail), Ok(4));
    let head = p.audit.head("trail-a").await.unwrap();
    assert_eq!(
        verify_anchored("trail-a", &trail, head.as_ref()),
        Err(TamperError::Truncated {
            expected: 5,
            found: 4
        })
    );
}

#[tokio::test]
async fn presigned_post_upload_and_hostile_document_quarantine() {
    let p = platform().await;
    let docx = corpus("zip-slip.docx");
    let body = json!({"filename": "contract.docx", "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "size": docx.len()});
    let (status, created) = p
        .call(
            "POST",
            "/documents/uploads",
            AccessLevel::ReadWrite,
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["document_id"].as_str().unwrap().to_string();
    let fields: Vec<(String, String)> = created["upload"]["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let (ct, form) = form_body(&fields, &docx);
    let (code, resp) = http_request(
        created["upload"]["url"].as_str().unwrap(),
        "POST",
        Some(&ct),
        &form,
    );
    assert!(
        (200..300).contains(&code),
        "POST upload failed: {code} {}",
        String::from_utf8_lossy(&resp)
    );

    let key = format!("incoming/acme/{id}");
    assert_eq!(
        p.process(&key, "01").await,
        Outcome::Rejected {
            document_id: id.clone(),
            reason: "zip_unsafe_path".into()
        }
    );
    let doc = p.documents.get(&id).await.unwrap().unwrap();
    assert_eq!(doc.status, DocumentStatus::Rejected);
    let s3 = s3_client(&p.sdk);
    let quarantined = s3
        .get_object()
        .bucket(BUCKET)
        .key(&doc.object_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        quarantined
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
            .to_vec(),
        docx
    );
    assert!(doc
        .object_key
        .starts_with(&format!("quarantine/acme/{id}/")));
    // The scanned version was deleted by its version id: nothing is left under
    // incoming/, not even a delete marker (a DELETE without a version id would
    // have left one on top of any newer upload). The quarantined copy is kept.
    assert!(s3
        .head_object()
        .bucket(BUCKET)
        .key(&key)
        .send()
        .await
        .is_err());
    let versions = s3
        .list_object_versions()
        .bucket(BUCKET)
        .prefix(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 0);
    assert_eq!(versions.delete_markers().len(), 0);
    // Quarantined content: not for read-write keys.
    assert_eq!(
        p.call(
            "GET",
            &format!("/documents/{id}/content"),
            AccessLevel::ReadWrite,
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        p.call(
            "GET",
            &format!("/documents/{id}/content"),
            AccessLevel::Admin,
            None
        )
        .await
        .0,
        200
    );
}

/// A verdict is final and written once, and each refused version is added
/// once, through the real DynamoDB adapter: its condition lets only a
/// PENDING document take a verdict, whatever the sequencers, and adds a
/// refused version only when it is not listed yet. The writes go one after
/// the other: DynamoDB checks the condition and writes atomically (contract
/// 54), but moto does not (two concurrent writes both passed the condition in
/// about one run in six here), so concurrency is the simulation's to
/// exercise (rust/sim, over the in-memory store), and this test pins the
/// conditions themselves.
#[tokio::test]
async fn a_verdict_and_each_refusal_are_written_once() {
    use docproc_core::document::Document;
    use docproc_core::ports::{OutcomeWrite, ProcessingOutcome};
    let p = platform().await;
    let doc = Document {
        filename: "a.txt".into(),
        declared_type: "text/plain".into(),
        size: 5,
        ..Document::pending("once", "acme", "incoming/acme/once", "2026-12-06T00:00:00Z")
    };
    p.documents.create(&doc).await.unwrap();
    let outcome = |sequencer: &str, status: DocumentStatus| ProcessingOutcome {
        document_id: "once".into(),
        status,
        size: 5,
        sha256: Some("ab".repeat(32)),
        detected_format: Some("text".into()),
        reason_code: (status == DocumentStatus::Rejected).then(|| "malformed".into()),
        reason_message: None,
        metadata: None,
        object_key: "incoming/acme/once".into(),
        sequencer: sequencer.into(),
        version_id: Some("v1".into()),
        object_version: Some("v1".into()),
        updated_at: "2026-12-06T00:00:01Z".into(),
    };
    // The first delivery's verdict is written; a second delivery of the same
    // version (a replay with a later sequencer) reaching another verdict is not.
    let first = outcome("0055AED6DCD90281E5", DocumentStatus::Processed);
    match p.documents.record_outcome(&first).await.unwrap() {
        OutcomeWrite::Applied { previous } => assert_eq!(*previous, doc),
        other => panic!("{other:?}"),
    }
    let stored = p.documents.get("once").await.unwrap().unwrap();
    assert_eq!(stored.status, DocumentStatus::Processed);
    assert_eq!(
        stored.source_sequencer.as_deref(),
        Some(first.sequencer.as_str())
    );
    for (sequencer, status) in [
        ("0055AED6DCD90281E6", DocumentStatus::Rejected),
        ("FFFFFFFFFFFFFFFFFF", DocumentStatus::Processed),
        ("0055AED6DCD90281E5", DocumentStatus::Processed),
    ] {
        assert_eq!(
            p.documents
                .record_outcome(&outcome(sequencer, status))
                .await
                .unwrap(),
            OutcomeWrite::Stale,
            "{sequencer} {status}"
        );
    }
    assert_eq!(p.documents.get("once").await.unwrap().unwrap(), stored);
    // A refused version is added once; its redeliveries add nothing.
    assert!(p.documents.record_refusal("once", "v2").await.unwrap());
    assert!(!p.documents.record_refusal("once", "v2").await.unwrap());
    assert!(p.documents.record_refusal("once", "v3").await.unwrap());
    assert!(!p.documents.record_refusal("once", "v2").await.unwrap());
    let refused = p
        .documents
        .get("once")
        .await
        .unwrap()
        .unwrap()
        .refused_versions;
    assert_eq!(refused.into_iter().collect::<Vec<_>>(), ["v2", "v3"]);
}
