//! Documents and their lifecycle.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentStatus {
    /// Recorded by the API, waiting for (or being) processed.
    Pending,
    Processed,
    /// The engine refused it; the object sits under the quarantine prefix.
    Rejected,
    /// Logically deleted by an admin; objects are kept for the audit trail.
    Deleted,
}

impl DocumentStatus {
    pub const ALL: [DocumentStatus; 4] = [
        DocumentStatus::Pending,
        DocumentStatus::Processed,
        DocumentStatus::Rejected,
        DocumentStatus::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentStatus::Pending => "PENDING",
            DocumentStatus::Processed => "PROCESSED",
            DocumentStatus::Rejected => "REJECTED",
            DocumentStatus::Deleted => "DELETED",
        }
    }

    /// PROCESSED or REJECTED: a verdict, which is final.
    pub fn is_verdict(self) -> bool {
        matches!(self, DocumentStatus::Processed | DocumentStatus::Rejected)
    }

    pub fn parse(s: &str) -> Option<DocumentStatus> {
        DocumentStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the document's bytes reached the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadMethod {
    Inline,
    Presigned,
}

/// One row of the documents table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub document_id: String,
    pub client_id: String,
    pub status: DocumentStatus,
    pub filename: String,
    pub declared_type: String,
    pub upload_method: UploadMethod,
    /// Declared size at creation; the real size once processed.
    pub size: u64,
    pub object_key: String,
    pub created_at: String,
    pub updated_at: String,
    /// SHA-256 of the creating request body, for `Idempotency-Key` replays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
    /// Normalised S3 sequencer of the object version that produced the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sequencer: Option<String>,
    /// Version id of the uploaded object version that was scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Version id of the object at `object_key` that the status describes:
    /// the scanned upload when processed, the quarantined copy when rejected.
    /// Downloads are presigned for exactly this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_version: Option<String>,
    /// Versions uploaded under the document's key after its verdict (or
    /// beside its first complete version) that were refused: each one is
    /// audited, announced once and removed. At most [`MAX_REFUSED_VERSIONS`]
    /// are listed here; the audit trail records every one.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub refused_versions: BTreeSet<String>,
}

impl Document {
    /// A PENDING record of `client_id`'s document whose upload goes to
    /// `object_key`, created at `at`: nothing judged, nothing refused. The
    /// upload's name, type, method and declared size are an octet-stream
    /// upload through a form of unknown size until the caller says otherwise
    /// (`Document { filename, ..Document::pending(...) }`).
    pub fn pending(document_id: &str, client_id: &str, object_key: &str, at: &str) -> Document {
        Document {
            document_id: document_id.to_string(),
            client_id: client_id.to_string(),
            status: DocumentStatus::Pending,
            filename: document_id.to_string(),
            declared_type: "application/octet-stream".to_string(),
            upload_method: UploadMethod::Presigned,
            size: 0,
            object_key: object_key.to_string(),
            created_at: at.to_string(),
            updated_at: at.to_string(),
            request_hash: None,
            sha256: None,
            detected_format: None,
            reason_code: None,
            reason_message: None,
            metadata: None,
            source_sequencer: None,
            source_version: None,
            object_version: None,
            refused_versions: BTreeSet::new(),
        }
    }
}

/// How many refused version ids a record lists (a DynamoDB item holds at most
/// 400 KB; a version id is up to 1,024 bytes).
pub const MAX_REFUSED_VERSIONS: usize = 100;

/// The public JSON view of a document (no internal fields).
pub fn public_view(doc: &Document) -> serde_json::Value {
    serde_json::json!({
        "document_id": doc.document_id,
        "client_id": doc.client_id,
        "status": doc.status,
        "filename": doc.filename,
        "declared_type": doc.declared_type,
        "size": doc.size,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "sha256": doc.sha256,
        "detected_format": doc.detected_format,
        "reason": doc.reason_code.as_ref().map(|code| serde_json::json!({
            "code": code,
            "message": doc.reason_message,
        })),
        "metadata": doc.metadata,
    })
}

/// Width every stored sequencer is padded to. S3 does not document a maximum
/// length (observed values are 16-20 hex digits); longer values are refused.
pub const SEQUENCER_WIDTH: usize = 64;

/// Normalises an S3 event `sequencer` so that plain string comparison gives
/// the event order S3 documents: "The sequencers can be of different lengths.
/// So, to compare these values, first right pad the shorter value with zeros,
/// and then do a lexicographical comparison."
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>)
///
/// Right-padding every value to one fixed width makes any two normalised
/// values compare exactly as that rule compares the originals. Hex digits are
/// upper-cased because DynamoDB, where the value is compared in condition
/// expressions, "collates and compares strings using the bytes of the
/// underlying UTF-8 string encoding"
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html>),
/// and `0-9` < `A-F` in that encoding matches their hexadecimal order.
/// Normalising an already normalised value returns it unchanged.
pub fn normalize_sequencer(sequencer: &str) -> Option<String> {
    let s = sequencer.trim();
    if s.is_empty() || s.len() > SEQUENCER_WIDTH || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!(
        "{:0<width$}",
        s.to_ascii_uppercase(),
        width = SEQUENCER_WIDTH
    ))
}

/// Document ids are derived from the idempotency key when one is given, so a
/// retried request maps to the same record; otherwise they are random.
pub fn document_id_for(
    client_id: &str,
    idempotency_key: Option<&str>,
    random: &[u8; 16],
) -> String {
    match idempotency_key {
        Some(key) => {
            let digest = Sha256::digest(format!("{client_id}\n{key}").as_bytes());
            format!("d{}", &hex::encode(digest)[..31])
        }
        None => format!("d{}", &hex::encode(random)[..31]),
    }
}

pub fn validate_document_id(id: &str) -> Result<(), DomainError> {
    if id.len() == 32
        && id.starts_with('d')
        && id[1..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        Ok(())
    } else {
        Err(DomainError::NotFound(format!(
            "document {id:?} does not exist"
        )))
    }
}

pub fn validate_idempotency_key(key: &str) -> Result<(), DomainError> {
    if (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(DomainError::Invalid {
            field: "Idempotency-Key",
            message: "must be 1-128 printable ASCII characters".into(),
        })
    }
}

/// Filenames are metadata only (never used as paths) but still end up in
/// headers and logs, so control characters and path separators are refused.
pub fn validate_filename(name: &str) -> Result<(), DomainError> {
    let invalid = |message: &str| DomainError::Invalid {
        field: "filename",
        message: message.into(),
    };
    if name.is_empty() || name.len() > 255 {
        return Err(invalid("must be 1-255 bytes"));
    }
    if name == "." || name == ".." {
        return Err(invalid("must not be '.' or '..'"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(invalid(
            "must not contain control characters or path separators",
        ));
    }
    Ok(())
}

/// A declared upload checksum: "The base64-encoded 128-bit MD5 digest" of the
/// file (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>,
/// `Content-MD5`), i.e. standard base64 of exactly 16 bytes, with padding.
pub fn validate_content_md5(value: &str) -> Result<(), DomainError> {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(value) {
        Ok(digest) if digest.len() == 16 => Ok(()),
        _ => Err(DomainError::Invalid {
            field: "content_md5",
            message: "must be the base64 of the file's 16-byte MD5 digest (24 characters)".into(),
        }),
    }
}

/// S3's SHA-256 checksum form: "The Base64 encoded, 256-bit SHA256 digest of
/// the object" (`x-amz-checksum-sha256`,
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>).
pub fn checksum_sha256(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

pub fn validate_size(size: u64, max: u64) -> Result<(), DomainError> {
    if size == 0 {
        return Err(DomainError::Invalid {
            field: "size",
            message: "document is empty".into(),
        });
    }
    if size > max {
        return Err(DomainError::Invalid {
            field: "size",
            message: format!("{size} bytes exceeds the limit of {max} bytes"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S3's rule: right-pad the shorter sequencer with zeros, then compare
    /// lexicographically (notification-content-structure.html).
    fn aws_order(a: &str, b: &str) -> std::cmp::Ordering {
        let width = a.len().max(b.len());
        format!("{a:0<width$}").cmp(&format!("{b:0<width$}"))
    }

    #[test]
    fn a_shorter_sequencer_is_right_padded_not_left_padded() {
        // The AWS example sequencer against a shorter one: right-padded,
        // "0055AED6DCD90282" is "0055AED6DCD9028200", which is greater.
        let example = normalize_sequencer("0055AED6DCD90281E5").unwrap();
        let shorter = normalize_sequencer("0055AED6DCD90282").unwrap();
        assert!(
            shorter > example,
            "the shorter sequencer is the later event"
        );
        // A value that is a prefix of another, longer one is the earlier event
        // unless the extra digits are all zeros.
        let prefix = normalize_sequencer("0055AED6DCD90281").unwrap();
        assert!(prefix < example);
        assert_eq!(
            normalize_sequencer("0055AED6DCD90281"),
            normalize_sequencer("0055AED6DCD9028100"),
            "right padding with zeros does not change a sequencer's position"
        );
        // "1" is "10" against "0A": later, whatever the lengths.
        assert!(normalize_sequencer("1").unwrap() > normalize_sequencer("0A").unwrap());
    }

    #[test]
    fn normalised_order_is_the_documented_order() {
        let samples = [
            "0055AED6DCD90281E5",
            "0055AED6DCD90282",
            "0055AED6DCD90281",
            "0055aed6dcd90281e6",
            "00A0",
            "0090",
            "A0",
            "1",
            "0A",
            "0A00",
            "FFFFFFFFFFFFFFFFFFFF",
        ];
        for a in samples {
            for b in samples {
                let (na, nb) = (
                    normalize_sequencer(a).unwrap(),
                    normalize_sequencer(b).unwrap(),
                );
                assert_eq!(
                    na.cmp(&nb),
                    aws_order(&a.to_ascii_uppercase(), &b.to_ascii_uppercase()),
                    "{a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn normalising_is_idempotent_and_refuses_non_hex() {
        let n = normalize_sequencer("0055aed6dcd90281e5").unwrap();
        assert_eq!(n.len(), SEQUENCER_WIDTH);
        assert!(n.starts_with("0055AED6DCD90281E5"));
        assert_eq!(normalize_sequencer(&n), Some(n.clone()));
        assert_eq!(normalize_sequencer("xyz"), None);
        assert_eq!(normalize_sequencer(""), None);
        assert_eq!(normalize_sequencer(&"1".repeat(SEQUENCER_WIDTH + 1)), None);
    }

    #[test]
    fn idempotent_ids_are_stable_and_client_scoped() {
        let a = document_id_for("acme", Some("k1"), &[0; 16]);
        assert_eq!(a, document_id_for("acme", Some("k1"), &[9; 16]));
        assert_ne!(a, document_id_for("other", Some("k1"), &[0; 16]));
        assert!(validate_document_id(&a).is_ok());
        assert!(validate_document_id(&document_id_for("acme", None, &[7; 16])).is_ok());
        assert!(validate_document_id("../etc").is_err());
    }

    #[test]
    fn filenames_and_sizes_are_validated() {
        assert!(validate_filename("report 2026.pdf").is_ok());
        assert!(validate_filename("a/b.pdf").is_err());
        assert!(validate_filename("evil\n.pdf").is_err());
        assert!(validate_filename(&"x".repeat(256)).is_err());
        assert!(validate_size(0, 10).is_err());
        assert!(validate_size(11, 10).is_err());
        assert!(validate_size(10, 10).is_ok());
    }

    #[test]
    fn content_md5_is_base64_of_sixteen_bytes() {
        // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
        assert!(validate_content_md5("kAFQmDzST7DWlj99KOF/cg==").is_ok());
        // Hex, unpadded, wrong length, empty: refused.
        assert!(validate_content_md5("900150983cd24fb0d6963f7d28e17f72").is_err());
        assert!(validate_content_md5("kAFQmDzST7DWlj99KOF/cg").is_err());
        assert!(validate_content_md5("kAFQmDzST7DWlj99KOF/cgA=").is_err());
        assert!(validate_content_md5("").is_err());
    }

    #[test]
    fn s3_sha256_checksums_are_base64_not_hex() {
        assert_eq!(
            checksum_sha256(b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn statuses_parse() {
        for s in DocumentStatus::ALL {
            assert_eq!(DocumentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DocumentStatus::parse("pending"), None);
    }
}
