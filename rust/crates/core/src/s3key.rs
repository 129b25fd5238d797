//! Object keys: where documents live in the bucket, and how S3 event keys decode.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub const INCOMING_PREFIX: &str = "incoming/";
pub const QUARANTINE_PREFIX: &str = "quarantine/";

/// S3 event notifications URL-encode keys form-style: `+` is a space, then
/// percent escapes. Returns `None` when the escapes do not decode to UTF-8.
pub fn decode_event_key(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// What an event key leaves as it is: unreserved characters and `/`.
const EVENT_KEY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// The key as an S3 event notification carries it (the inverse of
/// [`decode_event_key`]): used to replay an object's event.
pub fn encode_event_key(key: &str) -> String {
    key.split(' ')
        .map(|part| utf8_percent_encode(part, EVENT_KEY_KEEP).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

pub fn incoming_key(client_id: &str, document_id: &str) -> String {
    format!("{INCOMING_PREFIX}{client_id}/{document_id}")
}

/// Where the quarantined copy of one object version goes. Every delivery
/// that judges the version copies it to this one key, whichever event it came
/// with, so copies made by deliveries that lost the race to record the
/// verdict (or died before recording it) are found there and removed. S3
/// does not document the alphabet of version ids, so the key carries a digest
/// of the id. Without a version id (a bucket without versioning) the
/// normalised sequencer names the copy, its right padding dropped so that
/// sequencers S3 orders as equal name the same copy.
pub fn quarantine_key(
    client_id: &str,
    document_id: &str,
    version_id: Option<&str>,
    sequencer: &str,
) -> String {
    let name = match version_id {
        Some(v) => version_digest(v),
        None => match sequencer.trim_end_matches('0') {
            "" => "0".to_string(),
            significant => significant.to_string(),
        },
    };
    format!("{QUARANTINE_PREFIX}{client_id}/{document_id}/{name}")
}

/// A short name for an object version id that is safe in keys of any kind:
/// `v-` and 32 hex digits of its SHA-256.
pub fn version_digest(version_id: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "v-{}",
        &hex::encode(Sha256::digest(version_id.as_bytes()))[..32]
    )
}

/// Splits `incoming/<client>/<document>` into its parts.
/// Both ids become DynamoDB keys, SNS subjects and message attributes, so
/// a key written around the API with any other shape is not docproc's: the
/// same alphabets the API issues (client ids as validated for keys; document
/// ids of 1-64 letters, digits, `-` or `_`).
pub fn parse_incoming_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(INCOMING_PREFIX)?;
    let (client, document) = rest.split_once('/')?;
    let document_ok = (1..=64).contains(&document.len())
        && document
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if crate::keys::validate_client_id(client).is_err() || !document_ok {
        return None;
    }
    Some((client, document))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_encode_form_style_and_decode_back() {
        assert_eq!(
            encode_event_key("incoming/acme/doc_1-a"),
            "incoming/acme/doc_1-a"
        );
        assert_eq!(encode_event_key("a b+c/é"), "a+b%2Bc/%C3%A9");
        for key in ["incoming/acme/x", "a b+c/é", "100% sure?", "  "] {
            assert_eq!(
                decode_event_key(&encode_event_key(key)).as_deref(),
                Some(key)
            );
        }
    }

    #[test]
    fn plus_is_space_and_percent_escapes_decode() {
        assert_eq!(
            decode_event_key("incoming/a/my+file%2Bv2%20.pdf").as_deref(),
            Some("incoming/a/my file+v2 .pdf")
        );
        assert_eq!(decode_event_key("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(decode_event_key("bad%FF"), None);
    }

    #[test]
    fn incoming_keys_round_trip() {
        let key = incoming_key("acme", "doc-1");
        assert_eq!(parse_incoming_key(&key), Some(("acme", "doc-1")));
        assert_eq!(parse_incoming_key("incoming/acme/a/b"), None);
        assert_eq!(parse_incoming_key("quarantine/acme/doc-1"), None);
    }

    #[test]
    fn quarantine_keys_name_the_version() {
        let v1 = quarantine_key("acme", "doc-1", Some("v1"), "0A");
        assert_eq!(v1, quarantine_key("acme", "doc-1", Some("v1"), "0B"));
        assert_ne!(v1, quarantine_key("acme", "doc-1", Some("v2"), "0A"));
        // Any version id makes one safe path segment.
        let odd = quarantine_key("acme", "doc-1", Some("3/L4kq+tJ../x"), "0A");
        assert_eq!(odd.matches('/').count(), 3, "{odd}");
        assert!(odd.starts_with("quarantine/acme/doc-1/v-"));
    }

    #[test]
    fn unversioned_quarantine_keys_drop_only_the_right_padding() {
        use crate::document::normalize_sequencer;
        let key = |s: &str| quarantine_key("acme", "doc-1", None, &normalize_sequencer(s).unwrap());
        assert_eq!(key("000A1B"), "quarantine/acme/doc-1/000A1B");
        assert_eq!(key("0A"), key("0A00"));
        assert_ne!(key("0A"), key("00A"));
        assert_eq!(key("00"), "quarantine/acme/doc-1/0");
    }

    #[test]
    fn keys_with_ids_the_api_never_issues_are_not_docprocs() {
        assert_eq!(
            parse_incoming_key("incoming/acme/d-01_x"),
            Some(("acme", "d-01_x"))
        );
        for bad in [
            "incoming/acme/",
            "incoming//doc",
            "incoming/acme/a/b",
            "incoming/acme/line\nbreak",
            "incoming/acme/caf\u{e9}",
            "incoming/-acme/doc",
            "incoming/acme/doc.pdf",
            "other/acme/doc",
        ] {
            assert_eq!(parse_incoming_key(bad), None, "{bad:?}");
        }
        let long = format!("incoming/acme/{}", "d".repeat(65));
        assert_eq!(parse_incoming_key(&long), None);
    }
}
