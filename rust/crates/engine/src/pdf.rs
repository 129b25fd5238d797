//! PDF structure walker. Objects are visited in file order with bounded
//! reads; streams are skipped by length, or inflated with an output cap when
//! they are compressed (object streams are parsed, since PDF 1.5 keeps page
//! objects there). The page tree's declared count is cross-checked against
//! the page objects that really exist.

use crate::budget::Deadline;
use crate::source::{Cursor, Source};
use crate::verdict::{Limits, Metadata, Reason, Rejection};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Mutex, PoisonError};

mod xref;

const PDF: &str = "pdf";
/// Largest object body (dictionary text) parsed outside streams.
const MAX_OBJECT_BODY: usize = 1 << 20;
/// Largest decompressed object stream (it is held in memory to be parsed).
const MAX_OBJECT_STREAM: u64 = 8 << 20;

fn reject(reason: Reason, msg: impl Into<String>) -> Rejection {
    Rejection::new(reason, msg).detected(PDF)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(Vec<u8>),
    Int(i64),
    Real,
    Str(Vec<u8>),
    DictOpen,
    DictClose,
    ArrOpen,
    ArrClose,
    Word(Vec<u8>),
}

/// A name's bytes with `#xx` escapes decoded: `/Java#53cript` is the same
/// name as `/JavaScript` (ISO 32000-1, 7.3.5), so comparisons see through it.
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match (
            raw[i],
            raw.get(i + 1).copied().and_then(hex),
            raw.get(i + 2).copied().and_then(hex),
        ) {
            (b'#', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Names that only occur in actions that run code or programs: a JavaScript
/// action (`/S /JavaScript`, its `/JS` script, the document-level
/// `/JavaScript` name tree) or a Launch action (`/S /Launch`).
const ACTIVE_NAMES: [&[u8]; 3] = [b"JavaScript", b"JS", b"Launch"];

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

/// Tokenises PDF syntax; `None` if the input ends mid-token.
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<Result<Tok, Rejection>> {
        let b = self.b;
        loop {
            while self.i < b.len() && is_ws(b[self.i]) {
                self.i += 1;
            }
            if self.i < b.len() && b[self.i] == b'%' {
                while self.i < b.len() && b[self.i] != b'\n' && b[self.i] != b'\r' {
                    self.i += 1;
                }
                continue;
            }
            break;
        }
        let c = *b.get(self.i)?;
        self.i += 1;
        let tok = match c {
            b'<' if b.get(self.i) == Some(&b'<') => {
                self.i += 1;
                Tok::DictOpen
            }
            b'>' if b.get(self.i) == Some(&b'>') => {
                self.i += 1;
                Tok::DictClose
            }
            b'[' => Tok::ArrOpen,
            b']' => Tok::ArrClose,
            b'/' => {
                let s = self.i;
                while self.i < b.len() && !is_ws(b[self.i]) && !is_delim(b[self.i]) {
                    self.i += 1;
                }
                Tok::Name(decode_name(&b[s..self.i]))
            }
            b'(' => return Some(self.literal()),
            b'<' => {
                let s = self.i;
                let end = memchr::memchr(b'>', &b[s..])? + s;
                self.i = end + 1;
                let hex: Vec<u8> = b[s..end].iter().copied().filter(|c| !is_ws(*c)).collect();
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Some(Err(reject(Reason::Malformed, "invalid hex string")));
                }
                let mut out = Vec::with_capacity(hex.len() / 2 + 1);
                for pair in hex.chunks(2) {
                    let hi = (pair[0] as char).to_digit(16).unwrap_or(0) as u8;
                    let lo = pair
                        .get(1)
                        .map(|c| (*c as char).to_digit(16).unwrap_or(0) as u8)
                        .unwrap_or(0);
                    out.push(hi << 4 | lo);
                }
                Tok::Str(out)
            }
            b')' | b'>' | b'{' | b'}' => {
                return Some(Err(reject(Reason::Malformed, "unexpected delimiter")))
            }
            _ => {
                let s = self.i - 1;
                while self.i < b.len() && !is_ws(b[self.i]) && !is_delim(b[self.i]) {
                    self.i += 1;
                }
                let word = &b[s..self.i];
                match std::str::from_utf8(word)
                    .ok()
                    .and_then(|w| w.parse::<i64>().ok())
                {
                    Some(n) => Tok::Int(n),
                    None if word
                        .iter()
                        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+')) =>
                    {
                        Tok::Real
                    }
                    None => Tok::Word(word.to_vec()),
                }
            }
        };
        Some(Ok(tok))
    }

    fn literal(&mut self) -> Result<Tok, Rejection> {
        let b = self.b;
        let mut depth = 1u32;
        let mut out = Vec::new();
        while self.i < b.len() {
            let c = b[self.i];
            self.i += 1;
            match c {
                b'\\' => {
                    let e = *b
                        .get(self.i)
                        .ok_or_else(|| reject(Reason::Truncated, "string ends mid-escape"))?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            for _ in 0..2 {
                                match b.get(self.i) {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + (d - b'0') as u32;
                                        self.i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        b'\r' | b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(Tok::Str(out));
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        Err(reject(Reason::Truncated, "string is not terminated"))
    }
}

/// Top-level keys of one dictionary, with scalar values (nested values are
/// skipped; references are kept as their object number).
#[derive(Debug, Default)]
struct Dict {
    entries: BTreeMap<Vec<u8>, Tok>,
    refs: BTreeMap<Vec<u8>, i64>,
}

impl Dict {
    fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.entries.get(key) {
            Some(Tok::Name(n)) => Some(n),
            _ => None,
        }
    }
    fn int(&self, key: &[u8]) -> Option<i64> {
        match self.entries.get(key) {
            Some(Tok::Int(n)) => Some(*n),
            _ => None,
        }
    }
    fn has(&self, key: &[u8]) -> bool {
        self.entries.contains_key(key) || self.refs.contains_key(key)
    }
}

/// The keyword that ended an object body and the offset just after it.
type StopWord = (Vec<u8>, usize);

/// Parses a run of tokens into the dictionaries it contains at top level.
/// Returns the dictionaries and the index after the last consumed token,
/// stopping at `stream` or `endobj` when `stop_words` is set.
fn dictionaries(
    body: &[u8],
    max_depth: u32,
    stop_words: bool,
) -> Result<(Vec<Dict>, Option<StopWord>), Rejection> {
    let mut lx = Lexer { b: body, i: 0 };
    let mut depth = 0u32;
    let mut dicts = Vec::new();
    let mut current: Option<Dict> = None;
    let mut pending_key: Option<Vec<u8>> = None;
    let mut recent: Vec<Tok> = Vec::new();
    while let Some(tok) = lx.next() {
        let tok = tok?;
        if let Tok::Name(n) = &tok {
            if ACTIVE_NAMES.contains(&n.as_slice()) {
                return Err(reject(
                    Reason::ActiveContent,
                    format!(
                        "the PDF contains a JavaScript or Launch action (/{})",
                        String::from_utf8_lossy(n)
                    ),
                ));
            }
        }
        match &tok {
            Tok::DictOpen | Tok::ArrOpen => {
                depth += 1;
                if depth > max_depth {
                    return Err(reject(
                        Reason::TooComplex,
                        format!("objects nest deeper than {max_depth} levels"),
                    ));
                }
                if depth == 1 {
                    current = (tok == Tok::DictOpen).then(Dict::default);
                    pending_key = None;
                }
            }
            Tok::DictClose | Tok::ArrClose => {
                if depth == 0 {
                    return Err(reject(Reason::Malformed, "unbalanced dictionary or array"));
                }
                depth -= 1;
                if depth == 0 {
                    if let Some(d) = current.take() {
                        dicts.push(d);
                    }
                }
            }
            Tok::Word(w) if stop_words && depth == 0 && (w == b"stream" || w == b"endobj") => {
                return Ok((dicts, Some((w.clone(), lx.i))));
            }
            Tok::Word(w) if w == b"R" && depth == 1 => {
                // `/Key N G R`: the last two tokens were the reference.
                if let (Some(d), [.., Tok::Name(k), Tok::Int(n), Tok::Int(_)]) =
                    (current.as_mut(), recent.as_slice())
                {
                    d.entries.remove(k);
                    d.refs.insert(k.clone(), *n);
                }
            }
            _ => {}
        }
        if depth == 1 {
            if let Some(d) = current.as_mut() {
                match (&pending_key, &tok) {
                    (None, Tok::Name(n)) => pending_key = Some(n.clone()),
                    (Some(_), Tok::DictOpen | Tok::DictClose | Tok::ArrOpen | Tok::ArrClose) => {}
                    (Some(k), value) => {
                        d.entries.insert(k.clone(), value.clone());
                        pending_key = None;
                    }
                    _ => {}
                }
            }
        } else if depth == 2 && matches!(tok, Tok::DictOpen | Tok::ArrOpen) {
            // A nested value completes the pending key.
            if let Some(k) = pending_key.take() {
                if let Some(d) = current.as_mut() {
                    d.entries.insert(k, Tok::Word(b"<nested>".to_vec()));
                }
            }
        }
        recent.push(tok);
        if recent.len() > 4 {
            recent.remove(0);
        }
    }
    if depth != 0 {
        return Err(reject(
            Reason::Truncated,
            "the file ends inside a dictionary",
        ));
    }
    Ok((dicts, None))
}

fn decode_text(raw: &[u8]) -> String {
    let s = if raw.starts_with(&[0xfe, 0xff]) {
        let units: Vec<u16> = raw[2..]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        // PDFDocEncoding agrees with Latin-1 for printable characters.
        raw.iter().map(|&b| b as char).collect()
    };
    s.chars()
        .filter(|c| !c.is_control())
        .take(512)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Finds `needle` at or after `from`, reading in bounded windows that start
/// small (the next object is usually a few bytes away) and grow fourfold up
/// to 1 MiB while nothing is found, so a long run costs few reads and a short
/// one costs little copying.
fn find(
    src: &dyn Source,
    from: u64,
    needle: &[u8],
    deadline: &Deadline,
) -> Result<Option<u64>, Rejection> {
    const FIRST_WINDOW: usize = 1 << 10;
    const WINDOW: usize = 1 << 20;
    let finder = memchr::memmem::Finder::new(needle);
    let mut window = FIRST_WINDOW;
    let mut pos = from;
    while pos < src.len() {
        deadline.check()?;
        let buf = src.read_range(pos, window).map_err(Rejection::io)?;
        if let Some(i) = finder.find(&buf) {
            return Ok(Some(pos + i as u64));
        }
        if buf.len() < window {
            return Ok(None);
        }
        pos += (window - needle.len()) as u64;
        window = (window * 4).min(WINDOW);
    }
    Ok(None)
}

/// Bytes of the document kept around the walker's position.
const READ_AHEAD: usize = 64 * 1024;

/// A read-ahead cache over the source for the walker's many small reads
/// (object bodies, the bytes before `obj`, stream probes): a small read that
/// misses refills one fixed `READ_AHEAD` buffer from its offset, larger reads
/// go straight to the source. Memory stays flat whatever the document.
struct ReadAhead<'a> {
    src: &'a dyn Source,
    /// Offset of `data[0]` in the source, and the bytes `data` cached from there.
    cache: Mutex<(u64, Vec<u8>)>,
}

impl<'a> ReadAhead<'a> {
    fn new(src: &'a dyn Source) -> Self {
        ReadAhead {
            src,
            cache: Mutex::new((0, Vec::new())),
        }
    }
}

impl Source for ReadAhead<'_> {
    fn len(&self) -> u64 {
        self.src.len()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = (buf.len() as u64).min(self.len().saturating_sub(offset)) as usize;
        if want == 0 {
            return Ok(0);
        }
        if want > READ_AHEAD / 2 {
            return self.src.read_at(offset, buf);
        }
        let mut guard = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let (start, data) = &mut *guard;
        let cached = offset >= *start && offset + want as u64 <= *start + data.len() as u64;
        if !cached {
            data.resize(READ_AHEAD, 0);
            let mut filled = 0;
            while filled < READ_AHEAD {
                let n = match self
                    .src
                    .read_at(offset + filled as u64, &mut data[filled..])
                {
                    Ok(n) => n,
                    Err(e) => {
                        // Never serve a half-filled buffer later.
                        data.clear();
                        return Err(e);
                    }
                };
                if n == 0 {
                    break;
                }
                filled += n;
            }
            data.truncate(filled);
            *start = offset;
        }
        let from = (offset - *start) as usize;
        let n = want.min(data.len() - from);
        buf[..n].copy_from_slice(&data[from..from + n]);
        Ok(n)
    }
}

/// The largest object number a PDF may use (ISO 32000-1, Annex C); it bounds
/// the per-object bit sets below at 1 MiB each.
pub(crate) const MAX_OBJECT_NUMBER: i64 = 8_388_607;

/// One bit per object number, grown to the largest number set.
#[derive(Default)]
pub(crate) struct ObjectBits(Vec<u64>);

impl ObjectBits {
    fn set(&mut self, n: i64, on: bool) {
        let (word, bit) = ((n / 64) as usize, n % 64);
        if word >= self.0.len() {
            if !on {
                return;
            }
            self.0.resize(word + 1, 0);
        }
        if on {
            self.0[word] |= 1 << bit;
        } else {
            self.0[word] &= !(1 << bit);
        }
    }

    fn get(&self, n: i64) -> bool {
        self.0
            .get((n / 64) as usize)
            .is_some_and(|w| w & (1 << (n % 64)) != 0)
    }

    /// Bits set here and not in `other`.
    fn count_without(&self, other: &ObjectBits) -> u64 {
        self.0
            .iter()
            .enumerate()
            .map(|(i, w)| (w & !other.0.get(i).copied().unwrap_or(0)).count_ones() as u64)
            .sum()
    }
}

#[derive(Default)]
struct Findings {
    objects: u64,
    /// Object numbers whose latest definition in file order is a page: an
    /// incremental update that rewrites a page (7.5.6) replaces it.
    pages: ObjectBits,
    root_count: Option<i64>,
    linearized: bool,
    encrypted: bool,
    info_ref: Option<i64>,
    info_candidates: BTreeMap<i64, Dict>,
    info_direct: Option<Dict>,
    /// Streams whose `/Length` is an indirect reference, resolved through the
    /// cross-reference entries once the walk is done.
    indirect_lengths: Vec<xref::IndirectLength>,
}

impl Findings {
    /// Records object `number`'s latest definition (`d` is its dictionary, if any).
    fn absorb(&mut self, number: i64, d: Option<Dict>) -> Result<(), Rejection> {
        if !(0..=MAX_OBJECT_NUMBER).contains(&number) {
            return Err(reject(
                Reason::Malformed,
                format!("object number {number} is outside 0..={MAX_OBJECT_NUMBER}"),
            ));
        }
        let Some(d) = d else {
            self.pages.set(number, false);
            return Ok(());
        };
        self.pages.set(number, d.name(b"Type") == Some(b"Page"));
        match d.name(b"Type") {
            // The latest root page tree node holds the document's page count.
            Some(b"Pages") if !d.has(b"Parent") => {
                self.root_count = Some(d.int(b"Count").unwrap_or(-1))
            }
            Some(b"XRef") => self.absorb_trailer(&d),
            _ => {}
        }
        if d.has(b"Linearized") {
            self.linearized = true;
        }
        let info_keys = [
            b"Title".as_slice(),
            b"Author",
            b"Producer",
            b"Creator",
            b"CreationDate",
        ];
        if info_keys.iter().any(|k| d.has(k)) {
            self.info_candidates.insert(number, d);
        }
        Ok(())
    }

    fn absorb_trailer(&mut self, d: &Dict) {
        if d.has(b"Encrypt") {
            self.encrypted = true;
        }
        if let Some(n) = d.refs.get(b"Info".as_slice()) {
            self.info_ref = Some(*n);
        }
    }
}

fn header_version(src: &dyn Source) -> Result<String, Rejection> {
    let head = src.read_range(0, 16).map_err(Rejection::io)?;
    let v: String = head[5..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .map(|&c| c as char)
        .collect();
    if v.len() < 3 || !v.contains('.') {
        return Err(reject(Reason::Malformed, "the PDF header has no version"));
    }
    Ok(v)
}

/// `%%EOF` must end the file (only whitespace after it), after a `startxref`.
fn check_tail(src: &dyn Source) -> Result<(), Rejection> {
    let len = src.len();
    let tail_start = len.saturating_sub(2048);
    let tail = src.read_range(tail_start, 2048).map_err(Rejection::io)?;
    let Some(eof) = memchr::memmem::rfind(&tail, b"%%EOF") else {
        return Err(reject(
            Reason::Truncated,
            "the PDF has no %%EOF marker at its end (truncated or trailing data)",
        ));
    };
    if !tail[eof + 5..].iter().all(|b| is_ws(*b)) {
        return Err(reject(
            Reason::TrailingData,
            format!(
                "data follows the final %%EOF at byte {}",
                tail_start + eof as u64 + 5
            ),
        ));
    }
    if memchr::memmem::rfind(&tail[..eof], b"startxref").is_none() {
        return Err(reject(
            Reason::Malformed,
            "the PDF has no startxref before %%EOF",
        ));
    }
    Ok(())
}

pub fn inspect(
    src: &dyn Source,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Metadata, Rejection> {
    let cached = ReadAhead::new(src);
    let src: &dyn Source = &cached;
    let version = header_version(src)?;
    check_tail(src)?;
    let mut f = Findings::default();
    let mut pos = 8u64;
    while let Some(at) = find(src, pos, b"obj", deadline)? {
        deadline.check()?;
        pos = at + 3;
        // Only `N G obj` starts an object (not `endobj`).
        let back = src
            .read_range(at.saturating_sub(24), (at - at.saturating_sub(24)) as usize)
            .map_err(Rejection::io)?;
        let Some(number) = object_number(&back) else {
            continue;
        };
        let after = src.read_range(at + 3, 1).map_err(Rejection::io)?;
        if after.first().is_some_and(|c| !is_ws(*c) && !is_delim(*c)) {
            continue;
        }
        f.objects += 1;
        if f.objects > limits.pdf_max_objects {
            return Err(reject(
                Reason::TooComplex,
                format!("more than {} objects", limits.pdf_max_objects),
            ));
        }
        pos = object(src, at + 3, number, &mut f, limits, deadline)?;
    }
    if f.objects == 0 {
        return Err(reject(Reason::Malformed, "the PDF contains no objects"));
    }
    let freed = xref::check(src, &mut f.indirect_lengths, limits, deadline)?;
    // Pages whose newest cross-reference entry is free were deleted by an update.
    let pages = f.pages.count_without(&freed);
    // The classic trailer dictionary (absent when a cross-reference stream is used).
    if let Some(t) = find_last(src, b"trailer")? {
        let body = src.read_range(t + 7, 64 * 1024).map_err(Rejection::io)?;
        let (dicts, _) = dictionaries(
            &body[..memchr::memmem::find(&body, b"startxref").unwrap_or(body.len())],
            limits.pdf_max_depth,
            false,
        )?;
        for d in &dicts {
            f.absorb_trailer(d);
        }
    }
    if f.encrypted {
        return Err(reject(
            Reason::Encrypted,
            "the PDF is encrypted; its content cannot be validated",
        ));
    }
    let declared = f
        .root_count
        .ok_or_else(|| reject(Reason::Malformed, "the PDF has no page tree"))?;
    if declared < 0 || declared as u64 != pages {
        return Err(reject(
            Reason::PdfPageCountMismatch,
            format!(
                "the page tree declares {declared} pages but the file holds {} page objects",
                pages
            ),
        ));
    }
    let mut meta = Metadata::new();
    meta.insert("version".into(), json!(version));
    meta.insert("pages".into(), json!(pages));
    meta.insert("encrypted".into(), json!(false));
    meta.insert("linearized".into(), json!(f.linearized));
    let info = f
        .info_ref
        .and_then(|n| f.info_candidates.remove(&n))
        .or(f.info_direct.take());
    if let Some(info) = info {
        for (key, field) in [
            ("Title", "title"),
            ("Author", "author"),
            ("Creator", "creator"),
            ("Producer", "producer"),
            ("CreationDate", "created"),
            ("ModDate", "modified"),
        ] {
            if let Some(Tok::Str(s)) = info.entries.get(key.as_bytes()) {
                let text = decode_text(s);
                if !text.is_empty() {
                    meta.insert(field.into(), json!(text));
                }
            }
        }
    }
    Ok(meta)
}

fn find_last(src: &dyn Source, needle: &[u8]) -> Result<Option<u64>, Rejection> {
    let start = src.len().saturating_sub(256 * 1024);
    let tail = src.read_range(start, 256 * 1024).map_err(Rejection::io)?;
    Ok(memchr::memmem::rfind(&tail, needle).map(|i| start + i as u64))
}

/// `... N G ` immediately before `obj`: returns N.
fn object_number(back: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(back).ok().or_else(|| {
        let start = back.iter().rposition(|b| !b.is_ascii())? + 1;
        std::str::from_utf8(&back[start..]).ok()
    })?;
    if !text.ends_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let mut words = text.split_ascii_whitespace().rev();
    let generation = words.next()?.parse::<u32>().ok()?;
    let number = words.next()?;
    let number = number
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()?
        .parse::<i64>()
        .ok()?;
    let _ = generation;
    Some(number)
}

/// Parses one object starting right after `obj`; returns where scanning resumes.
fn object(
    src: &dyn Source,
    start: u64,
    number: i64,
    f: &mut Findings,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<u64, Rejection> {
    // Most objects are a few dozen bytes: start small and grow fourfold up to
    // MAX_OBJECT_BODY (1 KiB * 4^5) when the object is longer.
    let mut window = 1024usize;
    loop {
        let body = src.read_range(start, window).map_err(Rejection::io)?;
        let complete = body.len() < window;
        match dictionaries(&body, limits.pdf_max_depth, true) {
            // A keyword cut by the window's end may be longer (`endobjx`).
            Ok((_, Some((_, end))))
                if !complete && end == body.len() && window < MAX_OBJECT_BODY =>
            {
                window *= 4
            }
            Ok((mut dicts, Some((word, end)))) => {
                let dict = if dicts.is_empty() {
                    None
                } else {
                    Some(dicts.remove(0))
                };
                if word == b"endobj" {
                    f.absorb(number, dict)?;
                    return Ok(start + end as u64);
                }
                let d =
                    dict.ok_or_else(|| reject(Reason::Malformed, "a stream has no dictionary"))?;
                let resume = stream(src, start + end as u64, &d, f, limits, deadline)?;
                f.absorb(number, Some(d))?;
                return Ok(resume);
            }
            Ok((_, None)) | Err(_) if !complete && window < MAX_OBJECT_BODY => window *= 4,
            Ok((_, None)) => {
                return Err(reject(
                    if complete {
                        Reason::Truncated
                    } else {
                        Reason::TooComplex
                    },
                    "an object is not terminated by endobj",
                ))
            }
            Err(e) if complete || window >= MAX_OBJECT_BODY => return Err(e),
            Err(e) => return Err(e),
        }
    }
}

fn stream(
    src: &dyn Source,
    after_keyword: u64,
    d: &Dict,
    f: &mut Findings,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<u64, Rejection> {
    let eol = src.read_range(after_keyword, 2).map_err(Rejection::io)?;
    let data = after_keyword
        + match eol.as_slice() {
            [b'\r', b'\n'] => 2,
            [b'\n', ..] => 1,
            _ => {
                return Err(reject(
                    Reason::Malformed,
                    "stream keyword not followed by an end of line",
                ))
            }
        };
    // The data is exactly /Length bytes, then an optional end of line, then
    // `endstream` (ISO 32000-1, 7.3.8.1); a /Length that disagrees would let
    // parsers see different objects in the same bytes.
    let end = match (d.int(b"Length"), d.refs.get(b"Length".as_slice())) {
        (Some(len), _) => {
            let probe = match u64::try_from(len) {
                Ok(len) => src.read_range(data + len, 32).map_err(Rejection::io)?,
                Err(_) => Vec::new(),
            };
            let skip = probe.iter().take_while(|b| is_ws(**b)).count();
            if !probe[skip..].starts_with(b"endstream") {
                return Err(reject(
                    Reason::Malformed,
                    format!("the stream at byte {data} declares /Length {len}, which does not end at its endstream"),
                ));
            }
            data + len as u64
        }
        (None, Some(&object)) => {
            let end = find(src, data, b"endstream", deadline)?
                .ok_or_else(|| reject(Reason::Truncated, "a stream has no endstream"))?;
            let before = src
                .read_range(
                    end.saturating_sub(32).max(data),
                    (end - end.saturating_sub(32).max(data)) as usize,
                )
                .map_err(Rejection::io)?;
            let slack = before.iter().rev().take_while(|b| is_ws(**b)).count() as u64;
            if f.indirect_lengths.len() >= xref::MAX_INDIRECT_LENGTHS {
                return Err(reject(
                    Reason::TooComplex,
                    format!(
                        "more than {} streams take their /Length from another object",
                        xref::MAX_INDIRECT_LENGTHS
                    ),
                ));
            }
            f.indirect_lengths.push(xref::IndirectLength {
                object,
                data_at: data,
                shortest: end - data - slack,
                longest: end - data,
            });
            end
        }
        (None, None) => {
            return Err(reject(
                Reason::Malformed,
                format!("the stream at byte {data} has no /Length"),
            ))
        }
    };
    let filter_is_flate = d.name(b"Filter") == Some(b"FlateDecode");
    let is_object_stream = d.name(b"Type") == Some(b"ObjStm");
    if filter_is_flate {
        let keep = is_object_stream;
        // Object streams are parsed in memory, so they get a tighter cap.
        let cap = if keep {
            limits.pdf_max_stream_bytes.min(MAX_OBJECT_STREAM)
        } else {
            limits.pdf_max_stream_bytes
        };
        let content = inflate_capped(src, data, end, cap, keep, deadline)?;
        if keep {
            object_stream(&content, d, f, limits, deadline)?;
        }
    } else if is_object_stream {
        return Err(reject(
            Reason::Unsupported,
            "object streams must be FlateDecode-compressed",
        ));
    }
    let after = find(src, end, b"endstream", deadline)?
        .ok_or_else(|| reject(Reason::Truncated, "a stream has no endstream"))?;
    Ok(after + 9)
}

/// The objects of an object stream (7.5.7): `/N` pairs of object number and
/// offset (from `/First`) in increasing order, then the objects themselves.
fn object_stream(
    content: &[u8],
    d: &Dict,
    f: &mut Findings,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(), Rejection> {
    let bad = |what: &str| reject(Reason::Malformed, format!("an object stream's {what}"));
    let first = usize::try_from(d.int(b"First").unwrap_or(-1))
        .ok()
        .filter(|v| *v <= content.len())
        .ok_or_else(|| bad("/First lies outside its data"))?;
    let n = d.int(b"N").unwrap_or(-1);
    let mut lx = Lexer {
        b: &content[..first],
        i: 0,
    };
    let mut pairs = Vec::new();
    while let Some(tok) = lx.next() {
        match (tok?, lx.next()) {
            (Tok::Int(number), Some(Ok(Tok::Int(offset)))) if offset >= 0 => {
                pairs.push((number, first + offset as usize))
            }
            _ => return Err(bad("header is not pairs of object numbers and offsets")),
        }
    }
    if pairs.len() as i64 != n {
        return Err(bad("/N disagrees with its header"));
    }
    for (i, &(number, at)) in pairs.iter().enumerate() {
        deadline.check()?;
        let end = pairs.get(i + 1).map_or(content.len(), |p| p.1);
        if at > end || end > content.len() {
            return Err(bad("offsets are not increasing within its data"));
        }
        let (mut dicts, _) = dictionaries(&content[at..end], limits.pdf_max_depth, false)?;
        f.objects += 1;
        f.absorb(number, (!dicts.is_empty()).then(|| dicts.remove(0)))?;
    }
    Ok(())
}

/// Inflates a stream without ever producing more than `cap` bytes.
fn inflate_capped(
    src: &dyn Source,
    start: u64,
    end: u64,
    cap: u64,
    keep: bool,
    deadline: &Deadline,
) -> Result<Vec<u8>, Rejection> {
    let mut z = flate2::read::ZlibDecoder::new(Cursor::new(src, start, end));
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::new();
    let mut produced = 0u64;
    loop {
        deadline.check()?;
        let n = match z.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                return Err(reject(
                    Reason::Malformed,
                    format!("a compressed stream is corrupt: {e}"),
                ))
            }
        };
        if n == 0 {
            return Ok(out);
        }
        produced += n as u64;
        if produced > cap {
            return Err(reject(
                Reason::PdfStreamTooLarge,
                format!("a stream inflates beyond {cap} bytes (decompression bomb)"),
            ));
        }
        if keep {
            out.extend_from_slice(&buf[..n]);
        }
    }
}
