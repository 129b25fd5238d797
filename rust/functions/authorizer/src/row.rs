//! Reading a permissions-table row into a key record, without AWS types. A
//! row that is present but unreadable (missing or mistyped attribute, unknown
//! level or status, unparsable expiry, unsafe client id) is `Malformed`: the
//! authorizer denies it. Only the store failing to answer is an error.

use docproc_core::keys::{validate_client_id, ApiKeyRecord, KeyStatus};
use docproc_core::ports::KeyLookup;
use docproc_core::time_fmt;
use std::collections::BTreeMap;

/// One attribute as stored: a string, or the DynamoDB type it has instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attr {
    S(String),
    /// Any other type (`N`, `BOOL`, `M`, ...), by its type name.
    Other(&'static str),
}

pub type Row = BTreeMap<String, Attr>;

fn string<'r>(row: &'r Row, name: &str) -> Result<Option<&'r str>, String> {
    match row.get(name) {
        None => Ok(None),
        Some(Attr::S(s)) => Ok(Some(s)),
        Some(Attr::Other(t)) => Err(format!("{name} is of type {t}, not S")),
    }
}

fn required<'r>(row: &'r Row, name: &str) -> Result<&'r str, String> {
    string(row, name)?.ok_or_else(|| format!("{name} is missing"))
}

/// The record a row holds, checked for every field the decision or the API
/// relies on. Error messages name the attribute, never its value.
pub fn record_from_row(row: &Row, key_hash: &str) -> Result<ApiKeyRecord, String> {
    let stored_hash = required(row, "key_hash")?;
    if stored_hash != key_hash {
        return Err("key_hash does not match the looked-up hash".into());
    }
    let client_id = required(row, "client_id")?;
    validate_client_id(client_id).map_err(|_| "client_id is not a valid client id".to_string())?;
    let level = required(row, "level")?
        .parse()
        .map_err(|_| "level is not read-only, read-write or admin".to_string())?;
    let status = KeyStatus::parse(required(row, "status")?)
        .ok_or_else(|| "status is not active, disabled or revoked".to_string())?;
    let expires_at = string(row, "expires_at")?;
    if expires_at.is_some_and(|e| time_fmt::parse(e).is_none()) {
        return Err("expires_at is not an RFC 3339 timestamp".into());
    }
    let optional = |name: &str| string(row, name).map(|v| v.map(str::to_string));
    Ok(ApiKeyRecord {
        key_hash: stored_hash.to_string(),
        key_id: optional("key_id")?.unwrap_or_default(),
        client_id: client_id.to_string(),
        level,
        status,
        tier: optional("tier")?.unwrap_or_default(),
        description: optional("description")?.unwrap_or_default(),
        created_at: optional("created_at")?.unwrap_or_default(),
        expires_at: expires_at.map(str::to_string),
        gateway_key_id: optional("gateway_key_id")?,
    })
}

/// What a row (or its absence) means for the authorizer.
pub fn lookup_from_row(row: Option<&Row>, key_hash: &str) -> KeyLookup {
    match row {
        None => KeyLookup::Missing,
        Some(row) => match record_from_row(row, key_hash) {
            Ok(record) => KeyLookup::Found(record),
            Err(problem) => KeyLookup::Malformed(problem),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use docproc_core::access::AccessLevel;

    pub(crate) fn good_row(hash: &str) -> Row {
        [
            ("key_hash", hash),
            ("key_id", &hash[..12]),
            ("client_id", "acme"),
            ("level", "read-write"),
            ("status", "active"),
            ("tier", "standard"),
            ("created_at", "2026-01-01T00:00:00Z"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Attr::S(v.to_string())))
        .collect()
    }

    type Edit = Box<dyn Fn(&mut Row)>;

    const HASH: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn a_complete_row_is_a_record() {
        let record = record_from_row(&good_row(HASH), HASH).unwrap();
        assert_eq!(record.level, AccessLevel::ReadWrite);
        assert_eq!(record.status, KeyStatus::Active);
        assert_eq!(record.client_id, "acme");
        assert_eq!(record.expires_at, None);
    }

    #[test]
    fn every_kind_of_malformed_row_is_malformed_not_an_error() {
        let cases: Vec<(&str, Edit)> = vec![
            ("level is missing", Box::new(|r| drop(r.remove("level")))),
            (
                "level is not",
                Box::new(|r| drop(r.insert("level".into(), Attr::S("root".into())))),
            ),
            (
                "level is of type N",
                Box::new(|r| drop(r.insert("level".into(), Attr::Other("N")))),
            ),
            (
                "status is not",
                Box::new(|r| drop(r.insert("status".into(), Attr::S("ACTIVE".into())))),
            ),
            (
                "status is of type BOOL",
                Box::new(|r| drop(r.insert("status".into(), Attr::Other("BOOL")))),
            ),
            (
                "client_id is missing",
                Box::new(|r| drop(r.remove("client_id"))),
            ),
            (
                "client_id is not",
                Box::new(|r| drop(r.insert("client_id".into(), Attr::S("../x".into())))),
            ),
            (
                "expires_at is not",
                Box::new(|r| drop(r.insert("expires_at".into(), Attr::S("tomorrow".into())))),
            ),
            // The old adapter read a non-string expiry as "never expires".
            (
                "expires_at is of type N",
                Box::new(|r| drop(r.insert("expires_at".into(), Attr::Other("N")))),
            ),
            (
                "tier is of type M",
                Box::new(|r| drop(r.insert("tier".into(), Attr::Other("M")))),
            ),
            (
                "key_hash does not match",
                Box::new(|r| drop(r.insert("key_hash".into(), Attr::S("00".into())))),
            ),
        ];
        for (expected, edit) in cases {
            let mut row = good_row(HASH);
            edit(&mut row);
            match lookup_from_row(Some(&row), HASH) {
                KeyLookup::Malformed(problem) => {
                    assert!(problem.starts_with(expected), "{problem} vs {expected}")
                }
                other => panic!("{expected}: {other:?}"),
            }
        }
        assert_eq!(lookup_from_row(None, HASH), KeyLookup::Missing);
    }
}
