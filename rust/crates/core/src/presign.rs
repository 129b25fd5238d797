//! SigV4-signed S3 POST policies. The Rust SDK presigns GET/PUT but not POST,
//! and only a POST policy can pin the content-length range of an upload.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;
use std::collections::BTreeMap;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct SigningCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for SigningCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct PostPolicyRequest {
    /// Form action, e.g. `https://bucket.s3.us-east-1.amazonaws.com/`.
    pub url: String,
    pub bucket: String,
    pub key: String,
    pub region: String,
    pub kms_key_id: String,
    pub min_size: u64,
    pub max_size: u64,
    pub now: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// `x-amz-meta-*` fields pinned to exact values.
    pub metadata: BTreeMap<String, String>,
    /// Base64 of the file's 16-byte MD5 digest, if the client declared it.
    pub content_md5: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PresignedPost {
    pub url: String,
    pub fields: BTreeMap<String, String>,
    pub expires_at: String,
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key for one day, region and service.
pub fn signing_key(secret: &str, yyyymmdd: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), yyyymmdd.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Signs a base64-encoded POST policy (the policy itself is the string to sign).
pub fn sign_policy(base64_policy: &str, key: &[u8; 32]) -> String {
    hex::encode(hmac(key, base64_policy.as_bytes()))
}

fn amz_date(t: OffsetDateTime) -> (String, String) {
    let date = format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day());
    let stamp = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    (date, stamp)
}

/// The POST form field S3 checks the uploaded file against: "To ensure that
/// data is not corrupted while traversing the network, use the Content-MD5
/// form field. When you use this form field, Amazon S3 checks the object
/// against the provided MD5 value. If they do not match, Amazon S3 returns an
/// error." (<https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>)
/// ("Parameters that are passed to PUT through HTTP headers are instead
/// passed as form fields to POST", same page.)
/// A bucket with an Object Lock default retention period requires uploads to
/// carry it (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-overview.html>:
/// "If you configure a default retention period on a bucket, requests to
/// upload objects in such a bucket must include the Content-MD5 header").
pub const CONTENT_MD5_FIELD: &str = "Content-MD5";

/// Builds the form fields of a presigned POST that only accepts one exact key,
/// a size within `[min_size, max_size]`, SSE-KMS with the given key and, when
/// declared, exactly the bytes whose MD5 is `content_md5`. Every returned
/// field is pinned with an `eq` condition: "Each form field that you specify
/// in a form (except x-amz-signature, file, policy, and field names that have
/// an x-ignore- prefix) must appear in the list of conditions."
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>)
pub fn presigned_post(req: &PostPolicyRequest, creds: &SigningCredentials) -> PresignedPost {
    let (date, stamp) = amz_date(req.now);
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        creds.access_key_id, req.region
    );
    let mut fields = BTreeMap::new();
    fields.insert("key".to_string(), req.key.clone());
    fields.insert(
        "x-amz-server-side-encryption".to_string(),
        "aws:kms".to_string(),
    );
    fields.insert(
        "x-amz-server-side-encryption-aws-kms-key-id".to_string(),
        req.kms_key_id.clone(),
    );
    fields.insert(
        "x-amz-algorithm".to_string(),
        "AWS4-HMAC-SHA256".to_string(),
    );
    fields.insert("x-amz-credential".to_string(), credential);
    fields.insert("x-amz-date".to_string(), stamp);
    if let Some(token) = &creds.session_token {
        fields.insert("x-amz-security-token".to_string(), token.clone());
    }
    for (name, value) in &req.metadata {
        fields.insert(format!("x-amz-meta-{name}"), value.clone());
    }
    if let Some(md5) = &req.content_md5 {
        fields.insert(CONTENT_MD5_FIELD.to_string(), md5.clone());
    }

    let mut conditions = vec![json!({"bucket": req.bucket})];
    conditions.extend(
        fields
            .iter()
            .map(|(k, v)| json!(["eq", format!("${k}"), v])),
    );
    conditions.push(json!(["content-length-range", req.min_size, req.max_size]));
    let policy = json!({
        "expiration": crate::time_fmt::format(req.expires_at),
        "conditions": conditions,
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let key = signing_key(&creds.secret_access_key, &date, &req.region, "s3");
    fields.insert("x-amz-signature".to_string(), sign_policy(&encoded, &key));
    fields.insert("policy".to_string(), encoded);
    PresignedPost {
        url: req.url.clone(),
        fields,
        expires_at: crate::time_fmt::format(req.expires_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The policy of AWS's "Browser-Based Upload using HTTP POST (Signature
    /// Version 4)" example, with its CRLF line endings.
    const AWS_EXAMPLE_POLICY: &[&str] = &[
        r#"{ "expiration": "2015-12-30T12:00:00.000Z","#,
        r#"  "conditions": ["#,
        r#"    {"bucket": "sigv4examplebucket"},"#,
        r#"    ["starts-with", "$key", "user/user1/"],"#,
        r#"    {"acl": "public-read"},"#,
        r#"    {"success_action_redirect": "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},"#,
        r#"    ["starts-with", "$Content-Type", "image/"],"#,
        r#"    {"x-amz-meta-uuid": "14365123651274"},"#,
        r#"    {"x-amz-server-side-encryption": "AES256"},"#,
        r#"    ["starts-with", "$x-amz-meta-tag", ""],"#,
        "",
        r#"    {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},"#,
        r#"    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},"#,
        r#"    {"x-amz-date": "20151229T000000Z" }"#,
        r#"  ]"#,
        r#"}"#,
    ];

    #[test]
    fn matches_the_aws_documented_post_example() {
        let policy = AWS_EXAMPLE_POLICY.join("\r\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(policy);
        assert!(encoded.starts_with("eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0K"));
        assert!(encoded.ends_with("IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"));
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "20151229",
            "us-east-1",
            "s3",
        );
        assert_eq!(
            sign_policy(&encoded, &key),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
    }

    #[test]
    fn matches_the_aws_documented_signing_key_derivation() {
        // "Examples of how to derive a signing key for Signature Version 4".
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn post_policy_pins_key_size_and_encryption() {
        let req = PostPolicyRequest {
            url: "https://b.s3.us-east-1.amazonaws.com/".into(),
            bucket: "b".into(),
            key: "incoming/acme/d1".into(),
            region: "us-east-1".into(),
            kms_key_id: "arn:aws:kms:us-east-1:1:key/k".into(),
            min_size: 1,
            max_size: 5 << 30,
            now: datetime!(2026-01-02 03:04:05 UTC),
            expires_at: datetime!(2026-01-02 03:19:05 UTC),
            metadata: BTreeMap::from([("client-id".to_string(), "acme".to_string())]),
            content_md5: None,
        };
        let creds = SigningCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: Some("tok".into()),
        };
        let post = presigned_post(&req, &creds);
        let policy: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&post.fields["policy"])
                .unwrap(),
        )
        .unwrap();
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!(["eq", "$key", "incoming/acme/d1"])));
        assert!(conditions.contains(&json!(["content-length-range", 1, 5u64 << 30])));
        assert!(conditions.contains(&json!(["eq", "$x-amz-server-side-encryption", "aws:kms"])));
        assert!(conditions.contains(&json!(["eq", "$x-amz-meta-client-id", "acme"])));
        assert!(conditions.contains(&json!(["eq", "$x-amz-security-token", "tok"])));
        assert_eq!(policy["expiration"], "2026-01-02T03:19:05Z");
        assert_eq!(
            post.fields["x-amz-credential"],
            "AKID/20260102/us-east-1/s3/aws4_request"
        );
        assert_eq!(post.fields["x-amz-date"], "20260102T030405Z");
        let key = signing_key("secret", "20260102", "us-east-1", "s3");
        assert_eq!(
            post.fields["x-amz-signature"],
            sign_policy(&post.fields["policy"], &key)
        );
    }

    #[test]
    fn a_declared_md5_is_a_form_field_pinned_by_the_policy() {
        // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72, base64 as S3 expects.
        let md5 = "kAFQmDzST7DWlj99KOF/cg==";
        let req = PostPolicyRequest {
            url: "https://b.s3.us-east-1.amazonaws.com/".into(),
            bucket: "b".into(),
            key: "incoming/acme/d1".into(),
            region: "us-east-1".into(),
            kms_key_id: "k".into(),
            min_size: 1,
            max_size: 3,
            now: datetime!(2026-01-02 03:04:05 UTC),
            expires_at: datetime!(2026-01-02 03:19:05 UTC),
            metadata: BTreeMap::new(),
            content_md5: Some(md5.into()),
        };
        let creds = SigningCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let post = presigned_post(&req, &creds);
        assert_eq!(post.fields["Content-MD5"], md5);
        let policy: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&post.fields["policy"])
                .unwrap(),
        )
        .unwrap();
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!(["eq", "$Content-MD5", md5])));
        // Every field the client sends (except the documented exemptions) has a condition.
        for name in post.fields.keys() {
            if name == "policy" || name == "x-amz-signature" {
                continue;
            }
            assert!(
                conditions.iter().any(|c| c[1] == json!(format!("${name}"))),
                "{name} has no policy condition"
            );
        }
    }
}
