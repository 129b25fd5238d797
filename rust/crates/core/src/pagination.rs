//! Opaque pagination tokens: the store's last-evaluated key, base64url JSON.

use crate::error::DomainError;
use base64::Engine;
use std::collections::BTreeMap;

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
