//! What is published for one change of a documents-table item: the status
//! change, if the status changed, and one message per newly refused upload.
//! The notifier reads both images from the table's stream; the simulation
//! reads them from the in-memory table's change log.

use crate::document::{Document, DocumentStatus};
use crate::ports::StatusChange;
use std::collections::BTreeSet;

/// The notifier's function error for a record it can never read starts
/// with this; `docproc dlq redrive` recognises poison records by it.
pub const POISON_MARKER: &str = "poison record";

/// The attributes of a documents-table image that notifications carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusImage {
    pub document_id: String,
    pub client_id: String,
    pub status: DocumentStatus,
    pub reason_code: Option<String>,
    pub reason_message: Option<String>,
    pub updated_at: String,
    pub refused_versions: BTreeSet<String>,
}

impl StatusImage {
    pub fn of(doc: &Document) -> Self {
        StatusImage {
            document_id: doc.document_id.clone(),
            client_id: doc.client_id.clone(),
            status: doc.status,
            reason_code: doc.reason_code.clone(),
            reason_message: doc.reason_message.clone(),
            updated_at: doc.updated_at.clone(),
            refused_versions: doc.refused_versions.clone(),
        }
    }
}

/// The messages one item change publishes, status change first. An item
/// written without a change of status or refusals publishes nothing.
pub fn changes(old: Option<&StatusImage>, new: &StatusImage) -> Vec<StatusChange> {
    let old_status = old.map(|o| o.status);
    let change = |refused_version: Option<String>| StatusChange {
        document_id: new.document_id.clone(),
        client_id: new.client_id.clone(),
        old_status,
        new_status: new.status,
        reason_code: new.reason_code.clone(),
        reason_message: new.reason_message.clone(),
        at: new.updated_at.clone(),
        refused_version,
    };
    let mut out = Vec::new();
    if old_status != Some(new.status) {
        out.push(change(None));
    }
    let before = old.map(|o| &o.refused_versions);
    for version in &new.refused_versions {
        if before.is_none_or(|b| !b.contains(version)) {
            out.push(change(Some(version.clone())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(status: DocumentStatus, refused: &[&str]) -> StatusImage {
        StatusImage {
            document_id: "d1".into(),
            client_id: "acme".into(),
            status,
            reason_code: None,
            reason_message: None,
            updated_at: "2026-12-06T00:00:00Z".into(),
            refused_versions: refused.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_status_change_and_each_new_refusal_publish_once() {
        let pending = image(DocumentStatus::Pending, &[]);
        let processed = image(DocumentStatus::Processed, &[]);
        let inserted = changes(None, &pending);
        assert_eq!(inserted.len(), 1);
        assert_eq!(inserted[0].old_status, None);
        let judged = changes(Some(&pending), &processed);
        assert_eq!(judged.len(), 1);
        assert_eq!(judged[0].event_type(), "document.status_changed");
        // The same status written again publishes nothing.
        assert!(changes(Some(&processed), &processed).is_empty());
        // A refusal keeps the status and publishes the new version only.
        let one = image(DocumentStatus::Processed, &["v2"]);
        let two = image(DocumentStatus::Processed, &["v2", "v3"]);
        let refused = changes(Some(&one), &two);
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].refused_version.as_deref(), Some("v3"));
        assert_eq!(refused[0].event_type(), "document.overwrite_refused");
        assert_eq!(
            (refused[0].old_status, refused[0].new_status),
            (Some(DocumentStatus::Processed), DocumentStatus::Processed)
        );
    }
}
