//! Documents and their lifecycle.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

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

/// S3 sequencers are hex strings of varying length; left-padding to a fixed
/// width makes string comparison (also inside DynamoDB conditions) numeric.
pub fn normalize_sequencer(sequencer: &str) -> Option<String> {
    let s = sequencer.trim();
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!("{:0>64}", s.to_ascii_uppercase()))
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

    #[test]
    fn sequencers_compare_numerically_after_normalising() {
        let short = normalize_sequencer("0A1B").unwrap();
        let long = normalize_sequencer("0055AED6DCD90281E5").unwrap();
        assert!(short < long);
        assert_eq!(short.len(), 64);
        assert_eq!(normalize_sequencer("xyz"), None);
        assert_eq!(normalize_sequencer(""), None);
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
    fn statuses_parse() {
        for s in DocumentStatus::ALL {
            assert_eq!(DocumentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DocumentStatus::parse("pending"), None);
    }
}
