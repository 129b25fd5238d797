//! ZIP containers (OOXML and ODF). The central directory is parsed by hand so
//! every entry can be checked before anything is inflated: entry count,
//! declared sizes, compression ratio, overlapping or unsafe entries. Then each
//! entry is inflated as a stream (output discarded unless it is a small
//! metadata part), verifying its real size and CRC. Nothing touches disk.

use crate::budget::Deadline;
use crate::detect::find_zip_end;
use crate::format::Format;
use crate::source::{Cursor, Source};
use crate::verdict::{Limits, Metadata, Reason, Rejection};
use crate::xml::{check_xml, Tripped, XmlContext};
use crate::xmlmeta;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

const ZIP: &str = "zip";
/// Metadata parts are small; larger ones are not parsed.
const MAX_META_PART: u64 = 1 << 20;
/// Largest central directory accepted: 10,000 entries with long names fit
/// in a few MiB; a larger one is `too_complex` before anything is read.
pub const MAX_CENTRAL_DIRECTORY: u64 = 16 << 20;
/// Largest one central directory entry can be (three 16-bit lengths).
const MAX_CD_ENTRY: u64 = 46 + 3 * 0xffff;

fn reject(reason: Reason, msg: impl Into<String>) -> Rejection {
    Rejection::new(reason, msg).detected(ZIP)
}

fn le16(b: &[u8], at: usize) -> u64 {
    u16::from_le_bytes([b[at], b[at + 1]]) as u64
}

fn le32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as u64
}

#[derive(Debug)]
struct Entry {
    name: String,
    method: u64,
    flags: u64,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
}

pub fn inspect(
    src: &dyn Source,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(Format, Metadata), Rejection> {
    let len = src.len();
    let eocd_at = find_zip_end(src).ok_or_else(|| {
        reject(
            Reason::Truncated,
            "no end-of-central-directory record ends the file (truncated or trailing data)",
        )
    })?;
    let eocd = src.read_range(eocd_at, 22).map_err(Rejection::io)?;
    let (disk_entries, total_entries) = (le16(&eocd, 8), le16(&eocd, 10));
    let (cd_size, cd_offset) = (le32(&eocd, 12), le32(&eocd, 16));
    if total_entries == 0xffff || cd_offset == 0xffff_ffff || cd_size == 0xffff_ffff {
        return Err(reject(
            Reason::Unsupported,
            "ZIP64 archives are not supported for office documents",
        ));
    }
    if disk_entries != total_entries || le16(&eocd, 4) != 0 {
        return Err(reject(
            Reason::Malformed,
            "multi-disk archives are not supported",
        ));
    }
    if total_entries > limits.zip_max_entries {
        return Err(reject(
            Reason::ZipTooManyEntries,
            format!(
                "{total_entries} entries exceeds the limit of {}",
                limits.zip_max_entries
            ),
        ));
    }
    if cd_offset + cd_size != eocd_at {
        return Err(reject(
            Reason::Malformed,
            "the central directory does not end where the end record says",
        ));
    }
    // Never allocate what the end record claims: the directory is bounded by
    // the file (checked above), by what its entry count can occupy and by a
    // cap, and is then read one entry at a time.
    if cd_size > total_entries * MAX_CD_ENTRY {
        return Err(reject(
            Reason::Malformed,
            format!("the central directory is {cd_size} bytes, more than {total_entries} entries can take"),
        ));
    }
    if cd_size > MAX_CENTRAL_DIRECTORY {
        return Err(reject(
            Reason::TooComplex,
            format!(
                "the central directory is {cd_size} bytes; the limit is {MAX_CENTRAL_DIRECTORY}"
            ),
        ));
    }
    let entries = parse_central_directory(src, cd_offset, cd_size, total_entries, deadline)?;
    check_entries(&entries, limits)?;
    check_layout(src, &entries, cd_offset, deadline)?;

    let format = classify(src, &entries)?;
    reject_macros(&entries, format)?;
    // Verify every entry by inflating it, checking every XML part with the
    // XML rules as it streams past; keep the small metadata parts.
    let wanted = metadata_parts(format);
    let mut parts: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for e in &entries {
        deadline.check()?;
        let keep = wanted.contains(&e.name.as_str()) && e.uncompressed <= MAX_META_PART;
        let data = verify_entry(src, e, format, keep, limits, deadline)?;
        if keep {
            parts.insert(
                wanted.iter().find(|w| **w == e.name).copied().unwrap_or(""),
                data,
            );
        }
    }
    let _ = len;
    let mut meta = office_metadata(format, &parts);
    meta.insert("entries".into(), json!(entries.len()));
    Ok((format, meta))
}

/// Reads the central directory entry by entry with bounded positional reads.
fn parse_central_directory(
    src: &dyn Source,
    cd_offset: u64,
    cd_size: u64,
    count: u64,
    deadline: &Deadline,
) -> Result<Vec<Entry>, Rejection> {
    let corrupt = || reject(Reason::Malformed, "the central directory is corrupt");
    let cd_end = cd_offset + cd_size;
    let mut entries = Vec::with_capacity(count.min(10_000) as usize);
    let mut p = cd_offset;
    for _ in 0..count {
        deadline.check()?;
        if p + 46 > cd_end {
            return Err(corrupt());
        }
        let h = src.read_range(p, 46).map_err(Rejection::io)?;
        if h.len() < 46 || &h[..4] != b"PK\x01\x02" {
            return Err(corrupt());
        }
        let (name_len, extra_len, comment_len) = (le16(&h, 28), le16(&h, 30), le16(&h, 32));
        let end = p + 46 + name_len + extra_len + comment_len;
        if end > cd_end {
            return Err(corrupt());
        }
        let raw_name = src
            .read_range(p + 46, name_len as usize)
            .map_err(Rejection::io)?;
        if raw_name.len() as u64 != name_len {
            return Err(corrupt());
        }
        let name = String::from_utf8_lossy(&raw_name).into_owned();
        entries.push(Entry {
            name,
            flags: le16(&h, 8),
            method: le16(&h, 10),
            crc: le32(&h, 16) as u32,
            compressed: le32(&h, 20),
            uncompressed: le32(&h, 24),
            local_offset: le32(&h, 42),
        });
        p = end;
    }
    if p != cd_end {
        return Err(reject(
            Reason::Malformed,
            "the central directory has trailing bytes",
        ));
    }
    Ok(entries)
}

fn unsafe_name(name: &str) -> bool {
    name.starts_with('/')
        || name.starts_with('\\')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split(['/', '\\']).any(|c| c == "..")
        || name.chars().any(|c| c.is_control())
}

fn check_entries(entries: &[Entry], limits: &Limits) -> Result<(), Rejection> {
    let mut total = 0u64;
    for e in entries {
        if unsafe_name(&e.name) {
            return Err(reject(
                Reason::ZipUnsafePath,
                format!("entry {:?} has an absolute or parent-relative path", e.name),
            ));
        }
        if e.flags & 1 != 0 {
            return Err(reject(
                Reason::Encrypted,
                format!("entry {:?} is encrypted", e.name),
            ));
        }
        if e.method != 0 && e.method != 8 {
            return Err(reject(
                Reason::Unsupported,
                format!("entry {:?} uses compression method {}", e.name, e.method),
            ));
        }
        if e.method == 0 && e.compressed != e.uncompressed {
            return Err(reject(
                Reason::ZipSizeMismatch,
                format!("stored entry {:?} has inconsistent sizes", e.name),
            ));
        }
        total = total.saturating_add(e.uncompressed);
        // Tiny entries compress extremely well legitimately; judge ratios only
        // where the output is big enough to hurt.
        if e.uncompressed > 1 << 20 && e.uncompressed / e.compressed.max(1) > limits.zip_max_ratio {
            return Err(reject(
                Reason::ZipCompressionRatio,
                format!(
                    "entry {:?} expands {}x, above the limit of {}x",
                    e.name,
                    e.uncompressed / e.compressed.max(1),
                    limits.zip_max_ratio
                ),
            ));
        }
    }
    if total > limits.zip_max_total_uncompressed {
        return Err(reject(
            Reason::ZipTooLarge,
            format!(
                "entries declare {total} bytes in total, above the limit of {}",
                limits.zip_max_total_uncompressed
            ),
        ));
    }
    let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(reject(
            Reason::ZipOverlappingEntries,
            "two entries have the same name",
        ));
    }
    Ok(())
}

/// Entries must start at 0, follow each other without overlapping, and end
/// before the central directory: overlapping entries are how quine bombs and
/// parser-confusion attacks work.
fn check_layout(
    src: &dyn Source,
    entries: &[Entry],
    cd_offset: u64,
    deadline: &Deadline,
) -> Result<(), Rejection> {
    let mut spans: Vec<(u64, u64, &str)> = Vec::with_capacity(entries.len());
    for e in entries {
        deadline.check()?;
        let lh = src.read_range(e.local_offset, 30).map_err(Rejection::io)?;
        if lh.len() < 30 || &lh[..4] != b"PK\x03\x04" {
            return Err(reject(
                Reason::Malformed,
                format!("entry {:?} has no local header", e.name),
            ));
        }
        let header_len = 30 + le16(&lh, 26) + le16(&lh, 28);
        let local_name = src
            .read_range(e.local_offset + 30, le16(&lh, 26) as usize)
            .map_err(Rejection::io)?;
        if local_name != e.name.as_bytes() {
            return Err(reject(
                Reason::Malformed,
                format!(
                    "entry {:?} has a different name in its local header",
                    e.name
                ),
            ));
        }
        let descriptor = if e.flags & 8 != 0 { 16 } else { 0 };
        spans.push((
            e.local_offset,
            e.local_offset + header_len + e.compressed + descriptor,
            &e.name,
        ));
    }
    spans.sort_unstable();
    if spans.first().is_some_and(|s| s.0 != 0) {
        return Err(reject(
            Reason::LeadingData,
            "data precedes the first ZIP entry",
        ));
    }
    for w in spans.windows(2) {
        if w[0].1 > w[1].0 {
            return Err(reject(
                Reason::ZipOverlappingEntries,
                format!("entries {:?} and {:?} overlap", w[0].2, w[1].2),
            ));
        }
    }
    if spans.last().is_some_and(|s| s.1 > cd_offset) {
        return Err(reject(
            Reason::ZipOverlappingEntries,
            "an entry overlaps the central directory",
        ));
    }
    Ok(())
}

fn data_offset(src: &dyn Source, e: &Entry) -> Result<u64, Rejection> {
    let lh = src.read_range(e.local_offset, 30).map_err(Rejection::io)?;
    Ok(e.local_offset + 30 + le16(&lh, 26) + le16(&lh, 28))
}

/// Parts that carry code, whatever the package's content types say: a VBA
/// project or ActiveX controls in OOXML (MS-OFORMS, MS-OVBA), StarBasic
/// modules (`Basic/<library>/<module>.xml`) or script files (`Scripts/…`)
/// in ODF packages, where office suites keep document macros.
fn reject_macros(entries: &[Entry], format: Format) -> Result<(), Rejection> {
    let odf = matches!(format, Format::Odt | Format::Ods | Format::Odp);
    for e in entries {
        let name = e.name.replace('\\', "/").to_ascii_lowercase();
        if name.ends_with('/') {
            continue; // a folder entry holds nothing
        }
        let file = name.rsplit('/').next().unwrap_or(&name);
        let what = if file == "vbaproject.bin" {
            "a VBA macro project"
        } else if !odf && (name.starts_with("activex/") || name.contains("/activex/")) {
            "an ActiveX control"
        } else if odf
            && name.starts_with("basic/")
            && name.matches('/').count() == 2
            && !matches!(file, "script-lb.xml" | "dialog-lb.xml")
        {
            "a StarBasic macro module"
        } else if odf && name.starts_with("scripts/") {
            "a document script"
        } else {
            continue;
        };
        return Err(Rejection::new(
            Reason::ActiveContent,
            format!("part {:?} is {what}", e.name),
        )
        .detected(format.name()));
    }
    Ok(())
}

/// The inflated bytes of one entry as a stream: counts them, refuses more
/// than the declared size, updates the CRC and keeps them when asked. Its
/// errors carry their rejection (see [`Tripped`]).
struct Inflated<'a> {
    inner: Box<dyn Read + 'a>,
    entry: &'a Entry,
    produced: u64,
    crc: flate2::Crc,
    keep: bool,
    kept: Vec<u8>,
}

impl Read for Inflated<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let name = &self.entry.name;
        let n = self.inner.read(out).map_err(|err| {
            Tripped::io(reject(
                Reason::Malformed,
                format!("entry {name:?} does not inflate: {err}"),
            ))
        })?;
        self.produced += n as u64;
        if self.produced > self.entry.uncompressed {
            return Err(Tripped::io(reject(
                Reason::ZipSizeMismatch,
                format!(
                    "entry {name:?} inflates beyond its declared {} bytes",
                    self.entry.uncompressed
                ),
            )));
        }
        self.crc.update(&out[..n]);
        if self.keep {
            self.kept.extend_from_slice(&out[..n]);
        }
        Ok(n)
    }
}

fn stream_error(e: &Entry, err: &std::io::Error) -> Rejection {
    Tripped::from_io(err).unwrap_or_else(|| {
        reject(
            Reason::Malformed,
            format!("entry {:?} does not inflate: {err}", e.name),
        )
    })
}

/// Parts XML by name.
fn xml_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".xml", ".rels", ".vml", ".svg", ".xhtml"]
        .iter()
        .any(|x| lower.ends_with(x))
}

/// Content that starts like XML: its first non-blank byte is `<`.
fn starts_like_xml(head: &[u8]) -> bool {
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

/// Inflates one entry, refusing to produce more than its declared size and
/// checking its CRC; an XML part is checked with the XML rules on the way.
/// Returns the data when `keep` is set.
fn verify_entry(
    src: &dyn Source,
    e: &Entry,
    format: Format,
    keep: bool,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Vec<u8>, Rejection> {
    let start = data_offset(src, e)?;
    let raw = Cursor::new(src, start, start + e.compressed);
    let inner: Box<dyn Read> = if e.method == 8 {
        Box::new(flate2::read::DeflateDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let inflated = Inflated {
        inner,
        entry: e,
        produced: 0,
        crc: flate2::Crc::new(),
        keep,
        kept: Vec::new(),
    };
    let mut reader = BufReader::with_capacity(64 * 1024, inflated);
    deadline.check()?;
    let head = reader.fill_buf().map_err(|err| stream_error(e, &err))?;
    let bom = if head.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let body = &head[bom..];
    let utf16 = |b: &[u8]| b.starts_with(b"<\0") || b.starts_with(b"\0<");
    let utf16_bom = head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff");
    if utf16(head) || (utf16_bom && (xml_name(&e.name) || utf16(&head[2..]))) {
        return Err(Rejection::new(
            Reason::Unsupported,
            format!(
                "part {:?} is UTF-16 XML, which docproc cannot check",
                e.name
            ),
        )
        .detected(format.name()));
    }
    if xml_name(&e.name) || starts_like_xml(body) {
        reader.consume(bom);
        check_xml(
            &mut reader,
            &XmlContext::part(format.name(), &e.name),
            limits,
            deadline,
        )?;
    }
    // Whatever the XML check did not read (all of a non-XML part).
    loop {
        deadline.check()?;
        let n = reader
            .fill_buf()
            .map_err(|err| stream_error(e, &err))?
            .len();
        if n == 0 {
            break;
        }
        reader.consume(n);
    }
    let inflated = reader.into_inner();
    if inflated.produced != e.uncompressed {
        return Err(reject(
            Reason::ZipSizeMismatch,
            format!(
                "entry {:?} is {} bytes, not the declared {}",
                e.name, inflated.produced, e.uncompressed
            ),
        ));
    }
    if inflated.crc.sum() != e.crc {
        return Err(reject(
            Reason::Malformed,
            format!("entry {:?} fails its CRC check", e.name),
        ));
    }
    Ok(inflated.kept)
}

fn classify(src: &dyn Source, entries: &[Entry]) -> Result<Format, Rejection> {
    let has = |n: &str| entries.iter().any(|e| e.name == n);
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Ok(Format::Docx);
        }
        if has("xl/workbook.xml") {
            return Ok(Format::Xlsx);
        }
        if has("ppt/presentation.xml") {
            return Ok(Format::Pptx);
        }
    }
    // ODF: the first entry is an uncompressed `mimetype` naming the type.
    if let Some(first) = entries.iter().min_by_key(|e| e.local_offset) {
        if first.name == "mimetype" && first.method == 0 && first.uncompressed <= 128 {
            let mime = src
                .read_range(data_offset(src, first)?, first.uncompressed as usize)
                .map_err(Rejection::io)?;
            let format = match mime.as_slice() {
                b"application/vnd.oasis.opendocument.text" => Some(Format::Odt),
                b"application/vnd.oasis.opendocument.spreadsheet" => Some(Format::Ods),
                b"application/vnd.oasis.opendocument.presentation" => Some(Format::Odp),
                _ => None,
            };
            if let Some(f) = format {
                if has("content.xml") {
                    return Ok(f);
                }
            }
        }
    }
    let what = if has("META-INF/MANIFEST.MF") || entries.iter().any(|e| e.name.ends_with(".class"))
    {
        "java archive"
    } else {
        "zip archive"
    };
    Err(Rejection::new(
        Reason::Unsupported,
        format!("a {what} that is not an office document is not supported"),
    )
    .detected(what))
}

fn metadata_parts(format: Format) -> &'static [&'static str] {
    match format {
        Format::Docx | Format::Pptx => &["docProps/core.xml", "docProps/app.xml"],
        Format::Xlsx => &["docProps/core.xml", "docProps/app.xml", "xl/workbook.xml"],
        _ => &["meta.xml"],
    }
}

fn office_metadata(format: Format, parts: &BTreeMap<&str, Vec<u8>>) -> Metadata {
    let mut meta = Metadata::new();
    fn put(meta: &mut Metadata, key: &str, value: Option<&String>) {
        if let Some(v) = value {
            let json = v
                .parse::<u64>()
                .map(|n| json!(n))
                .unwrap_or_else(|_| json!(v));
            meta.insert(key.to_string(), json);
        }
    }
    if let Some(core) = parts.get("docProps/core.xml").and_then(|x| {
        xmlmeta::extract(
            x,
            &["title", "creator", "created", "modified", "lastModifiedBy"],
            &[],
        )
    }) {
        put(&mut meta, "title", core.get("title"));
        put(&mut meta, "author", core.get("creator"));
        put(&mut meta, "created", core.get("created"));
        put(&mut meta, "modified", core.get("modified"));
    }
    if let Some(app) = parts
        .get("docProps/app.xml")
        .and_then(|x| xmlmeta::extract(x, &["Pages", "Words", "Slides", "Application"], &[]))
    {
        put(&mut meta, "pages", app.get("Pages"));
        put(&mut meta, "words", app.get("Words"));
        put(&mut meta, "slides", app.get("Slides"));
        put(&mut meta, "application", app.get("Application"));
    }
    if let Some(n) = parts
        .get("xl/workbook.xml")
        .and_then(|x| xmlmeta::count_elements(x, "sheet"))
    {
        meta.insert("sheets".into(), json!(n));
    }
    if let Some(odf) = parts.get("meta.xml").and_then(|x| {
        xmlmeta::extract(
            x,
            &[
                "title",
                "initial-creator",
                "creator",
                "creation-date",
                "date",
                "generator",
            ],
            &["page-count", "word-count", "table-count", "object-count"],
        )
    }) {
        put(&mut meta, "title", odf.get("title"));
        put(
            &mut meta,
            "author",
            odf.get("initial-creator").or(odf.get("creator")),
        );
        put(&mut meta, "created", odf.get("creation-date"));
        put(&mut meta, "modified", odf.get("date"));
        put(&mut meta, "application", odf.get("generator"));
        put(&mut meta, "pages", odf.get("page-count"));
        put(&mut meta, "words", odf.get("word-count"));
        if format == Format::Ods {
            put(&mut meta, "sheets", odf.get("table-count"));
        }
    }
    meta
}
