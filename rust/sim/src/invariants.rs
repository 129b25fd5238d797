//! What must hold after every schedule, whatever ran when.

use crate::world::{upload_kinds, World, CLIENT};
use docproc_core::audit::verify_anchored;
use docproc_core::document::DocumentStatus;
use docproc_core::ports::StatusChange;
use docproc_core::s3key::{incoming_key, QUARANTINE_PREFIX};
use docproc_engine::{Declared, Limits, Verdict};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The invariants, as the simulation prints them.
pub const INVARIANTS: [&str; 7] = [
    "verdict: each uploaded document has exactly one terminal verdict, for its first complete version",
    "judgement: the verdict is the engine's on that version's bytes (or the time budget's too_complex)",
    "audit: every trail verifies against its anchor, with one outcome and one refusal per other version",
    "objects: incoming/ holds only the accepted version; quarantine only the record's copy; nothing orphaned",
    "refusals: every other version is refused, recorded on the document and removed",
    "notifications: one per status change and per refusal, none twice, none missing",
    "readers: no audit read during the run reported tampering",
];

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks every invariant; the first broken one is the error.
pub fn check(world: &World) -> Result<(), String> {
    let uploads = upload_kinds();
    for read in lock(&world.audit_reads).iter() {
        if read["verification"]["intact"] != true {
            return Err(format!("readers: an audit read reported tampering: {read}"));
        }
    }
    if let Some(poison) = lock(&world.poison).first() {
        return Err(format!(
            "notifications: the stream holds an unreadable record: {poison}"
        ));
    }
    let published = lock(&world.published.published).clone();
    let clients = lock(&world.clients).clone();
    let mut ours = BTreeSet::new();
    for client in &clients {
        let Some(id) = &client.document_id else {
            continue;
        };
        let Some(kind) = client.upload else { continue };
        ours.insert(id.clone());
        let upload = &uploads[kind];
        let key = incoming_key(CLIENT, id);
        let doc = world
            .documents
            .items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
            .ok_or(format!("verdict: {id} has no record"))?;
        // Every version ever stored under the key, in upload order, with its bytes.
        let uploaded = world.bucket.uploaded(&key);
        let first = uploaded
            .first()
            .map(|(v, _)| v.clone())
            .ok_or(format!("verdict: {id} has no upload"))?;
        if !doc.status.is_verdict() {
            return Err(format!(
                "verdict: {id} ended {} (first version {first})",
                doc.status
            ));
        }
        if doc.source_version.as_deref() != Some(first.as_str()) {
            return Err(format!(
                "verdict: {id} judged {:?}, not its first complete version {first}",
                doc.source_version
            ));
        }
        let first_body = &uploaded[0].1;
        let engine = docproc_engine::inspect(
            first_body,
            &Declared::new(upload.filename.to_string(), upload.content_type.to_string()),
            &Limits::default(),
        );
        match (&engine, doc.status, doc.reason_code.as_deref()) {
            (Verdict::Accepted { .. }, DocumentStatus::Processed, None) => {
                if doc.sha256.as_deref() != Some(sha256(first_body).as_str()) {
                    return Err(format!("judgement: {id} records another version's hash"));
                }
            }
            (_, DocumentStatus::Rejected, Some("too_complex")) => {}
            (Verdict::Rejected(r), DocumentStatus::Rejected, Some(code))
                if r.reason.as_str() == code => {}
            _ => {
                return Err(format!(
                    "judgement: {id} is {} {:?} but the engine says {engine:?}",
                    doc.status, doc.reason_code
                ))
            }
        }
        let others: BTreeSet<String> = uploaded[1..].iter().map(|(v, _)| v.clone()).collect();

        // Audit trail.
        let trail = lock(&world.audit.events)
            .values()
            .filter(|e| &e.document_id == id)
            .cloned()
            .collect::<Vec<_>>();
        let head = lock(&world.audit.heads).get(id).cloned();
        verify_anchored(id, &trail, head.as_ref()).map_err(|e| format!("audit: {id}: {e}"))?;
        let outcomes: Vec<_> = trail
            .iter()
            .filter(|e| e.action == "processed" || e.action == "rejected")
            .collect();
        let expected_action = if doc.status == DocumentStatus::Processed {
            "processed"
        } else {
            "rejected"
        };
        if outcomes.len() != 1 || outcomes[0].action != expected_action {
            let actions: Vec<_> = outcomes.iter().map(|e| e.action.as_str()).collect();
            return Err(format!(
                "audit: {id} has outcomes {actions:?} for a {} document",
                doc.status
            ));
        }
        let mut refused_in_trail = BTreeMap::<String, usize>::new();
        for e in trail.iter().filter(|e| e.action == "overwrite_refused") {
            let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            let version = detail["version_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            *refused_in_trail.entry(version).or_default() += 1;
        }
        if refused_in_trail.keys().cloned().collect::<BTreeSet<_>>() != others
            || refused_in_trail.values().any(|&n| n != 1)
        {
            return Err(format!(
                "audit: {id} refusals in the trail {refused_in_trail:?}, other versions {others:?}"
            ));
        }
        if let Some(e) = trail.iter().find(|e| e.action == "cleanup") {
            return Err(format!(
                "objects: {id}: a removal was refused: {}",
                e.detail
            ));
        }

        // Objects: incoming/ and quarantine/.
        let incoming = world.bucket.live_versions(&key);
        let expected_incoming = if doc.status == DocumentStatus::Processed {
            vec![first.clone()]
        } else {
            Vec::new()
        };
        if incoming != expected_incoming {
            return Err(format!(
                "objects: {id}: incoming/ holds {incoming:?}, expected {expected_incoming:?}"
            ));
        }
        let quarantine_prefix = format!("{QUARANTINE_PREFIX}{CLIENT}/{id}/");
        let mut quarantined = Vec::new();
        for (k, v) in world.bucket.all_versions() {
            if k.starts_with(&quarantine_prefix) {
                quarantined.push((k, v));
            }
        }
        match doc.status {
            DocumentStatus::Rejected => {
                let kept = (
                    doc.object_key.clone(),
                    doc.object_version.clone().unwrap_or_default(),
                );
                if quarantined != vec![kept.clone()] {
                    return Err(format!("objects: {id}: quarantine holds {quarantined:?}, the record names {kept:?}"));
                }
                let copy = world
                    .bucket
                    .objects
                    .get(&kept.0, Some(&kept.1))
                    .map(|o| o.body);
                if copy.as_deref() != Some(first_body.as_slice()) {
                    return Err(format!(
                        "objects: {id}: the quarantined copy is not the judged version"
                    ));
                }
            }
            _ if !quarantined.is_empty() => {
                return Err(format!(
                    "objects: {id}: an accepted document left quarantine copies {quarantined:?}"
                ))
            }
            _ => {}
        }

        // Refusals on the record.
        if doc.refused_versions != others {
            return Err(format!(
                "refusals: {id} records {:?}, other versions {others:?}",
                doc.refused_versions
            ));
        }

        // Notifications.
        let mine: Vec<&StatusChange> = published.iter().filter(|c| &c.document_id == id).collect();
        let statuses: Vec<(Option<DocumentStatus>, DocumentStatus)> = mine
            .iter()
            .filter(|c| c.refused_version.is_none())
            .map(|c| (c.old_status, c.new_status))
            .collect();
        let expected = vec![
            (None, DocumentStatus::Pending),
            (Some(DocumentStatus::Pending), doc.status),
        ];
        if statuses != expected {
            return Err(format!(
                "notifications: {id} status changes {statuses:?}, expected {expected:?}"
            ));
        }
        let mut refusals = BTreeMap::<String, usize>::new();
        for c in &mine {
            if let Some(v) = &c.refused_version {
                *refusals.entry(v.clone()).or_default() += 1;
            }
        }
        if refusals.keys().cloned().collect::<BTreeSet<_>>() != others
            || refusals.values().any(|&n| n != 1)
        {
            return Err(format!(
                "notifications: {id} refusals published {refusals:?}, other versions {others:?}"
            ));
        }
    }
    // Nothing else in the bucket: every object belongs to a document above.
    for (key, version) in world.bucket.all_versions() {
        if !ours.iter().any(|id| key.contains(id.as_str())) {
            return Err(format!("objects: {key} {version} belongs to no document"));
        }
    }
    Ok(())
}
