//! CSV (RFC 4180) record checks: every record has the header's field count,
//! quoted fields may hold commas, quotes ("") and line breaks, CRLF ends a
//! line like LF, blank lines are not records. The engine's fast path (memchr
//! past the header) is checked against a byte-at-a-time reference on
//! generated inputs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use docproc_engine::{inspect, Declared, Limits, Reason, Verdict};
use proptest::prelude::*;

fn verdict(text: &[u8]) -> Verdict {
    inspect(
        &text.to_vec(),
        &Declared::new("data.csv", "text/csv"),
        &Limits::default(),
    )
}

fn columns(text: &[u8]) -> u64 {
    match verdict(text) {
        Verdict::Accepted { metadata, .. } => metadata["columns"].as_u64().unwrap(),
        v => panic!("{:?}: {v:?}", String::from_utf8_lossy(text)),
    }
}

#[test]
fn quoted_fields_hold_commas_quotes_and_line_breaks() {
    assert_eq!(columns(b"a,b,c\n1,\"x, y\",3\n"), 3);
    assert_eq!(columns(b"a,b\n\"say \"\"hi\"\"\",2\n"), 2);
    assert_eq!(columns(b"a,b\n\"line one\nline two\",2\n"), 2);
    assert_eq!(columns(b"a,b\r\n1,2\r\n\r\n3,4"), 2);
    assert_eq!(columns(b"a,b\n1,2\n\n\n"), 2);
}

#[test]
fn a_record_with_another_field_count_is_named() {
    for (text, record) in [
        (&b"a,b,c\n1,2,3\n1,2\n"[..], 3),
        (b"a,b\n1,\"2,3\",4\n", 2),
        (b"a,b\r\n1,2\r\n1,2,3", 3),
    ] {
        match verdict(text) {
            Verdict::Rejected(r) => {
                assert_eq!(r.reason, Reason::Malformed);
                assert!(
                    r.message.contains(&format!("record {record} has")),
                    "{}",
                    r.message
                );
            }
            v => panic!("{v:?}"),
        }
    }
}

#[test]
fn an_unterminated_quote_is_truncation() {
    assert_eq!(
        verdict(b"a,b\n1,\"open\n").reason(),
        Some(Reason::Truncated)
    );
}

/// RFC 4180 field counting, one byte at a time: the header's field count, or
/// the 1-based number of the first record that disagrees, or `None` for an
/// unterminated quote.
fn reference(text: &[u8]) -> Option<Result<u64, u64>> {
    let (mut quoted, mut fields, mut record, mut data) = (false, 1u64, 0u64, false);
    let mut columns = 0;
    for &b in text {
        if quoted {
            quoted = b != b'"';
            continue;
        }
        match b {
            b'"' => (quoted, data) = (true, true),
            b',' => fields += 1,
            b'\n' => {
                if record == 0 {
                    columns = fields;
                } else if (data || fields > 1) && fields != columns {
                    return Some(Err(record + 1));
                }
                (record, fields, data) = (record + 1, 1, false);
            }
            b'\r' => {}
            _ => data = true,
        }
    }
    if quoted {
        return None;
    }
    if record == 0 {
        return Some(Ok(fields));
    }
    if (data || fields > 1) && fields != columns {
        return Some(Err(record + 1));
    }
    Some(Ok(columns))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn fast_path_agrees_with_the_reference(
        header in "[a-c]{1,3}(,[a-c]{1,3}){0,4}\n",
        body in proptest::collection::vec(prop_oneof![
            Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'z')
        ], 0..200),
    ) {
        let mut text = header.into_bytes();
        text.extend(body);
        let v = verdict(&text);
        match reference(&text) {
            Some(Ok(cols)) => match &v {
                Verdict::Accepted { metadata, .. } => prop_assert_eq!(metadata["columns"].as_u64(), Some(cols)),
                other => prop_assert!(false, "reference accepts {} columns, engine: {:?}", cols, other),
            },
            Some(Err(record)) => match &v {
                Verdict::Rejected(r) => {
                    prop_assert_eq!(r.reason, Reason::Malformed);
                    let expected = format!("record {record} has");
                    prop_assert!(r.message.contains(&expected), "{}", r.message);
                }
                other => prop_assert!(false, "reference rejects record {}, engine: {:?}", record, other),
            },
            None => prop_assert_eq!(v.reason(), Some(Reason::Truncated)),
        }
    }
}
