//! Content sniffing. Formats are recognised by their signatures only; the
//! declared type is checked afterwards against what was found here.

use crate::format::Format;
use crate::source::Source;
use crate::verdict::{Reason, Rejection};

pub enum Kind {
    Pdf,
    Zip,
    Image(Format),
    Text,
}

/// How far into a file readers look for a signature that is not at offset 0
/// (PDF readers accept `%PDF-` within the first KiB).
const SIGNATURE_WINDOW: usize = 1024;

fn unsupported(what: &str) -> Rejection {
    Rejection::new(
        Reason::Unsupported,
        format!("{what} is not a supported document format"),
    )
    .detected(what)
}

/// Signatures of formats docproc refuses outright.
fn foreign(head: &[u8]) -> Option<&'static str> {
    const TABLE: &[(&[u8], &str)] = &[
        (b"MZ", "windows executable"),
        (b"\x7fELF", "elf executable"),
        (b"\xfe\xed\xfa\xce", "mach-o executable"),
        (b"\xfe\xed\xfa\xcf", "mach-o executable"),
        (b"\xce\xfa\xed\xfe", "mach-o executable"),
        (b"\xcf\xfa\xed\xfe", "mach-o executable"),
        (b"\xca\xfe\xba\xbe", "java class or mach-o universal binary"),
        (b"\0asm", "webassembly module"),
        (b"#!", "script"),
        (b"\x1f\x8b", "gzip archive"),
        (b"BZh", "bzip2 archive"),
        (b"\xfd7zXZ\0", "xz archive"),
        (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
        (b"Rar!\x1a\x07", "rar archive"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "ole2 compound document (legacy office)",
        ),
        (b"{\\rtf", "rtf document"),
        (b"SQLite format 3\0", "sqlite database"),
    ];
    TABLE
        .iter()
        .find(|(sig, _)| head.starts_with(sig))
        .map(|(_, what)| *what)
}

pub fn detect(src: &dyn Source) -> Result<Kind, Rejection> {
    let head = src.read_range(0, SIGNATURE_WINDOW).map_err(Rejection::io)?;
    if head.starts_with(b"%PDF-") {
        return Ok(Kind::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Kind::Zip);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Image(Format::Png));
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Ok(Kind::Image(Format::Jpeg));
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(Kind::Image(Format::Gif));
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Ok(Kind::Image(Format::Tiff));
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Ok(Kind::Image(Format::Webp));
    }
    if head.len() >= 265 && &head[257..262] == b"ustar" {
        return Err(unsupported("tar archive"));
    }
    if let Some(what) = foreign(&head) {
        return Err(unsupported(what));
    }
    // A signature a little way in: readers that tolerate leading junk would
    // open it, so it is smuggled content, not text.
    if memchr::memmem::find(&head, b"%PDF-").is_some() {
        return Err(
            Rejection::new(Reason::LeadingData, "data precedes the PDF header").detected("pdf"),
        );
    }
    if head.len() > 4
        && memchr::memmem::find(&head[1..], b"PK\x03\x04").is_some()
        && find_zip_end(src).is_some()
    {
        return Err(
            Rejection::new(Reason::LeadingData, "data precedes the ZIP archive").detected("zip"),
        );
    }
    Ok(Kind::Text)
}

/// Locates a structurally valid ZIP end-of-central-directory record whose
/// comment ends exactly at the end of the source. Returns its offset.
pub fn find_zip_end(src: &dyn Source) -> Option<u64> {
    let len = src.len();
    if len < 22 {
        return None;
    }
    let window = len.min(22 + 65535);
    let start = len - window;
    let tail = src.read_range(start, window as usize).ok()?;
    let mut search_end = tail.len();
    while let Some(i) = memchr::memmem::rfind(&tail[..search_end], b"PK\x05\x06") {
        if i + 22 <= tail.len() {
            let comment_len = u16::from_le_bytes([tail[i + 20], tail[i + 21]]) as usize;
            if i + 22 + comment_len == tail.len() {
                return Some(start + i as u64);
            }
        }
        search_end = i;
    }
    None
}

/// Rejects files that are also a second format: a ZIP appended to an image or
/// PDF, or a PDF header hidden near the start of another format.
pub fn reject_polyglot(src: &dyn Source, format: Format) -> Result<(), Rejection> {
    let is_zip_based = matches!(
        format,
        Format::Docx | Format::Xlsx | Format::Pptx | Format::Odt | Format::Ods | Format::Odp
    );
    if !is_zip_based && find_zip_end(src).is_some() {
        return Err(Rejection::new(
            Reason::Polyglot,
            format!("the {} also carries a ZIP archive", format.name()),
        )
        .detected(format.name()));
    }
    if format != Format::Pdf {
        let head = src.read_range(0, SIGNATURE_WINDOW).map_err(Rejection::io)?;
        if memchr::memmem::find(&head, b"%PDF-").is_some() {
            return Err(Rejection::new(
                Reason::Polyglot,
                format!("the {} also carries a PDF header", format.name()),
            )
            .detected(format.name()));
        }
    }
    Ok(())
}
