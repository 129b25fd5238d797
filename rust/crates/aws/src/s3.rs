//! S3 adapter: SSE-KMS writes, streaming hashed downloads, presigned URLs.

use crate::dynamo::classify;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{MetadataDirective, ServerSideEncryption};
use aws_sdk_s3::Client;
use docproc_core::ports::{DownloadedObject, ObjectMetadata, ObjectStore, StoreResult};
use docproc_core::presign::{presigned_post, PostPolicyRequest, PresignedPost, SigningCredentials};
use docproc_core::StoreError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug)]
pub struct S3Objects {
    client: Client,
    config: aws_config::SdkConfig,
    bucket: String,
    kms_key_id: String,
}

/// The S3 endpoint override, if any (emulators): service-specific first.
fn endpoint_override(config: &aws_config::SdkConfig) -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL_S3")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| config.endpoint_url().map(str::to_string))
}

impl S3Objects {
    /// Emulators on 127.0.0.1 need path-style addressing; real S3 uses virtual hosts.
    pub fn new(
        config: &aws_config::SdkConfig,
        bucket: impl Into<String>,
        kms_key_id: impl Into<String>,
    ) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(endpoint_override(config).is_some())
            .build();
        S3Objects {
            client: Client::from_conf(s3_config),
            config: config.clone(),
            bucket: bucket.into(),
            kms_key_id: kms_key_id.into(),
        }
    }

    fn post_url(&self, region: &str) -> String {
        match endpoint_override(&self.config) {
            Some(endpoint) => format!("{}/{}/", endpoint.trim_end_matches('/'), self.bucket),
            None => format!("https://{}.s3.{region}.amazonaws.com/", self.bucket),
        }
    }
}

impl ObjectStore for S3Objects {
    async fn put(&self, key: &str, body: Vec<u8>, metadata: &ObjectMetadata) -> StoreResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .content_type(&metadata.content_type)
            .set_metadata(Some(metadata.user.clone().into_iter().collect()))
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.kms_key_id)
            .bucket_key_enabled(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn download(
        &self,
        key: &str,
        version_id: Option<&str>,
        dest: &Path,
        max_bytes: u64,
    ) -> StoreResult<DownloadedObject> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(classify)?;
        if out.content_length().is_some_and(|n| n as u64 > max_bytes) {
            return Err(StoreError::Permanent(format!(
                "object {key} exceeds {max_bytes} bytes"
            )));
        }
        let mut body = out.body;
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(|e| StoreError::Transient(format!("scratch file: {e}")))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| StoreError::Transient(format!("reading {key}: {e}")))?
        {
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(StoreError::Permanent(format!(
                    "object {key} exceeds {max_bytes} bytes"
                )));
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| StoreError::Transient(format!("scratch file: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| StoreError::Transient(format!("scratch file: {e}")))?;
        Ok(DownloadedObject {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    async fn copy(
        &self,
        from_key: &str,
        from_version: Option<&str>,
        to_key: &str,
    ) -> StoreResult<()> {
        let encoded =
            percent_encoding::utf8_percent_encode(from_key, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
                .replace("%2F", "/");
        let source = match from_version {
            Some(v) => format!("{}/{encoded}?versionId={v}", self.bucket),
            None => format!("{}/{encoded}", self.bucket),
        };
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(source)
            .key(to_key)
            .metadata_directive(MetadataDirective::Copy)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.kms_key_id)
            .bucket_key_enabled(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn presign_get(&self, key: &str, expires_in: Duration) -> StoreResult<String> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| StoreError::Permanent(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(classify)?;
        Ok(req.uri().to_string())
    }

    async fn presign_post(
        &self,
        key: &str,
        max_size: u64,
        expires_in: Duration,
        metadata: &BTreeMap<String, String>,
    ) -> StoreResult<PresignedPost> {
        let provider = self
            .config
            .credentials_provider()
            .ok_or_else(|| StoreError::Permanent("no AWS credentials provider".into()))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| StoreError::Transient(format!("credentials: {e}")))?;
        let region = self
            .config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".to_string());
        let now = time::OffsetDateTime::now_utc();
        let request = PostPolicyRequest {
            url: self.post_url(&region),
            bucket: self.bucket.clone(),
            key: key.to_string(),
            region,
            kms_key_id: self.kms_key_id.clone(),
            min_size: 1,
            max_size,
            now,
            expires_at: now + expires_in,
            metadata: metadata.clone(),
        };
        let signing = SigningCredentials {
            access_key_id: creds.access_key_id().to_string(),
            secret_access_key: creds.secret_access_key().to_string(),
            session_token: creds.session_token().map(str::to_string),
        };
        Ok(presigned_post(&request, &signing))
    }
}
