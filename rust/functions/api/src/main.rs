//! Lambda entry point: loads configuration once, wires S3 and DynamoDB.

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use docproc_api::{Api, Config, INLINE_HARD_LIMIT, PRESIGNED_HARD_LIMIT};
use docproc_aws::dynamo::{DynamoAudit, DynamoDocuments};
use docproc_aws::env::{parsed, required, ConfigError};
use docproc_aws::s3::S3Objects;
use docproc_core::pagination::PageTokenKey;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::time::Duration;

/// The key page tokens are sealed with, derived from the documents KMS key
/// ARN and table name: stable across instances and deployments of the same
/// stack, different between stacks, and no new secret at rest. These inputs
/// are not secret, so the MAC is integrity protection (no tampering, no
/// replay against another listing or stack), not a secret boundary; the
/// handler still checks a token's client against the caller.
fn page_token_key(kms_key: &str, documents_table: &str) -> PageTokenKey {
    PageTokenKey::derive(&[kms_key, documents_table])
}

fn config(page_token_key: PageTokenKey) -> Result<Config, ConfigError> {
    let inline_max_bytes = parsed("INLINE_MAX_BYTES", INLINE_HARD_LIMIT)?;
    let upload_max_bytes = parsed("UPLOAD_MAX_BYTES", PRESIGNED_HARD_LIMIT)?;
    if inline_max_bytes > INLINE_HARD_LIMIT {
        return Err(ConfigError::Malformed {
            name: "INLINE_MAX_BYTES",
            message: format!("must be at most {INLINE_HARD_LIMIT}"),
        });
    }
    if upload_max_bytes > PRESIGNED_HARD_LIMIT {
        return Err(ConfigError::Malformed {
            name: "UPLOAD_MAX_BYTES",
            message: format!("must be at most {PRESIGNED_HARD_LIMIT}"),
        });
    }
    Ok(Config {
        inline_max_bytes,
        upload_max_bytes,
        upload_url_ttl: Duration::from_secs(parsed("UPLOAD_URL_TTL_SECONDS", 900)?),
        download_url_ttl: Duration::from_secs(parsed("DOWNLOAD_URL_TTL_SECONDS", 300)?),
        max_page_size: 100,
        require_content_md5: parsed("UPLOAD_CONTENT_MD5_REQUIRED", false)?,
        page_token_key,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    docproc_aws::init_tracing();
    let (documents_table, audit_table) = (required("DOCUMENTS_TABLE")?, required("AUDIT_TABLE")?);
    let (bucket, kms_key) = (
        required("DOCUMENTS_BUCKET")?,
        required("DOCUMENTS_KMS_KEY_ARN")?,
    );
    let config = config(page_token_key(&kms_key, &documents_table))?;
    let sdk = docproc_aws::sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let documents = DynamoDocuments::new(dynamodb.clone(), documents_table);
    let audit = DynamoAudit::new(dynamodb, audit_table);
    let objects = S3Objects::new(&sdk, bucket, kms_key);
    let api = Api {
        documents: &documents,
        audit: &audit,
        objects: &objects,
        config: &config,
    };
    let api = &api;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            Ok::<_, Error>(api.handle(&event.payload).await)
        },
    ))
    .await
}
