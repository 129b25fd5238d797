//! The cross-reference structure checked as ISO 32000-1 defines it, not as a
//! lenient viewer repairs it (7.5.4 cross-reference tables, 7.5.5 trailer,
//! 7.5.6 incremental updates, 7.5.8 cross-reference streams):
//! - the final `startxref` and every `/Prev` or `/XRefStm` offset lead to a
//!   cross-reference section, and the chain of sections never loops;
//! - every in-use entry points at `N G obj` for exactly the object and
//!   generation it names, so no parser can be steered to other bytes;
//! - a stream whose `/Length` is an indirect reference has that integer object
//!   in the file, and its value ends the data where `endstream` begins.

use super::{inflate_capped, reject, Dict, Lexer, ObjectBits, Tok, MAX_OBJECT_NUMBER};
use crate::budget::Deadline;
use crate::source::Source;
use crate::verdict::{Limits, Reason, Rejection};

/// Cross-reference sections followed before the file counts as too complex
/// (each incremental update adds one or two).
const MAX_SECTIONS: usize = 4096;
/// Streams with an indirect `/Length` remembered for the check (16 bytes each).
pub(super) const MAX_INDIRECT_LENGTHS: usize = 1 << 18;
/// A classic entry: 10-digit offset, space, 5-digit generation, space, `n` or
/// `f`, and a two-byte end of line (7.5.4).
const ENTRY: usize = 20;

/// A stream whose `/Length` is `object 0 R`: the data may end anywhere in
/// `shortest..=longest` bytes (only whitespace lies between that and `endstream`).
#[derive(Debug, Clone, Copy)]
pub(super) struct IndirectLength {
    pub object: i64,
    pub data_at: u64,
    pub shortest: u64,
    pub longest: u64,
}

/// Follows the cross-reference chain from the final `startxref`, checks every
/// in-use entry and resolves `lengths` (sorted here) on the way. Returns the
/// objects whose newest entry is free (deleted by an incremental update).
pub(super) fn check(
    src: &dyn Source,
    lengths: &mut [IndirectLength],
    limits: &Limits,
    deadline: &Deadline,
) -> Result<ObjectBits, Rejection> {
    lengths.sort_unstable_by_key(|l| l.object);
    let mut walk = Walk {
        src,
        limits,
        deadline,
        lengths,
        resolved: vec![false; lengths.len()],
        compressed: Vec::new(),
        entries: 0,
        seen: ObjectBits::default(),
        freed: ObjectBits::default(),
        visited: std::collections::HashSet::new(),
        table_free: Vec::new(),
    };
    let mut next = Some(startxref(src)?);
    while let Some(at) = next {
        next = walk.section(at, false)?;
    }
    walk.finish()
}

/// The byte offset after the last `startxref` (check_tail made sure it exists).
fn startxref(src: &dyn Source) -> Result<u64, Rejection> {
    let start = src.len().saturating_sub(2048);
    let tail = src.read_range(start, 2048).map_err(Rejection::io)?;
    let at = memchr::memmem::rfind(&tail, b"startxref")
        .ok_or_else(|| reject(Reason::Malformed, "the PDF has no startxref"))?;
    let mut lx = Lexer {
        b: &tail[at + 9..],
        i: 0,
    };
    match lx.next() {
        Some(Ok(Tok::Int(n))) if n >= 0 => Ok(n as u64),
        _ => Err(reject(
            Reason::Malformed,
            "startxref is not followed by a byte offset",
        )),
    }
}

/// `N G obj` at the start of `head`: (N, G).
fn object_header(head: &[u8]) -> Option<(i64, i64)> {
    // Exactly at the offset: no whitespace or comment before the number.
    if !head.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut lx = Lexer { b: head, i: 0 };
    let (Some(Ok(Tok::Int(n))), Some(Ok(Tok::Int(g))), Some(Ok(Tok::Word(w)))) =
        (lx.next(), lx.next(), lx.next())
    else {
        return None;
    };
    (w == b"obj").then_some((n, g))
}

struct Walk<'a> {
    src: &'a dyn Source,
    limits: &'a Limits,
    deadline: &'a Deadline,
    lengths: &'a [IndirectLength],
    resolved: Vec<bool>,
    /// Objects stored in object streams (type 2 entries).
    compressed: Vec<i64>,
    /// Entries in the section being read.
    entries: u64,
    /// Object numbers already given an entry by a newer section (sections are
    /// walked newest first, so the first entry seen is the one in force).
    seen: ObjectBits,
    freed: ObjectBits,
    /// Offsets of the sections walked, to stop a loop.
    visited: std::collections::HashSet<u64>,
    /// Free entries of the table being read, applied after its `/XRefStm`.
    table_free: Vec<i64>,
}

impl Walk<'_> {
    /// Checks the section at `at`; returns its `/Prev`. A hybrid file's
    /// `/XRefStm` (`stream_only`) must name a cross-reference stream.
    fn section(&mut self, at: u64, stream_only: bool) -> Result<Option<u64>, Rejection> {
        self.deadline.check()?;
        if at >= self.src.len() {
            return Err(reject(
                Reason::Malformed,
                format!("a cross-reference offset ({at}) lies beyond the end of the file"),
            ));
        }
        if !self.visited.insert(at) {
            return Err(reject(
                Reason::Malformed,
                format!("the cross-reference sections loop: byte {at} is reached twice"),
            ));
        }
        if self.visited.len() > MAX_SECTIONS {
            return Err(reject(
                Reason::TooComplex,
                format!("more than {MAX_SECTIONS} cross-reference sections"),
            ));
        }
        self.entries = 0;
        let head = self.src.read_range(at, 64).map_err(Rejection::io)?;
        if head.starts_with(b"xref") && !stream_only {
            let trailer = self.table(at + 4)?;
            // In a hybrid file the table marks objects kept in object streams
            // as free; its /XRefStm entries take precedence (7.5.8.4).
            let free = std::mem::take(&mut self.table_free);
            if let Some(stream) = link(&trailer, b"XRefStm") {
                self.section(stream, true)?;
            }
            for number in free {
                if self.newest(number)? {
                    self.freed.set(number, true);
                }
            }
            Ok(link(&trailer, b"Prev"))
        } else if object_header(&head).is_some() {
            let d = self.stream(at)?;
            Ok(link(&d, b"Prev"))
        } else {
            Err(reject(
                Reason::Malformed,
                format!("byte {at}, named by startxref or /Prev, holds no cross-reference section"),
            ))
        }
    }

    /// A classic table after `xref`: subsections, then `trailer << … >>`.
    fn table(&mut self, mut pos: u64) -> Result<Dict, Rejection> {
        loop {
            self.deadline.check()?;
            let line = self.src.read_range(pos, 64).map_err(Rejection::io)?;
            let mut lx = Lexer { b: &line, i: 0 };
            match (lx.next(), lx.next()) {
                (Some(Ok(Tok::Word(w))), _) if w == b"trailer" => {
                    let after = memchr::memmem::find(&line, b"trailer").unwrap_or(0) + 7;
                    let body = self
                        .src
                        .read_range(pos + after as u64, 64 * 1024)
                        .map_err(Rejection::io)?;
                    let body = &body[..memchr::memmem::find(&body, b"startxref").unwrap_or(body.len())];
                    let (dicts, _) = super::dictionaries(body, self.limits.pdf_max_depth, false)?;
                    return dicts.into_iter().next().ok_or_else(|| {
                        reject(Reason::Malformed, "a cross-reference table has no trailer")
                    });
                }
                (Some(Ok(Tok::Int(first))), Some(Ok(Tok::Int(count))))
                    if first >= 0 && count >= 0 =>
                {
                    // The entries start on the line after the subsection header.
                    let mut i = lx.i;
                    while i < line.len() && line[i] != b'\r' && line[i] != b'\n' {
                        i += 1;
                    }
                    if line.get(i..i + 2) == Some(b"\r\n") {
                        i += 2;
                    } else {
                        i += 1;
                    }
                    pos += i as u64;
                    pos = self.subsection(pos, first, count as u64)?;
                }
                _ => {
                    return Err(reject(
                        Reason::Malformed,
                        format!("byte {pos}: a cross-reference table is neither a subsection nor its trailer"),
                    ))
                }
            }
        }
    }

    /// `count` entries of exactly 20 bytes for objects `first..`.
    fn subsection(&mut self, pos: u64, first: i64, count: u64) -> Result<u64, Rejection> {
        const CHUNK: u64 = 3276; // entries per read (64 KiB)
        let mut done = 0u64;
        while done < count {
            self.deadline.check()?;
            let n = (count - done).min(CHUNK);
            let at = pos + done * ENTRY as u64;
            let bytes = self
                .src
                .read_range(at, (n as usize) * ENTRY)
                .map_err(Rejection::io)?;
            if bytes.len() < n as usize * ENTRY {
                return Err(reject(
                    Reason::Truncated,
                    "the file ends inside a cross-reference table",
                ));
            }
            for (k, e) in bytes.chunks_exact(ENTRY).enumerate() {
                let number = first.saturating_add((done + k as u64) as i64);
                let (offset, generation, in_use) = parse_entry(e).ok_or_else(|| {
                    reject(
                        Reason::Malformed,
                        format!(
                            "the cross-reference entry for object {number} at byte {} is not a 20-byte entry",
                            at + (k * ENTRY) as u64
                        ),
                    )
                })?;
                if in_use {
                    self.newest(number)?;
                    self.in_use(number, generation, offset)?;
                } else {
                    self.count_entry()?;
                    self.table_free.push(number);
                }
            }
            done += n;
        }
        Ok(pos + count * ENTRY as u64)
    }

    /// A cross-reference stream object at `at` (7.5.8): its entries are rows of
    /// `/W` big-endian fields, for the objects `/Index` names.
    fn stream(&mut self, at: u64) -> Result<Dict, Rejection> {
        let body = self.src.read_range(at, 64 * 1024).map_err(Rejection::io)?;
        let (dicts, stop) = super::dictionaries(&body, self.limits.pdf_max_depth, true)?;
        let d = dicts.into_iter().next();
        let (Some(d), Some((word, end))) = (d, stop) else {
            return Err(reject(
                Reason::Malformed,
                format!("the cross-reference stream at byte {at} has no dictionary"),
            ));
        };
        if word != b"stream" || d.name(b"Type") != Some(b"XRef") {
            return Err(reject(
                Reason::Malformed,
                format!("byte {at}, named by startxref or /Prev, holds an object that is not a cross-reference stream"),
            ));
        }
        let dict_text = &body[..end];
        let widths = int_array(dict_text, b"W").unwrap_or_default();
        let size = d.int(b"Size").unwrap_or(-1);
        if widths.len() != 3 || widths.iter().any(|w| !(0..=8).contains(w)) || size < 0 {
            return Err(reject(
                Reason::Malformed,
                format!("the cross-reference stream at byte {at} needs /Size and a /W of three widths of 0-8 bytes"),
            ));
        }
        let index = int_array(dict_text, b"Index").unwrap_or_else(|| vec![0, size]);
        if !index.len().is_multiple_of(2) || index.iter().any(|v| *v < 0) {
            return Err(reject(
                Reason::Malformed,
                "a cross-reference stream's /Index is not pairs of object numbers and counts",
            ));
        }
        let row: usize = widths.iter().map(|w| *w as usize).sum();
        // Rows of no bytes hold nothing (and cannot be split into rows).
        if row == 0 {
            return Err(reject(
                Reason::Malformed,
                format!("the cross-reference stream at byte {at}: its /W widths sum to zero, so its entries hold nothing"),
            ));
        }
        let declared = index
            .chunks(2)
            .fold(0u64, |acc, p| acc.saturating_add(p[1] as u64));
        if declared > self.limits.pdf_max_objects + 1 {
            return Err(reject(
                Reason::TooComplex,
                format!(
                    "a cross-reference stream declares more than {} entries",
                    self.limits.pdf_max_objects + 1
                ),
            ));
        }
        let data = self.stream_data(at + end as u64, &d, dict_text, row, declared)?;
        let rows = unpredict(&data, dict_text, row)?;
        if (rows.len() as u64) < declared * row as u64 {
            return Err(reject(
                Reason::Malformed,
                "a cross-reference stream holds fewer entries than its /Index declares",
            ));
        }
        let field = |r: &[u8], i: usize| -> u64 {
            let start: usize = widths[..i].iter().map(|w| *w as usize).sum();
            r[start..start + widths[i] as usize]
                .iter()
                .fold(0u64, |acc, b| acc << 8 | *b as u64)
        };
        let mut entries = rows.chunks_exact(row);
        for pair in index.chunks(2) {
            for k in 0..pair[1] {
                let r = entries.next().unwrap_or_default();
                let number = pair[0].saturating_add(k);
                // A missing type field means type 1 (7.5.8.2, table 18).
                let kind = if widths[0] == 0 { 1 } else { field(r, 0) };
                if self.newest(number)? && kind == 0 {
                    self.freed.set(number, true);
                }
                match kind {
                    1 => self.in_use(number, field(r, 2) as i64, field(r, 1))?,
                    2 => self.compressed.push(number),
                    _ => {}
                }
            }
        }
        Ok(d)
    }

    /// The stream's raw bytes, inflated when `/FlateDecode`, capped at what
    /// its `/Index` can need.
    fn stream_data(
        &mut self,
        after_keyword: u64,
        d: &Dict,
        dict_text: &[u8],
        row: usize,
        declared: u64,
    ) -> Result<Vec<u8>, Rejection> {
        let eol = self
            .src
            .read_range(after_keyword, 2)
            .map_err(Rejection::io)?;
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
        // The cross-reference stream's dictionary holds direct objects only
        // (7.5.8.2), so its /Length is an integer here.
        let len = d.int(b"Length").filter(|l| *l >= 0).ok_or_else(|| {
            reject(
                Reason::Malformed,
                "a cross-reference stream's /Length is not a direct integer",
            )
        })? as u64;
        // Held in memory to be read, so capped like an object stream.
        let cap = ((declared + 1) * (row as u64 + 1)).min(super::MAX_OBJECT_STREAM);
        match d.name(b"Filter") {
            Some(b"FlateDecode") => {
                inflate_capped(self.src, data, data + len, cap, true, self.deadline)
            }
            None if !contains_key(dict_text, b"Filter") => {
                if len > cap {
                    return Err(reject(
                        Reason::Malformed,
                        "a cross-reference stream is longer than its entries",
                    ));
                }
                self.src
                    .read_range(data, len as usize)
                    .map_err(Rejection::io)
            }
            _ => Err(reject(
                Reason::Unsupported,
                "cross-reference streams must be FlateDecode-compressed or unfiltered",
            )),
        }
    }

    /// An in-use entry must point at `number generation obj`.
    fn in_use(&mut self, number: i64, generation: i64, offset: u64) -> Result<(), Rejection> {
        self.count_entry()?;
        let head = self.src.read_range(offset, 64).map_err(Rejection::io)?;
        if offset == 0 || object_header(&head) != Some((number, generation)) {
            return Err(reject(
                Reason::Malformed,
                format!("the cross-reference entry for object {number} {generation} points at byte {offset}, which does not start that object"),
            ));
        }
        let first = self.lengths.partition_point(|l| l.object < number);
        for i in first..self.lengths.len() {
            let l = self.lengths[i];
            if l.object != number {
                break;
            }
            let value = integer_object(&head);
            if !value.is_some_and(|v| v >= 0 && (l.shortest..=l.longest).contains(&(v as u64))) {
                return Err(reject(
                    Reason::Malformed,
                    format!(
                        "the stream at byte {} declares /Length {number} {generation} R ({}), but its data runs {} bytes to endstream",
                        l.data_at,
                        value.map_or_else(|| "not an integer".to_string(), |v| v.to_string()),
                        l.longest
                    ),
                ));
            }
            self.resolved[i] = true;
        }
        Ok(())
    }

    fn count_entry(&mut self) -> Result<(), Rejection> {
        // Every object plus the head of the free list (object 0).
        self.entries += 1;
        if self.entries > self.limits.pdf_max_objects + 1 {
            return Err(reject(
                Reason::TooComplex,
                format!(
                    "more than {} entries in one cross-reference section",
                    self.limits.pdf_max_objects + 1
                ),
            ));
        }
        Ok(())
    }

    /// Whether this is the first (newest) entry for `number`.
    fn newest(&mut self, number: i64) -> Result<bool, Rejection> {
        if !(0..=MAX_OBJECT_NUMBER).contains(&number) {
            return Err(reject(
                Reason::Malformed,
                format!("a cross-reference entry names object {number}, outside 0..={MAX_OBJECT_NUMBER}"),
            ));
        }
        let first = !self.seen.get(number);
        self.seen.set(number, true);
        Ok(first)
    }

    fn finish(mut self) -> Result<ObjectBits, Rejection> {
        self.compressed.sort_unstable();
        for (l, resolved) in self.lengths.iter().zip(&self.resolved) {
            // A length kept in an object stream is not resolved here; the
            // data's end was still found at its `endstream`.
            if !resolved && self.compressed.binary_search(&l.object).is_err() {
                return Err(reject(
                    Reason::Malformed,
                    format!(
                        "the stream at byte {} takes its /Length from object {}, which the cross-reference does not define",
                        l.data_at, l.object
                    ),
                ));
            }
        }
        Ok(self.freed)
    }
}

/// `oooooooooo ggggg n\r\n` (or ` \n` / ` \r` as the end of line).
fn parse_entry(e: &[u8]) -> Option<(u64, i64, bool)> {
    let digits = |b: &[u8]| -> Option<u64> {
        b.iter().try_fold(0u64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u64)
        })
    };
    let offset = digits(&e[0..10])?;
    let generation = digits(&e[11..16])? as i64;
    let in_use = match e[17] {
        b'n' => true,
        b'f' => false,
        _ => return None,
    };
    let eol_ok = matches!(&e[18..20], b" \r" | b" \n" | b"\r\n");
    (e[10] == b' ' && e[16] == b' ' && eol_ok).then_some((offset, generation, in_use))
}

/// A byte offset (`/Prev`, `/XRefStm`) in a trailer or cross-reference stream dictionary.
fn link(d: &Dict, key: &[u8]) -> Option<u64> {
    d.int(key).map(|v| v.max(0) as u64)
}

/// The integer in `N G obj <integer> endobj`.
fn integer_object(head: &[u8]) -> Option<i64> {
    let mut lx = Lexer { b: head, i: 0 };
    for _ in 0..3 {
        lx.next()?.ok()?;
    }
    match (lx.next()?.ok()?, lx.next()?.ok()?) {
        (Tok::Int(v), Tok::Word(w)) if w == b"endobj" => Some(v),
        _ => None,
    }
}

/// Whether `key` is a top-level key of the dictionary text.
fn contains_key(dict_text: &[u8], key: &[u8]) -> bool {
    top_level_value(dict_text, key).is_some()
}

/// The tokens of the value of a top-level `key` in the first dictionary.
fn top_level_value(dict_text: &[u8], key: &[u8]) -> Option<Vec<Tok>> {
    let mut lx = Lexer { b: dict_text, i: 0 };
    while lx.next()?.ok()? != Tok::DictOpen {}
    loop {
        let Tok::Name(k) = lx.next()?.ok()? else {
            return None;
        };
        let value = value_tokens(&mut lx)?;
        if k == key {
            return Some(value);
        }
    }
}

/// One value: a scalar, `N G R`, or a whole array or dictionary.
fn value_tokens(lx: &mut Lexer) -> Option<Vec<Tok>> {
    let first = lx.next()?.ok()?;
    let mut value = vec![first.clone()];
    match first {
        Tok::DictOpen | Tok::ArrOpen => {
            let mut depth = 1u32;
            while depth > 0 {
                let t = lx.next()?.ok()?;
                match t {
                    Tok::DictOpen | Tok::ArrOpen => depth += 1,
                    Tok::DictClose | Tok::ArrClose => depth -= 1,
                    _ => {}
                }
                value.push(t);
            }
        }
        Tok::Int(_) => {
            let save = lx.i;
            match (lx.next(), lx.next()) {
                (Some(Ok(g @ Tok::Int(_))), Some(Ok(Tok::Word(w)))) if w == b"R" => {
                    value.extend([g, Tok::Word(w)]);
                }
                _ => lx.i = save,
            }
        }
        _ => {}
    }
    Some(value)
}

/// `/key [i j k]` as integers.
fn int_array(dict_text: &[u8], key: &[u8]) -> Option<Vec<i64>> {
    let value = top_level_value(dict_text, key)?;
    let (Tok::ArrOpen, Some(Tok::ArrClose)) = (value.first()?, value.last()) else {
        return None;
    };
    value[1..value.len() - 1]
        .iter()
        .map(|t| match t {
            Tok::Int(v) => Some(*v),
            _ => None,
        })
        .collect()
}

/// Undoes the PNG row predictors a cross-reference stream may use
/// (`/DecodeParms << /Predictor 10-15 /Columns N >>`, 7.4.4.4): each row is a
/// filter-type byte and `N` bytes, predicted from the row above.
fn unpredict(data: &[u8], dict_text: &[u8], row: usize) -> Result<Vec<u8>, Rejection> {
    let params = top_level_value(dict_text, b"DecodeParms").unwrap_or_default();
    let param = |name: &[u8]| {
        params.windows(2).find_map(|w| match w {
            [Tok::Name(n), Tok::Int(v)] if n == name => Some(*v),
            _ => None,
        })
    };
    let predictor = param(b"Predictor").unwrap_or(1);
    if predictor == 1 {
        return Ok(data.to_vec());
    }
    let columns = param(b"Columns").unwrap_or(1);
    if !(10..=15).contains(&predictor) || columns != row as i64 {
        return Err(reject(
            Reason::Unsupported,
            "a cross-reference stream uses a predictor other than PNG over its rows",
        ));
    }
    let mut out = Vec::with_capacity(data.len() / (row + 1) * row);
    let mut above = vec![0u8; row];
    for chunk in data.chunks_exact(row + 1) {
        let (kind, bytes) = (chunk[0], &chunk[1..]);
        let mut current = vec![0u8; row];
        for i in 0..row {
            // Cross-reference rows are bytes, so "left" is the previous byte.
            let left = if i > 0 { current[i - 1] } else { 0 };
            let up = above[i];
            let up_left = if i > 0 { above[i - 1] } else { 0 };
            let predicted = match kind {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((left as u16 + up as u16) / 2) as u8,
                4 => paeth(left, up, up_left),
                _ => {
                    return Err(reject(
                        Reason::Malformed,
                        "a cross-reference stream row has an unknown PNG filter type",
                    ))
                }
            };
            current[i] = bytes[i].wrapping_add(predicted);
        }
        out.extend_from_slice(&current);
        above = current;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = (
        (p - a as i16).abs(),
        (p - b as i16).abs(),
        (p - c as i16).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}
