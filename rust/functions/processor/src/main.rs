//! Lambda entry point for S3 ObjectCreated notifications.

use docproc_aws::dynamo::{DynamoAudit, DynamoDocuments};
use docproc_aws::env::{parsed, required};
use docproc_aws::s3::S3Objects;
use docproc_engine::Limits;
use docproc_processor::{versions_from_event, Config, Processor};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Error> {
    docproc_aws::init_tracing();
    let max_document_bytes = parsed("MAX_DOCUMENT_BYTES", 5u64 << 30)?;
    let limits = Limits {
        max_size: max_document_bytes,
        time_budget: Duration::from_secs(parsed("ENGINE_TIME_BUDGET_SECONDS", 60)?),
        ..Limits::default()
    };
    let config = Config {
        max_document_bytes,
        scratch_dir: std::env::temp_dir(),
        limits,
        inspector: docproc_engine::inspect,
        inspect_on_blocking_thread: true,
    };
    let (documents_table, audit_table) = (required("DOCUMENTS_TABLE")?, required("AUDIT_TABLE")?);
    let (bucket, kms_key) = (
        required("DOCUMENTS_BUCKET")?,
        required("DOCUMENTS_KMS_KEY_ARN")?,
    );
    let sdk = docproc_aws::sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let documents = DynamoDocuments::new(dynamodb.clone(), documents_table);
    let audit = DynamoAudit::new(dynamodb, audit_table);
    // Set by modules/compute when the bucket has governance-mode Object Lock.
    let objects = S3Objects::new(&sdk, bucket, kms_key)
        .bypassing_governance_retention(parsed("S3_BYPASS_GOVERNANCE_RETENTION", false)?);
    let processor = Processor {
        documents: &documents,
        audit: &audit,
        objects: &objects,
        config: &config,
    };
    let processor = &processor;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            // Any error fails the invocation: Lambda retries it, then sends it to
            // the dead-letter destination. Processing is idempotent per version.
            let mut outcomes = Vec::new();
            for version in versions_from_event(event.payload)? {
                outcomes.push(format!("{:?}", processor.process(&version).await?));
            }
            Ok::<_, Error>(serde_json::json!({ "outcomes": outcomes }))
        },
    ))
    .await
}
