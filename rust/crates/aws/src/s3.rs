//! S3 adapter: SSE-KMS writes with integrity checksums, streaming hashed
//! downloads, version-exact copies, deletes and presigned URLs.

use crate::errors::classify;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::operation::copy_object::builders::CopyObjectFluentBuilder;
use aws_sdk_s3::operation::delete_object::builders::DeleteObjectFluentBuilder;
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, MetadataDirective, ServerSideEncryption};
use aws_sdk_s3::Client;
use docproc_core::ports::{
    DownloadedObject, ObjectMetadata, ObjectStore, ResponseHeaders, StoreResult, VersionRef,
};
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
    bypass_governance_retention: bool,
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
            bypass_governance_retention: false,
        }
    }

    /// Deletes send `x-amz-bypass-governance-retention: true`: with Object
    /// Lock default retention in governance mode, "to override or remove
    /// governance-mode retention settings, you must have the
    /// s3:BypassGovernanceRetention permission and must explicitly include
    /// x-amz-bypass-governance-retention:true as a request header"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-bypass).
    /// The processor removes refused and rejected versions from `incoming/`
    /// this way; the role grants the permission on those prefixes only.
    pub fn bypassing_governance_retention(mut self, bypass: bool) -> Self {
        self.bypass_governance_retention = bypass;
        self
    }

    /// ListObjectVersions under `prefix`, every page. S3 lists keys in
    /// order and "returns object versions in the order in which they were
    /// stored, with the most recently stored returned first"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/list-obj-version-enabled-bucket.html),
    /// so each key's run is reversed; a prefix also matches longer keys,
    /// which callers filter out. Delete markers are listed apart and
    /// left out. Needs `s3:ListBucketVersions` on the bucket.
    async fn list_versions(&self, prefix: &str) -> StoreResult<Vec<VersionRef>> {
        // A presigned form can be posted again until it expires; past this
        // many versions under one document something is wrong: fail loudly.
        const MAX_PAGES: usize = 20;
        let mut listed: Vec<VersionRef> = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        for _ in 0..MAX_PAGES {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(classify)?;
            listed.extend(page.versions().iter().filter_map(|v| {
                Some(VersionRef {
                    key: v.key()?.to_string(),
                    version_id: v.version_id()?.to_string(),
                })
            }));
            if page.is_truncated() != Some(true) {
                return Ok(oldest_first(listed));
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
        Err(StoreError::Permanent(format!(
            "{prefix} has more versions than {MAX_PAGES} pages list"
        )))
    }

    /// A presigned GET of one object version: "To retrieve a specific
    /// version, you have to specify its version ID"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RetrievingObjectVersions.html).
    /// The `versionId` query parameter is part of the signed URL; the signer
    /// needs `s3:GetObjectVersion`. With `headers`, the response header
    /// overrides are signed too.
    async fn presign_get_with(
        &self,
        key: &str,
        version_id: Option<&str>,
        expires_in: Duration,
        headers: Option<&ResponseHeaders>,
    ) -> StoreResult<String> {
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| StoreError::Permanent(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .set_response_content_disposition(headers.map(|h| h.content_disposition.clone()))
            .set_response_content_type(headers.map(|h| h.content_type.clone()))
            .presigned(config)
            .await
            .map_err(classify)?;
        Ok(req.uri().to_string())
    }

    /// PutObject with SSE-KMS and an explicit SHA-256 checksum. S3 verifies
    /// the body against `x-amz-checksum-sha256` ("the Base64 encoded, 256-bit
    /// SHA256 digest of the object"), and a bucket with an Object Lock default
    /// retention period refuses uploads without one: "The Content-MD5 or
    /// x-amz-sdk-checksum-algorithm header is required for any request to
    /// upload an object with a retention period configured using Amazon S3
    /// Object Lock" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
    /// The SDK would add a CRC32 by default (`RequestChecksumCalculation::
    /// WhenSupported`), but not when the environment sets
    /// `AWS_REQUEST_CHECKSUM_CALCULATION=when_required`; setting algorithm and
    /// value here sends both headers whatever the configuration.
    pub fn put_request(
        &self,
        key: &str,
        body: Vec<u8>,
        metadata: &ObjectMetadata,
    ) -> PutObjectFluentBuilder {
        let sha256 = docproc_core::document::checksum_sha256(&body);
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
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(sha256)
    }

    /// CopyObject of one exact source version. `x-amz-checksum-algorithm`
    /// makes S3 compute a SHA-256 for the copy ("Indicates the algorithm that
    /// you want Amazon S3 to use to create the checksum for the object",
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    pub fn copy_request(
        &self,
        from_key: &str,
        from_version: Option<&str>,
        to_key: &str,
    ) -> CopyObjectFluentBuilder {
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
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
    }

    /// DeleteObject. With a version id it removes exactly that version: "To
    /// delete versioned objects permanently, you must use DELETE Object
    /// versionId"; without one, "a simple DELETE cannot permanently delete an
    /// object. Instead, Amazon S3 inserts a delete marker", which would hide a
    /// newer upload of the same key
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html,
    /// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html).
    /// Needs `s3:DeleteObjectVersion`; a version under Object Lock retention
    /// cannot be deleted (AccessDenied).
    pub fn delete_request(&self, key: &str, version_id: Option<&str>) -> DeleteObjectFluentBuilder {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .set_bypass_governance_retention(self.bypass_governance_retention.then_some(true))
    }

    fn post_url(&self, region: &str) -> String {
        match endpoint_override(&self.config) {
            Some(endpoint) => format!("{}/{}/", endpoint.trim_end_matches('/'), self.bucket),
            None => format!("https://{}.s3.{region}.amazonaws.com/", self.bucket),
        }
    }
}

/// S3's listing order (keys ascending, each key newest first) turned into
/// each key's versions oldest first.
fn oldest_first(listed: Vec<VersionRef>) -> Vec<VersionRef> {
    let mut runs: Vec<Vec<VersionRef>> = Vec::new();
    for v in listed {
        match runs.last_mut() {
            Some(run) if run[0].key == v.key => run.push(v),
            _ => runs.push(vec![v]),
        }
    }
    runs.into_iter()
        .flat_map(|run| run.into_iter().rev())
        .collect()
}

impl ObjectStore for S3Objects {
    async fn put(&self, key: &str, body: Vec<u8>, metadata: &ObjectMetadata) -> StoreResult<()> {
        self.put_request(key, body, metadata)
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
            return Err(StoreError::TooLarge { limit: max_bytes });
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
                return Err(StoreError::TooLarge { limit: max_bytes });
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
    ) -> StoreResult<Option<String>> {
        let out = self
            .copy_request(from_key, from_version, to_key)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.version_id().map(str::to_string))
    }

    async fn delete(&self, key: &str, version_id: Option<&str>) -> StoreResult<()> {
        self.delete_request(key, version_id)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn versions(&self, prefix: &str) -> StoreResult<Vec<VersionRef>> {
        self.list_versions(prefix).await
    }

    /// A presigned GET of one object version: "To retrieve a specific
    /// version, you have to specify its version ID"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/RetrievingObjectVersions.html).
    /// The `versionId` query parameter is part of the signed URL; the signer
    /// needs `s3:GetObjectVersion`.
    async fn presign_get(
        &self,
        key: &str,
        version_id: Option<&str>,
        expires_in: Duration,
    ) -> StoreResult<String> {
        self.presign_get_with(key, version_id, expires_in, None)
            .await
    }

    /// GetObject's `response-content-disposition` and `response-content-type`
    /// make S3 send those headers instead of the stored ones; "you must sign
    /// the request, either using an Authorization header or a presigned URL,
    /// when using these parameters"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    /// Set on the request before presigning, they are part of the signed
    /// query string, so the URL's holder cannot change them.
    async fn presign_download(
        &self,
        key: &str,
        version_id: Option<&str>,
        expires_in: Duration,
        headers: &ResponseHeaders,
    ) -> StoreResult<String> {
        self.presign_get_with(key, version_id, expires_in, Some(headers))
            .await
    }

    async fn presign_post(
        &self,
        key: &str,
        max_size: u64,
        expires_in: Duration,
        metadata: &BTreeMap<String, String>,
        content_md5: Option<&str>,
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
            content_md5: content_md5.map(str::to_string),
        };
        let signing = SigningCredentials {
            access_key_id: creds.access_key_id().to_string(),
            secret_access_key: creds.secret_access_key().to_string(),
            session_token: creds.session_token().map(str::to_string),
        };
        Ok(presigned_post(&request, &signing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S3 lists keys in order and each key's versions newest first
    /// (API_ListObjectVersions.html): each key's run comes back oldest first.
    #[test]
    fn listed_versions_run_oldest_first_per_key() {
        let v = |key: &str, id: &str| VersionRef {
            key: key.into(),
            version_id: id.into(),
        };
        let listed = vec![
            v("a", "a3"),
            v("a", "a2"),
            v("a", "a1"),
            v("b", "b2"),
            v("b", "b1"),
        ];
        assert_eq!(
            oldest_first(listed),
            vec![
                v("a", "a1"),
                v("a", "a2"),
                v("a", "a3"),
                v("b", "b1"),
                v("b", "b2")
            ]
        );
        assert!(oldest_first(Vec::new()).is_empty());
    }
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;

    /// A presigned URL's query parameters, decoded.
    fn query_params(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| {
                let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                (k.to_string(), decoded.into_owned())
            })
            .collect()
    }

    fn objects() -> S3Objects {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            )))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        S3Objects::new(&config, "docs-bucket", "arn:aws:kms:us-east-1:1:key/k")
    }

    #[test]
    fn inline_puts_carry_an_explicit_sha256_checksum() {
        let s3 = objects();
        let put = s3.put_request(
            "incoming/acme/d1",
            b"abc".to_vec(),
            &ObjectMetadata::default(),
        );
        let input = put.as_input();
        // Both headers Object Lock accepts and S3 verifies: the algorithm
        // (x-amz-sdk-checksum-algorithm) and the base64 SHA-256 of "abc".
        assert_eq!(
            input.get_checksum_algorithm(),
            &Some(ChecksumAlgorithm::Sha256)
        );
        assert_eq!(
            input.get_checksum_sha256().as_deref(),
            Some("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        );
        assert_eq!(
            input.get_server_side_encryption(),
            &Some(ServerSideEncryption::AwsKms)
        );
    }

    /// Records the headers of the request about to be sent, then stops it.
    #[derive(Debug, Default, Clone)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

    impl aws_sdk_s3::config::Intercept for Capture {
        fn name(&self) -> &'static str {
            "Capture"
        }

        fn read_before_transmit(
            &self,
            context: &aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
            _: &aws_sdk_s3::config::RuntimeComponents,
            _: &mut aws_sdk_s3::config::ConfigBag,
        ) -> Result<(), aws_sdk_s3::error::BoxError> {
            let headers = context
                .request()
                .headers()
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect();
            *self.0.lock().unwrap() = headers;
            Err("captured; not sent".into())
        }
    }

    #[tokio::test]
    async fn the_put_sent_carries_the_checksum_even_when_checksums_are_only_when_required() {
        let config = aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            )))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .build();
        let s3 = S3Objects::new(&config, "docs-bucket", "k");
        let capture = Capture::default();
        let result = s3
            .put_request(
                "incoming/acme/d1",
                b"abc".to_vec(),
                &ObjectMetadata::default(),
            )
            .customize()
            .interceptor(capture.clone())
            .send()
            .await;
        assert!(result.is_err(), "the capture stops the request");
        let headers = capture.0.lock().unwrap().clone();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("x-amz-sdk-checksum-algorithm"), Some("SHA256"));
        assert_eq!(
            header("x-amz-checksum-sha256"),
            Some("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        );
    }

    #[test]
    fn copies_name_the_source_version_and_ask_for_a_checksum() {
        let s3 = objects();
        let copy = s3.copy_request("incoming/acme/my file", Some("v1"), "quarantine/acme/d/1");
        let input = copy.as_input();
        assert_eq!(
            input.get_copy_source().as_deref(),
            Some("docs-bucket/incoming/acme/my%20file?versionId=v1")
        );
        assert_eq!(
            input.get_checksum_algorithm(),
            &Some(ChecksumAlgorithm::Sha256)
        );
    }

    #[test]
    fn deletes_of_a_scanned_object_name_its_version() {
        let s3 = objects();
        let exact = s3.delete_request(
            "incoming/acme/d1",
            Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
        );
        assert_eq!(
            exact.as_input().get_version_id().as_deref(),
            Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
        );
        // Without a version id it would only add a delete marker.
        assert_eq!(
            s3.delete_request("k", None).as_input().get_version_id(),
            &None
        );
    }

    #[tokio::test]
    async fn presigned_gets_are_for_one_version() {
        let s3 = objects();
        let url = s3
            .presign_get(
                "incoming/acme/d1",
                Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
                Duration::from_secs(300),
            )
            .await
            .unwrap();
        let params = query_params(&url);
        assert!(
            params.contains(&(
                "versionId".into(),
                "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY".into()
            )),
            "{url}"
        );
        assert!(
            params.contains(&("X-Amz-Expires".into(), "300".into())),
            "{url}"
        );
        let unversioned = s3
            .presign_get("incoming/acme/d1", None, Duration::from_secs(300))
            .await
            .unwrap();
        assert!(!unversioned.contains("versionId"));
        assert!(!unversioned.contains("response-content"));
    }

    #[tokio::test]
    async fn presigned_downloads_sign_the_response_header_overrides() {
        let s3 = objects();
        let headers = ResponseHeaders {
            content_disposition: "attachment; filename=\"a b.pdf\"".into(),
            content_type: "application/pdf".into(),
        };
        let url = s3
            .presign_download(
                "incoming/acme/d1",
                Some("v1"),
                Duration::from_secs(300),
                &headers,
            )
            .await
            .unwrap();
        let params = query_params(&url);
        for expected in [
            (
                "response-content-disposition",
                "attachment; filename=\"a b.pdf\"",
            ),
            ("response-content-type", "application/pdf"),
            ("versionId", "v1"),
        ] {
            assert!(
                params.contains(&(expected.0.into(), expected.1.into())),
                "{expected:?} in {url}"
            );
        }
        // Query-string authentication: the signature covers the query.
        assert!(params.iter().any(|(k, _)| k == "X-Amz-Signature"), "{url}");
    }
}
