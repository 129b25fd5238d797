//! The per-document audit trail. Each event carries the hash of the previous
//! one, so a verifier detects modified, removed or reordered events; an
//! anchor (the last event's sequence number and hash, moved in the same
//! transaction as every append) makes removing events from the end
//! detectable too.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hash that precedes the first event of every trail.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub document_id: String,
    /// 1-based position in the trail.
    pub seq: u64,
    pub at: String,
    /// Who: a client id, a key id or an operator identity.
    pub actor: String,
    /// What: `created`, `processed`, `rejected`, `downloaded`, `deleted`, …
    pub action: String,
    /// `success` or `denied`, or a reason code.
    pub outcome: String,
    /// Free-form JSON detail, stored as canonical text so hashing is stable.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The anchor of a trail: where its last event is, and what it hashes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: String,
}

impl AuditHead {
    pub fn of(event: &AuditEvent) -> Self {
        AuditHead {
            seq: event.seq,
            hash: event.hash.clone(),
        }
    }
}

/// What a caller wants to append; the chain fields are computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub detail: serde_json::Value,
}

impl NewAuditEvent {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        outcome: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        NewAuditEvent {
            actor: actor.into(),
            action: action.into(),
            outcome: outcome.into(),
            detail,
        }
    }

    /// Seals the event after `previous` (None for the first event).
    pub fn seal(self, document_id: &str, previous: Option<&AuditEvent>, at: String) -> AuditEvent {
        self.seal_after(document_id, previous.map(AuditHead::of).as_ref(), at)
    }

    /// Seals the event after the trail's anchor (None for the first event).
    pub fn seal_after(self, document_id: &str, head: Option<&AuditHead>, at: String) -> AuditEvent {
        let (seq, prev_hash) = match head {
            Some(h) => (h.seq + 1, h.hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let mut event = AuditEvent {
            document_id: document_id.to_string(),
            seq,
            at,
            actor: self.actor,
            action: self.action,
            outcome: self.outcome,
            detail: self.detail.to_string(),
            prev_hash,
            hash: String::new(),
        };
        event.hash = event_hash(&event);
        event
    }
}

/// SHA-256 over every field but the hash itself, length-prefixed so that no
/// two different events serialise to the same bytes.
pub fn event_hash(e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    let seq = e.seq.to_string();
    for field in [
        &e.document_id,
        &seq,
        &e.at,
        &e.actor,
        &e.action,
        &e.outcome,
        &e.detail,
        &e.prev_hash,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TamperError {
    #[error("the trail is empty")]
    Empty,
    #[error("event {seq}: belongs to document {found}, not {expected}")]
    WrongDocument {
        seq: u64,
        expected: String,
        found: String,
    },
    #[error("event at position {position} has sequence {seq}: an event was removed or reordered")]
    Gap { position: u64, seq: u64 },
    #[error("event {seq}: content does not match its hash (modified)")]
    Modified { seq: u64 },
    #[error("event {seq}: previous-hash link is broken (an earlier event was removed, replaced or reordered)")]
    BrokenLink { seq: u64 },
    #[error("the trail has events but no anchor (the anchor was removed)")]
    Unanchored,
    #[error("{}", truncated_message(*expected, *found))]
    Truncated { expected: u64, found: u64 },
    #[error("the last event does not hash to the anchor (the end of the trail was replaced)")]
    AnchorMismatch,
}

fn truncated_message(expected: u64, found: u64) -> String {
    if found == 0 {
        format!("every event was removed: the trail is empty but its anchor says {expected}")
    } else {
        format!("the trail ends at event {found} but its anchor says {expected}: events were removed from the end")
    }
}

/// Verifies a whole trail, in stored order. Returns the number of events.
pub fn verify_chain(document_id: &str, events: &[AuditEvent]) -> Result<usize, TamperError> {
    if events.is_empty() {
        return Err(TamperError::Empty);
    }
    let mut prev = GENESIS_HASH;
    for (i, e) in events.iter().enumerate() {
        let position = i as u64 + 1;
        if e.document_id != document_id {
            return Err(TamperError::WrongDocument {
                seq: e.seq,
                expected: document_id.into(),
                found: e.document_id.clone(),
            });
        }
        if e.seq != position {
            return Err(TamperError::Gap {
                position,
                seq: e.seq,
            });
        }
        if event_hash(e) != e.hash {
            return Err(TamperError::Modified { seq: e.seq });
        }
        if e.prev_hash != prev {
            return Err(TamperError::BrokenLink { seq: e.seq });
        }
        prev = &e.hash;
    }
    Ok(events.len())
}

/// Verifies a trail against its anchor. Read the anchor first, then the
/// trail: appends are the only writes, and each moves the anchor in the same
/// transaction as its event, so every event up to the anchor that was read
/// must be there, intact and ending with the anchor's hash. Events after it
/// were appended in between (or are unanchored) and are not judged, so a
/// concurrent append is never reported as tampering. Returns how many events
/// were verified: the anchor's position.
pub fn verify_anchored(
    document_id: &str,
    events: &[AuditEvent],
    head: Option<&AuditHead>,
) -> Result<usize, TamperError> {
    let Some(head) = head else {
        return Err(if events.is_empty() {
            TamperError::Empty
        } else {
            TamperError::Unanchored
        });
    };
    let anchored = events.partition_point(|e| e.seq <= head.seq);
    let events = &events[..anchored];
    let count = match verify_chain(document_id, events) {
        Err(TamperError::Empty) => 0,
        other => other?,
    };
    if count as u64 != head.seq {
        return Err(TamperError::Truncated {
            expected: head.seq,
            found: count as u64,
        });
    }
    if events.last().map(|e| &e.hash) != Some(&head.hash) {
        return Err(TamperError::AnchorMismatch);
    }
    Ok(count)
}

/// Appends an event to a document's trail, reading only its anchor.
/// Concurrent writers race on the anchor; the loser re-reads it and tries
/// again. When `dedupe` is given and an earlier event claimed it (a
/// redelivered message, a repeated read in the same window), nothing is
/// appended and that event is returned.
pub async fn append_event<R: crate::ports::AuditRepository>(
    repo: &R,
    document_id: &str,
    event: NewAuditEvent,
    dedupe: Option<&str>,
) -> Result<AuditEvent, crate::StoreError> {
    const ATTEMPTS: usize = 5;
    let mut event = event;
    if let (Some(d), serde_json::Value::Object(map)) = (dedupe, &mut event.detail) {
        map.insert("dedupe".into(), serde_json::Value::String(d.to_string()));
    }
    for _ in 0..ATTEMPTS {
        let head = repo.head(document_id).await?;
        let sealed = event.clone().seal_after(
            document_id,
            head.as_ref(),
            crate::time_fmt::format(crate::time_fmt::now()),
        );
        match repo.append(&sealed, dedupe).await {
            Ok(crate::ports::Appended::Stored) => return Ok(sealed),
            Ok(crate::ports::Appended::Duplicate(existing)) => return Ok(existing),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(crate::StoreError::Transient(format!(
        "audit trail of {document_id} is contended"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trail(n: u64) -> Vec<AuditEvent> {
        let mut events: Vec<AuditEvent> = Vec::new();
        for i in 0..n {
            let e = NewAuditEvent::new("acme", format!("step{i}"), "success", json!({"i": i}))
                .seal("d1", events.last(), format!("2026-01-01T00:00:0{i}Z"));
            events.push(e);
        }
        events
    }

    #[test]
    fn intact_trail_verifies() {
        assert_eq!(verify_chain("d1", &trail(4)), Ok(4));
    }

    #[test]
    fn modification_is_detected() {
        let mut t = trail(3);
        t[1].outcome = "denied".into();
        assert_eq!(
            verify_chain("d1", &t),
            Err(TamperError::Modified { seq: 2 })
        );
    }

    #[test]
    fn removal_is_detected_even_with_renumbering_and_rehashing() {
        let mut t = trail(3);
        t.remove(1);
        assert_eq!(
            verify_chain("d1", &t),
            Err(TamperError::Gap {
                position: 2,
                seq: 3
            })
        );
        // An attacker renumbers and re-hashes the survivor: the link still breaks.
        t[1].seq = 2;
        t[1].hash = event_hash(&t[1]);
        assert_eq!(
            verify_chain("d1", &t),
            Err(TamperError::BrokenLink { seq: 2 })
        );
    }

    #[test]
    fn reordering_and_truncation_at_start_are_detected() {
        let mut t = trail(3);
        t.swap(0, 1);
        assert!(verify_chain("d1", &t).is_err());
        let t = trail(3);
        assert_eq!(
            verify_chain("d1", &t[1..]),
            Err(TamperError::Gap {
                position: 1,
                seq: 2
            })
        );
        assert_eq!(
            verify_chain("d2", &t),
            Err(TamperError::WrongDocument {
                seq: 1,
                expected: "d2".into(),
                found: "d1".into()
            })
        );
        assert_eq!(verify_chain("d1", &[]), Err(TamperError::Empty));
    }

    /// The anchor is read first; an event appended before the trail is read
    /// is not judged, so it is never a false tamper report.
    #[test]
    fn an_append_between_reading_the_anchor_and_the_trail_is_not_tampering() {
        let t = trail(4);
        let head = AuditHead::of(&t[2]);
        assert_eq!(verify_anchored("d1", &t, Some(&head)), Ok(3));
        // An event removed below the anchor is still found.
        let mut gap = t.clone();
        gap.remove(1);
        assert!(verify_anchored("d1", &gap, Some(&head)).is_err());
        // Every event removed, the anchor kept: truncated, said as such.
        let err = verify_anchored("d1", &[], Some(&head)).unwrap_err();
        assert_eq!(
            err,
            TamperError::Truncated {
                expected: 3,
                found: 0
            }
        );
        assert!(err.to_string().contains("every event was removed"), "{err}");
    }

    #[test]
    fn truncation_at_the_end_is_detected_by_the_anchor() {
        let t = trail(4);
        let head = AuditHead::of(&t[3]);
        assert_eq!(verify_anchored("d1", &t, Some(&head)), Ok(4));
        // The last two events deleted: the chain alone still verifies...
        assert_eq!(verify_chain("d1", &t[..2]), Ok(2));
        // ...the anchor does not.
        assert_eq!(
            verify_anchored("d1", &t[..2], Some(&head)),
            Err(TamperError::Truncated {
                expected: 4,
                found: 2
            })
        );
        assert_eq!(
            verify_anchored("d1", &[], Some(&head)),
            Err(TamperError::Truncated {
                expected: 4,
                found: 0
            })
        );
        assert_eq!(
            verify_anchored("d1", &t, None),
            Err(TamperError::Unanchored)
        );
        // The last event replaced by a re-sealed one: its hash is not the anchor's.
        let mut replaced = t.clone();
        replaced[3] = NewAuditEvent::new("x", "rewritten", "success", json!({})).seal(
            "d1",
            Some(&t[2]),
            "2026-01-02T00:00:00Z".into(),
        );
        assert_eq!(
            verify_anchored("d1", &replaced, Some(&head)),
            Err(TamperError::AnchorMismatch)
        );
    }
}
