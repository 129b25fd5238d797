//! Plain text, CSV, JSON and XML. One streaming pass validates the encoding
//! and counts lines; JSON and XML get a second, streaming well-formedness pass.

use crate::budget::Deadline;
use crate::format::{Declared, Format};
use crate::source::{Cursor, Source};
use crate::verdict::{Limits, Metadata, Reason, Rejection};
use quick_xml::events::Event;
use serde_json::json;
use std::io::{BufRead, BufReader, Read};

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
}

pub fn inspect(
    src: &dyn Source,
    declared: &Declared,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(Format, Metadata), Rejection> {
    let head = src.read_range(0, 4096).map_err(Rejection::io)?;
    let lower: Vec<u8> = head.iter().take(512).map(u8::to_ascii_lowercase).collect();
    let trimmed = trim_start(&lower);
    if trimmed.starts_with(b"<!doctype html")
        || trimmed.starts_with(b"<html")
        || trimmed.starts_with(b"<script")
    {
        return Err(reject(
            "html",
            Reason::Unsupported,
            "HTML documents are not supported",
        ));
    }
    let scan = scan(src, &head, deadline)?;
    let mut meta = Metadata::new();
    meta.insert("encoding".into(), json!(scan.encoding));
    meta.insert("lines".into(), json!(scan.lines));
    let format = match scan.first {
        Some(b'{') | Some(b'[') if scan.encoding == "utf-8" => {
            json_check(src, scan.bom as u64, limits, deadline)?;
            Format::Json
        }
        Some(b'<') => {
            let elements = xml_check(src, scan.bom as u64, limits, deadline)?;
            meta.insert("elements".into(), json!(elements));
            Format::Xml
        }
        _ if declared.declared_format() == Some(Format::Csv)
            || declared
                .filename
                .as_deref()
                .and_then(Format::from_extension)
                == Some(Format::Csv) =>
        {
            let (columns, header) = csv_check(src, scan.bom as u64, deadline)?;
            meta.insert("columns".into(), json!(columns));
            meta.insert("header".into(), json!(header));
            Format::Csv
        }
        _ => Format::Text,
    };
    Ok((format, meta))
}

fn trim_start(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

/// Validates UTF-8 (or identifies a legacy encoding) and counts lines, in
/// fixed-size chunks so memory does not depend on the file size.
fn scan(src: &dyn Source, head: &[u8], deadline: &Deadline) -> Result<Scan, Rejection> {
    let (bom, bom_encoding) = match head {
        [0xef, 0xbb, 0xbf, ..] => (3, None),
        [0xff, 0xfe, ..] => (2, Some("utf-16le")),
        [0xfe, 0xff, ..] => (2, Some("utf-16be")),
        _ => (0, None),
    };
    if let Some(encoding) = bom_encoding {
        return scan_utf16(src, encoding, deadline);
    }
    let first = trim_start(&head[bom.min(head.len())..]).first().copied();
    let mut reader = Cursor::new(src, bom as u64, src.len());
    let mut buf = vec![0u8; CHUNK + 4];
    let mut carry = 0usize;
    let mut lines = 0u64;
    let mut last_byte = b'\n';
    let mut utf8 = true;
    loop {
        deadline.check()?;
        let n = read_full(&mut reader, &mut buf[carry..CHUNK + carry])?;
        if n == 0 {
            if carry > 0 {
                utf8 = false;
            }
            break;
        }
        let filled = carry + n;
        let chunk = &buf[carry..filled];
        if memchr::memchr(0, chunk).is_some() {
            return Err(reject(
                "binary",
                Reason::Unsupported,
                "binary data (NUL bytes) is not a supported document format",
            ));
        }
        lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
        last_byte = chunk[chunk.len() - 1];
        if utf8 {
            match std::str::from_utf8(&buf[..filled]) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() => {
                    // A character split across chunks: carry its bytes over.
                    let valid = e.valid_up_to();
                    buf.copy_within(valid..filled, 0);
                    carry = filled - valid;
                }
                Err(_) => {
                    utf8 = false;
                    carry = 0;
                }
            }
        }
    }
    if last_byte != b'\n' {
        lines += 1;
    }
    let encoding = if utf8 {
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
    })
}

fn json_check(
    src: &dyn Source,
    start: u64,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(), Rejection> {
    crate::json::check(src, start, limits.text_max_depth, deadline)
}

/// The largest single XML event (a text node, comment, CDATA section, tag or
/// processing instruction) the checker buffers; larger ones are `too_complex`.
pub const XML_MAX_EVENT: usize = 4 << 20;
/// The longest element name accepted (quick-xml keeps open names for end-tag
/// checks, so this and the depth limit bound that stack).
const XML_MAX_NAME: usize = 64 << 10;
/// Bytes between deadline checks while an event streams in.
const XML_CHECK_EVERY: usize = 256 << 10;

/// The adapter quick-xml reads through: it counts the bytes of the event
/// being read and refuses to hand over more once the event exceeds
/// [`XML_MAX_EVENT`], and checks the deadline as bytes stream past, so one
/// huge text node or comment can cost neither unbounded memory nor time.
struct Guarded<'a, R> {
    inner: R,
    deadline: &'a Deadline,
    event_bytes: usize,
    unchecked: usize,
    tripped: Option<Rejection>,
}

impl<R: BufRead> Guarded<'_, R> {
    fn trip(&mut self, why: Rejection) -> std::io::Error {
        self.tripped = Some(why);
        std::io::Error::other("inspection limit reached")
    }
}

impl<R: BufRead> Read for Guarded<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> std::io::BufRead for Guarded<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.event_bytes > XML_MAX_EVENT {
            let why = reject(
                "xml",
                Reason::TooComplex,
                format!("an XML node is larger than {XML_MAX_EVENT} bytes"),
            );
            return Err(self.trip(why));
        }
        if self.unchecked >= XML_CHECK_EVERY {
            self.unchecked = 0;
            if let Err(why) = self.deadline.check() {
                return Err(self.trip(why));
            }
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.event_bytes += n;
        self.unchecked += n;
        self.inner.consume(n);
    }
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

/// Where the XML being checked lives: a standalone document, or one part of
/// an office container (rejections then name the part and the container).
pub(crate) struct XmlContext<'a> {
    detected: &'a str,
    part: Option<&'a str>,
}

impl<'a> XmlContext<'a> {
    pub(crate) fn standalone() -> Self {
        XmlContext {
            detected: "xml",
            part: None,
        }
    }

    pub(crate) fn part(container: &'a str, name: &'a str) -> Self {
        XmlContext {
            detected: container,
            part: Some(name),
        }
    }

    fn reject(&self, reason: Reason, msg: impl std::fmt::Display) -> Rejection {
        match self.part {
            Some(part) => reject(self.detected, reason, format!("part {part:?}: {msg}")),
            None => reject(self.detected, reason, msg.to_string()),
        }
    }
}

/// Carries a rejection through an `io::Error`, so a reader nested inside
/// quick-xml (a ZIP entry being inflated) can stop it with its own verdict.
#[derive(Debug)]
pub(crate) struct Tripped(pub Rejection);

impl std::fmt::Display for Tripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Tripped {}

impl Tripped {
    pub(crate) fn io(why: Rejection) -> std::io::Error {
        std::io::Error::other(Tripped(why))
    }

    /// The rejection an I/O error carries, if it was made by [`Tripped::io`].
    pub(crate) fn from_io(e: &std::io::Error) -> Option<Rejection> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<Tripped>())
            .map(|t| t.0.clone())
    }
}

/// Namespaces whose elements browsers render and script.
const ACTIVE_NAMESPACES: [&str; 2] = ["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml"];
/// URL schemes that run code when followed.
const SCRIPT_SCHEMES: [&str; 5] = [
    "javascript:",
    "vbscript:",
    "livescript:",
    "vnd.sun.star.script:",
    "macro:",
];
/// Content types of OOXML parts that carry macros or controls.
const ACTIVE_CONTENT_TYPES: [&str; 3] = ["macroenabled", "vbaproject", "activex"];

/// Does an attribute value start with a scripting URL scheme? Browsers ignore
/// whitespace and control characters inside the scheme, so this does too.
fn script_url(value: &[u8]) -> bool {
    let mut head = [0u8; 24];
    let mut len = 0;
    for &b in value {
        if b.is_ascii_whitespace() || b.is_ascii_control() {
            continue;
        }
        // Every scheme starts with a letter; most values (numbers, cell
        // references, ids) are ruled out by their first byte.
        if len == 0 && !matches!(b.to_ascii_lowercase(), b'j' | b'v' | b'l' | b'm') {
            return false;
        }
        head[len] = b.to_ascii_lowercase();
        len += 1;
        if len == head.len() {
            break;
        }
    }
    SCRIPT_SCHEMES
        .iter()
        .any(|s| head[..len].starts_with(s.as_bytes()))
}

/// Active-content rules for one element (start or empty tag) at `depth`.
/// `scope` is the depth of the outermost enclosing SVG/XHTML element, where
/// event-handler attributes run; it opens here if this element starts one.
fn check_active(
    e: &quick_xml::events::BytesStart<'_>,
    depth: u32,
    scope: &mut Option<u32>,
    ctx: &XmlContext<'_>,
    deadline: &Deadline,
) -> Result<(), Rejection> {
    let active = |what: String| ctx.reject(Reason::ActiveContent, what);
    let qname = e.name();
    let name: &str = qname.as_ref();
    let local = qname.local_name();
    let local: &str = local.as_ref();
    if local.eq_ignore_ascii_case("script") || local.eq_ignore_ascii_case("foreignObject") {
        return Err(active(format!("a <{name}> element is active content")));
    }
    if qname
        .prefix()
        .is_some_and(|p| AsRef::<str>::as_ref(&p) == "script")
    {
        return Err(active(format!(
            "a <{name}> element binds a script or macro"
        )));
    }
    let mut opens = local.eq_ignore_ascii_case("svg") || local.eq_ignore_ascii_case("html");
    let mut handler: Option<String> = None;
    let mut attributes = e.attributes();
    attributes.with_checks(false);
    for (i, attr) in attributes.enumerate() {
        if i % 4096 == 4095 {
            deadline.check()?;
        }
        let attr = attr.map_err(|err| {
            ctx.reject(
                Reason::Malformed,
                format!("the XML is not well-formed: {err}"),
            )
        })?;
        let key: &str = attr.key.as_ref();
        let key_local = attr.key.local_name();
        let key_local: &str = key_local.as_ref();
        if key == "xmlns" || key.starts_with("xmlns:") {
            if ACTIVE_NAMESPACES.contains(&AsRef::<str>::as_ref(&attr.value).trim()) {
                opens = true;
            }
            continue;
        }
        // Only references (`&#x09;`) change what the value says; without
        // them the raw bytes are the value, and nothing is allocated.
        let value: std::borrow::Cow<'_, str> =
            if memchr::memchr(b'&', attr.value.as_bytes()).is_none() {
                std::borrow::Cow::Borrowed(&attr.value)
            } else {
                std::borrow::Cow::Owned(
                    attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            ctx.reject(
                                Reason::Malformed,
                                format!("the XML is not well-formed: {err}"),
                            )
                        })?
                        .into_owned(),
                )
            };
        if script_url(value.as_bytes()) {
            return Err(active(format!(
                "attribute {key:?} of <{name}> is a script URL"
            )));
        }
        let is_handler =
            key_local.len() > 2 && key_local.as_bytes()[..2].eq_ignore_ascii_case(b"on");
        let animates_handler = key_local == "attributeName"
            && value.len() > 2
            && value.as_bytes()[..2].eq_ignore_ascii_case(b"on");
        if handler.is_none() && (is_handler || animates_handler) {
            handler = Some(key.to_string());
        }
        if ctx.part.is_some() && key_local == "ContentType" {
            let lower = value.to_ascii_lowercase();
            if ACTIVE_CONTENT_TYPES.iter().any(|t| lower.contains(t)) {
                return Err(active(format!(
                    "the package declares macro or ActiveX content ({value})"
                )));
            }
        }
    }
    if opens && scope.is_none() {
        *scope = Some(depth);
    }
    if scope.is_some() {
        if let Some(attr) = handler {
            return Err(active(format!(
                "<{name}> has an event-handler attribute {attr:?}"
            )));
        }
        for embed in ["iframe", "embed", "object", "frame"] {
            if local.eq_ignore_ascii_case(embed) {
                return Err(active(format!("a <{name}> element embeds active content")));
            }
        }
    }
    Ok(())
}

/// The XML rules, over any stream: well-formed, one root, no DOCTYPE (so no
/// entities), bounded depth, name length and event size, and no active
/// content (script elements, event handlers in SVG/XHTML, script URLs, macro
/// content types). Returns the number of elements.
pub(crate) fn check_xml<R: BufRead>(
    reader: R,
    ctx: &XmlContext<'_>,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<u64, Rejection> {
    deadline.check()?;
    let mut xml = quick_xml::Reader::from_reader(Guarded {
        inner: reader,
        deadline,
        event_bytes: 0,
        unchecked: 0,
        tripped: None,
    });
    xml.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let (mut depth, mut elements, mut roots, mut events) = (0u32, 0u64, 0u32, 0u64);
    let mut scope: Option<u32> = None;
    loop {
        events += 1;
        if events % 1024 == 0 {
            deadline.check()?;
        }
        xml.get_mut().event_bytes = 0;
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let carried = match &e {
                    quick_xml::Error::Io(io) => Tripped::from_io(io),
                    _ => None,
                };
                return Err(xml.get_mut().tripped.take().or(carried).unwrap_or_else(|| {
                    ctx.reject(
                        Reason::Malformed,
                        format!("the XML is not well-formed: {e}"),
                    )
                }));
            }
        };
        match event {
            Event::DocType(_) => {
                return Err(ctx.reject(
                    Reason::XmlDoctype,
                    "XML with a DOCTYPE is refused (entity expansion)",
                ));
            }
            Event::Start(e) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                elements += 1;
                if depth > limits.text_max_depth {
                    return Err(ctx.reject(
                        Reason::TooComplex,
                        format!("XML nests deeper than {} levels", limits.text_max_depth),
                    ));
                }
                if e.name().as_ref().len() > XML_MAX_NAME {
                    return Err(ctx.reject(
                        Reason::TooComplex,
                        format!("an XML element name is longer than {XML_MAX_NAME} bytes"),
                    ));
                }
                check_active(&e, depth, &mut scope, ctx, deadline)?;
            }
            Event::Empty(e) => {
                if depth == 0 {
                    roots += 1;
                }
                elements += 1;
                check_active(&e, depth + 1, &mut scope, ctx, deadline)?;
                if scope == Some(depth + 1) {
                    scope = None;
                }
            }
            Event::End(_) => {
                if scope == Some(depth) {
                    scope = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 0 && !t.trim().is_empty() => {
                return Err(ctx.reject(
                    Reason::Malformed,
                    "the XML has text outside its root element",
                ));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if depth != 0 {
        return Err(ctx.reject(Reason::Truncated, "the XML ends inside an element"));
    }
    // An empty part is allowed in a container; a standalone document needs
    // exactly one root.
    if roots != 1 && !(ctx.part.is_some() && roots == 0) {
        return Err(ctx.reject(
            Reason::Malformed,
            format!("the XML has {roots} root elements"),
        ));
    }
    Ok(elements)
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
