//! Plain text, CSV, JSON and XML. One streaming pass validates the encoding
//! and counts lines; JSON and XML get a second, streaming well-formedness pass.

use crate::budget::Deadline;
use crate::format::{Declared, Format};
use crate::source::{Cursor, Source};
use crate::utf8::Utf8Stream;
use crate::verdict::{Limits, Metadata, Reason, Rejection};
use crate::xml::{check_xml, XmlContext};
use serde_json::json;
use std::io::{BufReader, Read};

const CHUNK: usize = 1 << 20;

fn reject(format: &str, reason: Reason, msg: impl Into<String>) -> Rejection {
    Rejection::new(reason, msg).detected(format)
}

struct Scan {
    encoding: &'static str,
    lines: u64,
    /// First non-whitespace byte (after any BOM), to tell JSON/XML apart.
    first: Option<u8>,
    bom: usize,
    /// A document that starts like JSON is checked as JSON in the same pass
    /// (its bytes are read once); the result counts only if it is UTF-8.
    json: Option<crate::json::Check>,
}

pub fn inspect(
    src: &dyn Source,
    declared: &Declared,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(Format, Metadata), Rejection> {
    let head = src.read_range(0, 4096).map_err(Rejection::io)?;
    let (bom, bom_encoding): (usize, _) = match head[..] {
        [0xef, 0xbb, 0xbf, ..] => (3, None),
        [0xff, 0xfe, ..] => (2, Some("utf-16le")),
        [0xfe, 0xff, ..] => (2, Some("utf-16be")),
        _ => (0, None),
    };
    let start = content_start(src, bom as u64, deadline)?;
    let lower: Vec<u8> = start.iter().map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || lower.starts_with(b"<script")
    {
        return Err(reject(
            "html",
            Reason::Unsupported,
            "HTML documents are not supported",
        ));
    }
    // A document declared JSON or JSON Lines is checked as JSON even when
    // it starts with a scalar (`"a"` or `1` lines; RFC 8259 allows any value
    // at the top); otherwise only `{` or `[` makes text JSON.
    let json_declared = declares(declared, Format::Json) || declares(declared, Format::JsonLines);
    let scan = scan(
        src,
        (bom, bom_encoding),
        start.first().copied(),
        json_declared,
        limits,
        deadline,
    )?;
    let mut meta = Metadata::new();
    meta.insert("encoding".into(), json!(scan.encoding));
    meta.insert("lines".into(), json!(scan.lines));
    let format = match (scan.json, scan.first) {
        (Some(json), _) if scan.encoding == "utf-8" => {
            let shape = json.finish()?;
            // One value on one line is also a one-record JSON Lines file
            // when it is declared as one.
            if shape.values > 1 || (declares(declared, Format::JsonLines) && shape.one_per_line) {
                meta.insert("records".into(), json!(shape.values));
                Format::JsonLines
            } else {
                Format::Json
            }
        }
        (_, Some(b'<')) => {
            let elements = xml_check(src, scan.bom as u64, limits, deadline)?;
            meta.insert("elements".into(), json!(elements));
            Format::Xml
        }
        _ if declares(declared, Format::Csv) => {
            let (columns, header) = csv_check(src, scan.bom as u64, deadline)?;
            meta.insert("columns".into(), json!(columns));
            meta.insert("header".into(), json!(header));
            Format::Csv
        }
        _ => Format::Text,
    };
    Ok((format, meta))
}

/// Whether the uploader's content type or file extension names `format`.
fn declares(declared: &Declared, format: Format) -> bool {
    declared.declared_format() == Some(format)
        || declared
            .filename
            .as_deref()
            .and_then(Format::from_extension)
            == Some(format)
}

/// The first bytes of content after `from` (past a BOM) and any whitespace,
/// however long it runs: a document must not hide what it is behind it.
fn content_start(src: &dyn Source, from: u64, deadline: &Deadline) -> Result<Vec<u8>, Rejection> {
    const WINDOW: usize = 64 << 10;
    let mut at = from;
    loop {
        deadline.check()?;
        let window = src.read_range(at, WINDOW).map_err(Rejection::io)?;
        match window.iter().position(|c| !c.is_ascii_whitespace()) {
            Some(i) => return src.read_range(at + i as u64, 512).map_err(Rejection::io),
            None if window.len() < WINDOW => return Ok(Vec::new()),
            None => at += WINDOW as u64,
        }
    }
}

/// Validates UTF-8 (or identifies a legacy encoding) and counts lines, in
/// fixed-size chunks so memory does not depend on the file size.
fn scan(
    src: &dyn Source,
    (bom, bom_encoding): (usize, Option<&'static str>),
    first: Option<u8>,
    json_declared: bool,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Scan, Rejection> {
    if let Some(encoding) = bom_encoding {
        return scan_utf16(src, encoding, deadline);
    }
    let looks_like_json =
        matches!(first, Some(b'{' | b'[')) || (json_declared && first != Some(b'<'));
    let mut json =
        looks_like_json.then(|| crate::json::Check::new(bom as u64, limits.text_max_depth));
    let mut reader = Cursor::new(src, bom as u64, src.len());
    let mut buf = vec![0u8; CHUNK];
    let mut lines = 0u64;
    let mut last_byte = b'\n';
    let mut utf8 = Some(Utf8Stream::default());
    loop {
        deadline.check()?;
        let n = read_full(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if memchr::memchr(0, chunk).is_some() {
            return Err(reject(
                "binary",
                Reason::Unsupported,
                "binary data (NUL bytes) is not a supported document format",
            ));
        }
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        if let Some(json) = json.as_mut() {
            json.feed(chunk);
        }
        last_byte = chunk[chunk.len() - 1];
        // Once the text is not UTF-8, the rest need not be checked.
        if utf8.as_mut().is_some_and(|u| u.feed(chunk).is_err()) {
            utf8 = None;
        }
    }
    if last_byte != b'\n' {
        lines += 1;
    }
    let encoding = if utf8.is_some_and(|u| u.finish().is_ok()) {
        "utf-8"
    } else {
        let sample = src.read_range(0, 64 * 1024).map_err(Rejection::io)?;
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(&sample, sample.len() as u64 == src.len());
        let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
        if guess == encoding_rs::UTF_8 {
            return Err(reject(
                "text",
                Reason::Malformed,
                "the text is not valid UTF-8 and no other encoding fits",
            ));
        }
        guess.name()
    };
    Ok(Scan {
        encoding,
        lines,
        first,
        bom,
        json,
    })
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, Rejection> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = r.read(&mut buf[filled..]).map_err(Rejection::io)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

fn scan_utf16(
    src: &dyn Source,
    encoding: &'static str,
    deadline: &Deadline,
) -> Result<Scan, Rejection> {
    let little = encoding == "utf-16le";
    let mut reader = Cursor::new(src, 2, src.len());
    let mut buf = vec![0u8; CHUNK];
    let mut lines = 0u64;
    let mut pending_high = false;
    let mut odd = None;
    loop {
        deadline.check()?;
        let n = read_full(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        let mut bytes: Vec<u8> = odd.take().into_iter().collect();
        bytes.extend_from_slice(&buf[..n]);
        let units = bytes.len() / 2;
        if bytes.len() % 2 == 1 {
            odd = bytes.last().copied();
        }
        for i in 0..units {
            let u = if little {
                u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]])
            } else {
                u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]])
            };
            match u {
                0xd800..=0xdbff if !pending_high => pending_high = true,
                0xdc00..=0xdfff if pending_high => pending_high = false,
                0xd800..=0xdfff => {
                    return Err(reject(
                        "text",
                        Reason::Malformed,
                        "invalid UTF-16 surrogate",
                    ))
                }
                0 => {
                    return Err(reject(
                        "binary",
                        Reason::Unsupported,
                        "binary data (NUL characters) is not a supported document format",
                    ))
                }
                _ if pending_high => {
                    return Err(reject(
                        "text",
                        Reason::Malformed,
                        "invalid UTF-16 surrogate",
                    ))
                }
                0x0a => lines += 1,
                _ => {}
            }
        }
    }
    if odd.is_some() || pending_high {
        return Err(reject(
            "text",
            Reason::Truncated,
            "the UTF-16 text ends mid-character",
        ));
    }
    Ok(Scan {
        encoding,
        lines: lines + 1,
        first: None,
        bom: 2,
        json: None,
    })
}

fn xml_check(
    src: &dyn Source,
    start: u64,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<u64, Rejection> {
    let reader = BufReader::with_capacity(256 * 1024, Cursor::new(src, start, src.len()));
    check_xml(reader, &XmlContext::standalone(), limits, deadline)
}

/// Most columns a CSV header may have.
pub const CSV_MAX_COLUMNS: u64 = 16_384;
/// Most bytes the header record (the first line) may take.
pub const CSV_MAX_HEADER: u64 = 1 << 20;
/// Header names reported in the metadata.
const CSV_HEADER_NAMES: usize = 256;

fn csv_too_complex(msg: String) -> Rejection {
    reject("csv", Reason::TooComplex, msg)
}

/// RFC 4180 CSV: every record must have as many fields as the header. The
/// header is capped at [`CSV_MAX_HEADER`] bytes and [`CSV_MAX_COLUMNS`]
/// columns (`too_complex` beyond), and only its first names are kept, so
/// memory does not depend on what the file holds.
fn csv_check(
    src: &dyn Source,
    start: u64,
    deadline: &Deadline,
) -> Result<(u64, Vec<String>), Rejection> {
    let mut chunks = crate::source::Chunks::new(src, start, CHUNK, deadline);
    let (mut in_quotes, mut fields, mut record) = (false, 1u64, 0u64);
    let mut header: Vec<String> = Vec::new();
    let mut field = Vec::new();
    let mut columns = 0u64;
    let mut header_bytes = 0u64;
    let mut record_has_data = false;
    let mut prev_quote = false;
    let name = |field: &[u8]| {
        String::from_utf8_lossy(field)
            .trim_end_matches('\r')
            .trim()
            .to_string()
    };
    while let Some(chunk) = chunks.next_chunk()? {
        let mut i = 0;
        while i < chunk.len() {
            if record > 0 {
                // Past the header nothing is kept: jump between the bytes
                // that matter (memchr), counting fields and records.
                let rest = &chunk[i..];
                if in_quotes {
                    match memchr::memchr(b'"', rest) {
                        Some(p) => {
                            i += p + 1;
                            in_quotes = false;
                        }
                        None => i = chunk.len(),
                    }
                    continue;
                }
                let stop = memchr::memchr3(b'"', b',', b'\n', rest);
                let run = &rest[..stop.unwrap_or(rest.len())];
                record_has_data |= run.iter().any(|&c| c != b'\r');
                let Some(p) = stop else {
                    i = chunk.len();
                    continue;
                };
                i += p + 1;
                match rest[p] {
                    b'"' => {
                        in_quotes = true;
                        record_has_data = true;
                    }
                    b',' => fields += 1,
                    _ => {
                        check_record(record, fields, columns, record_has_data)?;
                        record += 1;
                        fields = 1;
                        record_has_data = false;
                    }
                }
                continue;
            }
            let b = chunk[i];
            i += 1;
            header_bytes += 1;
            if header_bytes > CSV_MAX_HEADER {
                return Err(csv_too_complex(format!(
                    "the CSV header is longer than {CSV_MAX_HEADER} bytes"
                )));
            }
            let keep = header.len() < CSV_HEADER_NAMES;
            if in_quotes {
                if b == b'"' {
                    in_quotes = false;
                    prev_quote = true;
                } else if keep {
                    field.push(b);
                }
                continue;
            }
            match b {
                b'"' => {
                    if prev_quote && keep {
                        field.push(b'"');
                    }
                    in_quotes = true;
                    record_has_data = true;
                }
                b',' => {
                    fields += 1;
                    if fields > CSV_MAX_COLUMNS {
                        return Err(csv_too_complex(format!(
                            "the CSV header has more than {CSV_MAX_COLUMNS} columns"
                        )));
                    }
                    if keep {
                        header.push(name(&field));
                    }
                    field.clear();
                }
                b'\n' => {
                    if keep {
                        header.push(name(&field));
                    }
                    field.clear();
                    columns = fields;
                    record += 1;
                    fields = 1;
                    record_has_data = false;
                }
                b'\r' => {}
                _ => {
                    record_has_data = true;
                    if keep {
                        field.push(b);
                    }
                }
            }
            prev_quote = false;
        }
    }
    if in_quotes {
        return Err(reject(
            "csv",
            Reason::Truncated,
            "the CSV ends inside a quoted field",
        ));
    }
    if record == 0 {
        if header.len() < CSV_HEADER_NAMES {
            header.push(name(&field));
        }
        columns = fields;
    } else {
        check_record(record, fields, columns, record_has_data)?;
    }
    Ok((columns, header))
}

/// A record (0-based `record` after the header) must have the header's
/// field count; an empty line is not a record.
fn check_record(record: u64, fields: u64, columns: u64, has_data: bool) -> Result<(), Rejection> {
    if (has_data || fields > 1) && fields != columns {
        return Err(reject(
            "csv",
            Reason::Malformed,
            format!(
                "record {} has {fields} fields; the header has {columns}",
                record + 1
            ),
        ));
    }
    Ok(())
}
