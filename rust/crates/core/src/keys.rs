//! API keys: docproc's records hold only their SHA-256 hash; a short key id (a prefix of
//! the hash) is what logs and operators see.

use crate::access::AccessLevel;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Length of the public key id, in hex characters of the key hash.
pub const KEY_ID_LEN: usize = 12;

pub fn hash_key(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

pub fn key_id_of_hash(key_hash: &str) -> &str {
    &key_hash[..key_hash.len().min(KEY_ID_LEN)]
}

/// Formats 32 random bytes as an API key. API Gateway requires at least 20 characters.
pub fn format_key(random: &[u8; 32]) -> String {
    use base64::Engine;
    format!(
        "dpk_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    Active,
    Disabled,
    Revoked,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Disabled => "disabled",
            KeyStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<KeyStatus> {
        match s {
            "active" => Some(KeyStatus::Active),
            "disabled" => Some(KeyStatus::Disabled),
            "revoked" => Some(KeyStatus::Revoked),
            _ => None,
        }
    }
}

/// One row of the permissions table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub key_hash: String,
    pub key_id: String,
    pub client_id: String,
    pub level: AccessLevel,
    pub status: KeyStatus,
    pub tier: String,
    pub description: String,
    pub created_at: String,
    /// RFC 3339; `None` never expires.
    pub expires_at: Option<String>,
    /// The API Gateway API key resource id (not the key value).
    pub gateway_key_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    MissingKey,
    UnknownKey,
    Disabled,
    Revoked,
    Expired,
    MalformedRecord,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::MissingKey => "missing_key",
            DenyReason::UnknownKey => "unknown_key",
            DenyReason::Disabled => "disabled",
            DenyReason::Revoked => "revoked",
            DenyReason::Expired => "expired",
            DenyReason::MalformedRecord => "malformed_record",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyDecision {
    Allow {
        client_id: String,
        level: AccessLevel,
    },
    Deny(DenyReason),
}

/// Decides whether a looked-up key may call the API at `now`.
pub fn decide(record: Option<&ApiKeyRecord>, now: OffsetDateTime) -> KeyDecision {
    let Some(record) = record else {
        return KeyDecision::Deny(DenyReason::UnknownKey);
    };
    match record.status {
        KeyStatus::Revoked => return KeyDecision::Deny(DenyReason::Revoked),
        KeyStatus::Disabled => return KeyDecision::Deny(DenyReason::Disabled),
        KeyStatus::Active => {}
    }
    if let Some(expires) = &record.expires_at {
        match crate::time_fmt::parse(expires) {
            Some(at) if at <= now => return KeyDecision::Deny(DenyReason::Expired),
            Some(_) => {}
            None => return KeyDecision::Deny(DenyReason::MalformedRecord),
        }
    }
    KeyDecision::Allow {
        client_id: record.client_id.clone(),
        level: record.level,
    }
}

/// Client ids appear in object keys and logs: keep them to a safe alphabet.
pub fn validate_client_id(client_id: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&client_id.len())
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && client_id.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "client id {client_id:?} must be 1-64 characters of letters, digits, '-' or '_', starting with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn record(status: KeyStatus, expires_at: Option<&str>) -> ApiKeyRecord {
        ApiKeyRecord {
            key_hash: hash_key("dpk_test"),
            key_id: key_id_of_hash(&hash_key("dpk_test")).to_string(),
            client_id: "acme".into(),
            level: AccessLevel::ReadWrite,
            status,
            tier: "standard".into(),
            description: String::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: expires_at.map(String::from),
            gateway_key_id: None,
        }
    }

    #[test]
    fn hash_is_sha256_hex() {
        // sha256("abc") from FIPS 180-2.
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(key_id_of_hash(&hash_key("abc")), "ba7816bf8f01");
    }

    #[test]
    fn decisions_cover_every_state() {
        let now = datetime!(2026-06-01 00:00 UTC);
        assert_eq!(decide(None, now), KeyDecision::Deny(DenyReason::UnknownKey));
        assert_eq!(
            decide(Some(&record(KeyStatus::Active, None)), now),
            KeyDecision::Allow {
                client_id: "acme".into(),
                level: AccessLevel::ReadWrite
            }
        );
        assert_eq!(
            decide(Some(&record(KeyStatus::Disabled, None)), now),
            KeyDecision::Deny(DenyReason::Disabled)
        );
        assert_eq!(
            decide(Some(&record(KeyStatus::Revoked, None)), now),
            KeyDecision::Deny(DenyReason::Revoked)
        );
        let expired = record(KeyStatus::Active, Some("2026-05-31T23:59:59Z"));
        assert_eq!(
            decide(Some(&expired), now),
            KeyDecision::Deny(DenyReason::Expired)
        );
        let future = record(KeyStatus::Active, Some("2026-06-02T00:00:00Z"));
        assert!(matches!(
            decide(Some(&future), now),
            KeyDecision::Allow { .. }
        ));
        let garbage = record(KeyStatus::Active, Some("tomorrow"));
        assert_eq!(
            decide(Some(&garbage), now),
            KeyDecision::Deny(DenyReason::MalformedRecord)
        );
    }

    #[test]
    fn keys_are_long_and_url_safe() {
        let key = format_key(&[0xff; 32]);
        assert_eq!(key.len(), 4 + 43);
        assert!(key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
    }

    #[test]
    fn client_ids_are_restricted() {
        assert!(validate_client_id("acme-01").is_ok());
        assert!(validate_client_id("").is_err());
        assert!(validate_client_id("-acme").is_err());
        assert!(validate_client_id("acme/../x").is_err());
    }
}
