//! Opaque pagination tokens: the store's last-evaluated key, base64url JSON,
//! sealed with an HMAC-SHA256 over the key and the listing it continues, so a
//! tampered, truncated or foreign token is refused before it reaches the store.

use crate::error::DomainError;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// Why a `next_token` was refused. Always the caller's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form `<payload>.<mac>`, bad base64, bad JSON, too long.
    #[error("next_token is not a token this API issued")]
    Malformed,
    /// Well formed, but the MAC does not match: tampered with, truncated,
    /// issued for another listing (client or status filter) or by another
    /// deployment.
    #[error("next_token was not issued for this listing")]
    Forged,
}

/// What a token continues: the filters that decide which index is queried
/// and what the stored key means. `limit` is deliberately not part of it:
/// DynamoDB's `ExclusiveStartKey` is the primary key of the last item read
/// and does not depend on the page size, so a client may change `limit`
/// between pages
/// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScope<'a> {
    /// `None`: every client's documents (admin listing).
    pub client_id: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// The HMAC-SHA256 key page tokens are sealed with.
#[derive(Clone, PartialEq, Eq)]
pub struct PageTokenKey([u8; 32]);

impl fmt::Debug for PageTokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PageTokenKey(..)")
    }
}

const TOKEN_CONTEXT: &[u8] = b"docproc.page-token.v1";

fn length_prefixed(mac: &mut HmacSha256, field: &[u8]) {
    mac.update(&(field.len() as u64).to_be_bytes());
    mac.update(field);
}

impl PageTokenKey {
    pub fn from_bytes(key: [u8; 32]) -> Self {
        PageTokenKey(key)
    }

    /// Derives the key with HMAC-SHA256 from deployment identifiers (the
    /// documents KMS key ARN and table name). These are not secrets: the MAC
    /// protects tokens against tampering and cross-listing replay and makes
    /// another deployment's tokens fail, but it is not a secret boundary.
    /// Authorization never rests on it: the handler still checks that a
    /// token's client is the caller's.
    pub fn derive(parts: &[&str]) -> Self {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(TOKEN_CONTEXT)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        for part in parts {
            length_prefixed(&mut mac, part.as_bytes());
        }
        PageTokenKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self, payload: &str, scope: &TokenScope<'_>) -> HmacSha256 {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        length_prefixed(&mut mac, TOKEN_CONTEXT);
        for field in [scope.client_id, scope.status] {
            match field {
                // A tag byte keeps `None` apart from `Some("")`.
                Some(v) => {
                    mac.update(&[1]);
                    length_prefixed(&mut mac, v.as_bytes());
                }
                None => mac.update(&[0]),
            }
        }
        length_prefixed(&mut mac, payload.as_bytes());
        mac
    }

    /// `<base64url JSON key>.<base64url HMAC>`.
    pub fn seal(&self, token: &PageToken, scope: &TokenScope<'_>) -> String {
        let payload = token.encode();
        let tag = self.mac(&payload, scope).finalize().into_bytes();
        format!(
            "{payload}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Verifies (in constant time) and decodes a sealed token.
    pub fn open(&self, sealed: &str, scope: &TokenScope<'_>) -> Result<PageToken, TokenError> {
        if sealed.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (payload, tag) = sealed.split_once('.').ok_or(TokenError::Malformed)?;
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(payload, scope)
            .verify_slice(&tag)
            .map_err(|_| TokenError::Forged)?;
        PageToken::decode(payload).map_err(|_| TokenError::Malformed)
    }
}

/// Longest `next_token` accepted (sealed form).
pub const MAX_TOKEN_LEN: usize = 2048 + 64;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageToken(pub BTreeMap<String, String>);

impl PageToken {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&self.0).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(token: &str) -> Result<PageToken, DomainError> {
        let invalid = || DomainError::Invalid {
            field: "next_token",
            message: "is not a token this API issued".into(),
        };
        if token.len() > 2048 {
            return Err(invalid());
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let map: BTreeMap<String, String> =
            serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if map.is_empty() || map.len() > 4 {
            return Err(invalid());
        }
        Ok(PageToken(map))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<PageToken>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PageTokenKey {
        PageTokenKey::derive(&["arn:aws:kms:us-east-1:123456789012:key/k", "docs"])
    }

    fn token() -> PageToken {
        PageToken(BTreeMap::from([
            ("document_id".into(), "d1".into()),
            ("client_id".into(), "acme".into()),
            ("created_at".into(), "2026-01-01T00:00:00Z".into()),
        ]))
    }

    const ACME: TokenScope<'static> = TokenScope {
        client_id: Some("acme"),
        status: None,
    };

    #[test]
    fn sealed_tokens_open_only_for_the_listing_they_came_from() {
        let sealed = key().seal(&token(), &ACME);
        assert_eq!(key().open(&sealed, &ACME), Ok(token()));
        for other in [
            TokenScope {
                client_id: Some("globex"),
                status: None,
            },
            TokenScope {
                client_id: Some("acme"),
                status: Some("PENDING"),
            },
            TokenScope {
                client_id: None,
                status: None,
            },
        ] {
            assert_eq!(key().open(&sealed, &other), Err(TokenError::Forged));
        }
        // Another deployment's key.
        let foreign = PageTokenKey::derive(&["arn:aws:kms:us-east-1:123456789012:key/k", "x"]);
        assert_eq!(foreign.open(&sealed, &ACME), Err(TokenError::Forged));
    }

    #[test]
    fn tampered_truncated_and_unsigned_tokens_are_refused() {
        let sealed = key().seal(&token(), &ACME);
        let (payload, tag) = sealed.split_once('.').unwrap();
        // The key edited (client swapped) but the old MAC kept.
        let mut edited = token();
        edited.0.insert("client_id".into(), "globex".into());
        let tampered = format!("{}.{tag}", edited.encode());
        assert_eq!(key().open(&tampered, &ACME), Err(TokenError::Forged));
        // Truncated MAC, truncated payload, no MAC at all (the old format).
        for cut in 1..=8 {
            assert!(key().open(&sealed[..sealed.len() - cut], &ACME).is_err());
        }
        assert_eq!(
            key().open(&format!("{}.{tag}", &payload[1..]), &ACME),
            Err(TokenError::Forged)
        );
        assert_eq!(key().open(payload, &ACME), Err(TokenError::Malformed));
        assert_eq!(key().open("!!!.!!!", &ACME), Err(TokenError::Malformed));
        assert_eq!(
            key().open(&"a".repeat(MAX_TOKEN_LEN + 1), &ACME),
            Err(TokenError::Malformed)
        );
        assert_eq!(format!("{:?}", key()), "PageTokenKey(..)");
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_rejected() {
        let t = PageToken(BTreeMap::from([
            ("document_id".into(), "d1".into()),
            ("client_id".into(), "acme".into()),
        ]));
        assert_eq!(PageToken::decode(&t.encode()), Ok(t));
        assert!(PageToken::decode("!!!").is_err());
        assert!(
            PageToken::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("[1]"))
                .is_err()
        );
        assert!(
            PageToken::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("{}"))
                .is_err()
        );
    }
}
