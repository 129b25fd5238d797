//! Streaming JSON well-formedness check (RFC 8259), of one JSON value or of
//! JSON Lines (one value per line, jsonlines.org). Whole tokens are taken at
//! once where a chunk holds them; a byte-at-a-time state machine resumes a
//! token cut by a chunk's end. Strings, numbers and literals are validated
//! (UTF-8, escapes, surrogate pairs) as they stream past and never
//! materialised, and nesting is limited. Memory is one byte per open
//! container, whatever the input.

use crate::verdict::{Reason, Rejection};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    ValueOrClose,
    Key,
    KeyOrClose,
    Colon,
    CommaOrClose,
    /// After a top-level value: only whitespace may follow.
    End,
    /// At the start of a JSON Lines line: a value, a blank line or the end.
    Record,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    EDigits,
}

impl Num {
    fn next(self, b: u8) -> Option<Num> {
        use Num::*;
        match (self, b) {
            (Minus, b'0') => Some(Zero),
            (Minus | Int, b'1'..=b'9') | (Int, b'0') => Some(Int),
            (Zero | Int, b'.') => Some(Dot),
            (Dot | Frac, b'0'..=b'9') => Some(Frac),
            (Zero | Int | Frac, b'e' | b'E') => Some(E),
            (E, b'+' | b'-') => Some(ESign),
            (E | ESign | EDigits, b'0'..=b'9') => Some(EDigits),
            _ => None,
        }
    }

    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::EDigits)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    None,
    Str,
    Escape,
    /// `\u` escape: hex digits left, value so far, whether it must be a low surrogate.
    Hex {
        left: u8,
        value: u16,
        low: bool,
    },
    /// After a high-surrogate escape: a `\u` low surrogate must follow.
    NeedLow {
        backslash: bool,
    },
    /// Inside a multi-byte UTF-8 sequence: continuation bytes left and the
    /// allowed range of the next one.
    Utf8 {
        left: u8,
        lo: u8,
        hi: u8,
    },
    Num(Num),
    Lit {
        word: &'static [u8],
        at: usize,
    },
}

struct Scanner {
    stack: Vec<u8>,
    max_depth: usize,
    expect: Expect,
    tok: Tok,
    in_key: bool,
    /// Top-level values completed.
    values: u64,
    /// No value so far spans a line break (so another value may follow on
    /// the next line, making the document JSON Lines).
    one_per_line: bool,
}

type Step = Result<(), &'static str>;

impl Scanner {
    fn after_value(&mut self) {
        self.tok = Tok::None;
        self.expect = if self.stack.is_empty() {
            self.values += 1;
            Expect::End
        } else {
            Expect::CommaOrClose
        };
    }

    /// A line feed between tokens. Inside the first value it makes the
    /// document one (pretty-printed) JSON value; inside a later one it breaks
    /// a JSON Lines record; after a one-line value it opens the next line.
    fn newline(&mut self) -> Step {
        if !self.stack.is_empty() {
            if self.values > 0 {
                return Err("a JSON Lines value spans more than one line");
            }
            self.one_per_line = false;
        } else if self.expect == Expect::End && self.one_per_line {
            self.expect = Expect::Record;
        }
        Ok(())
    }

    fn open(&mut self, c: u8) -> Step {
        if self.stack.len() >= self.max_depth {
            return Err("nesting is deeper than the limit");
        }
        self.stack.push(c);
        self.expect = if c == b'[' {
            Expect::ValueOrClose
        } else {
            Expect::KeyOrClose
        };
        Ok(())
    }

    fn close(&mut self, c: u8) -> Step {
        let want = if c == b']' { b'[' } else { b'{' };
        if self.stack.pop() != Some(want) {
            return Err("mismatched closing bracket");
        }
        self.after_value();
        Ok(())
    }

    fn start_value(&mut self, b: u8) -> Step {
        match b {
            b'{' | b'[' => self.open(b)?,
            b'"' => {
                self.in_key = false;
                self.tok = Tok::Str;
            }
            b'-' => self.tok = Tok::Num(Num::Minus),
            b'0' => self.tok = Tok::Num(Num::Zero),
            b'1'..=b'9' => self.tok = Tok::Num(Num::Int),
            b't' => {
                self.tok = Tok::Lit {
                    word: b"true",
                    at: 1,
                }
            }
            b'f' => {
                self.tok = Tok::Lit {
                    word: b"false",
                    at: 1,
                }
            }
            b'n' => {
                self.tok = Tok::Lit {
                    word: b"null",
                    at: 1,
                }
            }
            _ => return Err("expected a value"),
        }
        Ok(())
    }

    fn structural(&mut self, b: u8) -> Step {
        match b {
            b'\n' => return self.newline(),
            b' ' | b'\t' | b'\r' => return Ok(()),
            _ => {}
        }
        match self.expect {
            Expect::End => Err("trailing characters after the top-level value"),
            Expect::ValueOrClose if b == b']' => self.close(b),
            Expect::Value | Expect::ValueOrClose | Expect::Record => self.start_value(b),
            Expect::KeyOrClose if b == b'}' => self.close(b),
            Expect::Key | Expect::KeyOrClose if b == b'"' => {
                self.in_key = true;
                self.tok = Tok::Str;
                Ok(())
            }
            Expect::Key | Expect::KeyOrClose => Err("expected a string key"),
            Expect::Colon if b == b':' => {
                self.expect = Expect::Value;
                Ok(())
            }
            Expect::Colon => Err("expected ':'"),
            Expect::CommaOrClose => match (b, self.stack.last()) {
                (b',', Some(b'[')) => {
                    self.expect = Expect::Value;
                    Ok(())
                }
                (b',', _) => {
                    self.expect = Expect::Key;
                    Ok(())
                }
                (b']' | b'}', _) => self.close(b),
                _ => Err("expected ',' or a closing bracket"),
            },
        }
    }

    fn end_string(&mut self) {
        if self.in_key {
            self.tok = Tok::None;
            self.expect = Expect::Colon;
        } else {
            self.after_value();
        }
    }

    /// Feeds one chunk; on error returns the message and the chunk index.
    ///
    /// Whole tokens that lie inside the chunk are taken at once by
    /// [`Scanner::tokens`]; a token cut by the chunk's end, and any byte the
    /// fast path does not accept, go through the byte-at-a-time state machine
    /// ([`Scanner::byte`]), which also words every error.
    fn feed(&mut self, chunk: &[u8]) -> Result<(), (&'static str, usize)> {
        let mut i = 0;
        while i < chunk.len() {
            i = match self.tok {
                Tok::None => self.tokens(chunk, i)?,
                Tok::Str => i + plain_run(&chunk[i..]),
                Tok::Num(Num::Int | Num::Frac | Num::EDigits) => {
                    i + chunk[i..]
                        .iter()
                        .position(|c| !c.is_ascii_digit())
                        .unwrap_or(chunk.len() - i)
                }
                _ => i,
            };
            if i == chunk.len() {
                break;
            }
            if self.byte(chunk[i]).map_err(|e| (e, i))? {
                i += 1;
            }
        }
        Ok(())
    }

    /// Takes complete tokens from `chunk[i..]` while between tokens; returns
    /// where it stopped: the chunk's end, or a byte left to [`Scanner::byte`]
    /// (the start of a token that does not end in this chunk or is not
    /// well-formed, so the state machine resumes it or words the error).
    fn tokens(&mut self, chunk: &[u8], mut i: usize) -> Result<usize, (&'static str, usize)> {
        while let Some(&b) = chunk.get(i) {
            let value = matches!(
                self.expect,
                Expect::Value | Expect::ValueOrClose | Expect::Record
            );
            let len = match b {
                b' ' | b'\t' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'\n' => {
                    self.newline().map_err(|e| (e, i))?;
                    i += 1;
                    continue;
                }
                b'"' if value || matches!(self.expect, Expect::Key | Expect::KeyOrClose) => {
                    string_len(&chunk[i..]).map(|len| (len, !value))
                }
                b'-' | b'0'..=b'9' if value => number_len(&chunk[i..]).map(|len| (len, false)),
                b't' if value => literal_len(&chunk[i..], b"true"),
                b'f' if value => literal_len(&chunk[i..], b"false"),
                b'n' if value => literal_len(&chunk[i..], b"null"),
                b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => None,
                // The two most frequent separators, without a call.
                b':' if self.expect == Expect::Colon => {
                    self.expect = Expect::Value;
                    i += 1;
                    continue;
                }
                b',' if self.expect == Expect::CommaOrClose => {
                    self.expect = if self.stack.last() == Some(&b'[') {
                        Expect::Value
                    } else {
                        Expect::Key
                    };
                    i += 1;
                    continue;
                }
                _ => {
                    self.structural(b).map_err(|e| (e, i))?;
                    i += 1;
                    continue;
                }
            };
            let Some((len, key)) = len else {
                return Ok(i);
            };
            i += len;
            if key {
                self.expect = Expect::Colon;
            } else {
                self.after_value();
            }
        }
        Ok(i)
    }

    /// Handles one byte; `Ok(false)` asks for the same byte again (a number
    /// ended on it).
    fn byte(&mut self, b: u8) -> Result<bool, &'static str> {
        match self.tok {
            Tok::None => self.structural(b)?,
            Tok::Str => match b {
                b'"' => self.end_string(),
                b'\\' => self.tok = Tok::Escape,
                0xc2..=0xdf => self.tok = utf8(1, 0x80, 0xbf),
                0xe0 => self.tok = utf8(2, 0xa0, 0xbf),
                0xe1..=0xec | 0xee..=0xef => self.tok = utf8(2, 0x80, 0xbf),
                0xed => self.tok = utf8(2, 0x80, 0x9f),
                0xf0 => self.tok = utf8(3, 0x90, 0xbf),
                0xf1..=0xf3 => self.tok = utf8(3, 0x80, 0xbf),
                0xf4 => self.tok = utf8(3, 0x80, 0x8f),
                0x80.. => return Err("invalid UTF-8 in a string"),
                _ => return Err("control character in a string"),
            },
            Tok::Utf8 { left, lo, hi } => {
                if !(lo..=hi).contains(&b) {
                    return Err("invalid UTF-8 in a string");
                }
                self.tok = if left == 1 {
                    Tok::Str
                } else {
                    utf8(left - 1, 0x80, 0xbf)
                };
            }
            Tok::Escape => match b {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.tok = Tok::Str,
                b'u' => {
                    self.tok = Tok::Hex {
                        left: 4,
                        value: 0,
                        low: false,
                    }
                }
                _ => return Err("invalid escape in a string"),
            },
            Tok::Hex { left, value, low } => {
                let digit = (b as char).to_digit(16).ok_or("invalid \\u escape")? as u16;
                let value = (value << 4) | digit;
                self.tok = if left > 1 {
                    Tok::Hex {
                        left: left - 1,
                        value,
                        low,
                    }
                } else {
                    match (low, value) {
                        (true, 0xdc00..=0xdfff) => Tok::Str,
                        (true, _) => return Err("unpaired surrogate in a \\u escape"),
                        (false, 0xd800..=0xdbff) => Tok::NeedLow { backslash: false },
                        (false, 0xdc00..=0xdfff) => {
                            return Err("unpaired surrogate in a \\u escape")
                        }
                        (false, _) => Tok::Str,
                    }
                };
            }
            Tok::NeedLow { backslash: false } if b == b'\\' => {
                self.tok = Tok::NeedLow { backslash: true }
            }
            Tok::NeedLow { backslash: true } if b == b'u' => {
                self.tok = Tok::Hex {
                    left: 4,
                    value: 0,
                    low: true,
                }
            }
            Tok::NeedLow { .. } => return Err("unpaired surrogate in a \\u escape"),
            Tok::Num(n) => match n.next(b) {
                Some(next) => self.tok = Tok::Num(next),
                None if n.complete() => {
                    self.after_value();
                    return Ok(false);
                }
                None => return Err("invalid number"),
            },
            Tok::Lit { word, at } => {
                if word[at] != b {
                    return Err("invalid literal");
                }
                if at + 1 == word.len() {
                    self.after_value();
                } else {
                    self.tok = Tok::Lit { word, at: at + 1 };
                }
            }
        }
        Ok(true)
    }

    fn finish(&mut self) -> Step {
        match self.tok {
            Tok::Num(n) if n.complete() => self.after_value(),
            Tok::None => {}
            _ => return Err("the document ends inside a value"),
        }
        if !matches!(self.expect, Expect::End | Expect::Record) {
            return Err("the document ends before its value is complete");
        }
        Ok(())
    }
}

/// Length of the run of string content at the start of `s` that needs no
/// checking: printable ASCII other than `"` and `\`. Eight bytes at a time
/// (SWAR): each test sets the high bit of a byte that matches, and borrows
/// only run upwards, so the lowest set bit is the first match.
fn plain_run(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        let special = zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | (w & HIGH);
        if special != 0 {
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + words
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
        .unwrap_or(words.remainder().len())
}

/// Length of the well-formed string token (quotes included) that starts
/// `s`, or `None` when it is not well-formed or does not end within `s`.
fn string_len(s: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        i += plain_run(&s[i..]);
        match *s.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += escape_len(&s[i..])?,
            c if c >= 0x80 => i += utf8_len(&s[i..])?,
            _ => return None,
        }
    }
}

/// Length of the escape sequence starting `s` (at its backslash), a
/// surrogate pair counting as one; `None` when it is not well-formed.
fn escape_len(s: &[u8]) -> Option<usize> {
    let hex = |at: usize| {
        s.get(at..at + 4)?.iter().try_fold(0u16, |v, &c| {
            Some(v << 4 | (c as char).to_digit(16)? as u16)
        })
    };
    match *s.get(1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => match hex(2)? {
            0xd800..=0xdbff if s.get(6..8) == Some(b"\\u") => {
                matches!(hex(8)?, 0xdc00..=0xdfff).then_some(12)
            }
            0xd800..=0xdfff => None,
            _ => Some(6),
        },
        _ => None,
    }
}

/// Length of the well-formed UTF-8 character starting `s` (RFC 3629 table:
/// no overlongs, surrogates or values above U+10FFFF), else `None`.
fn utf8_len(s: &[u8]) -> Option<usize> {
    let (len, lo, hi) = match s[0] {
        0xc2..=0xdf => (2, 0x80, 0xbf),
        0xe0 => (3, 0xa0, 0xbf),
        0xe1..=0xec | 0xee..=0xef => (3, 0x80, 0xbf),
        0xed => (3, 0x80, 0x9f),
        0xf0 => (4, 0x90, 0xbf),
        0xf1..=0xf3 => (4, 0x80, 0xbf),
        0xf4 => (4, 0x80, 0x8f),
        _ => return None,
    };
    let rest = s.get(1..len)?;
    ((lo..=hi).contains(&rest[0]) && rest[1..].iter().all(|c| (0x80..=0xbf).contains(c)))
        .then_some(len)
}

/// Length of `word` when `s` starts with it (a value, never a key).
fn literal_len<const N: usize>(s: &[u8], word: &[u8; N]) -> Option<(usize, bool)> {
    s.get(..N).is_some_and(|w| w == word).then_some((N, false))
}

/// Length of the well-formed number starting `s`, when a byte after it in
/// `s` shows where it ends; else `None`.
fn number_len(s: &[u8]) -> Option<usize> {
    let digits = |at: usize| {
        s[at.min(s.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut i = usize::from(s[0] == b'-');
    match *s.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digits(i),
        _ => return None,
    }
    if s.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return None;
        }
        i += 1 + n;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return None;
        }
        i += n;
    }
    (i < s.len()).then_some(i)
}

fn utf8(left: u8, lo: u8, hi: u8) -> Tok {
    Tok::Utf8 { left, lo, hi }
}

fn malformed(msg: String) -> Rejection {
    Rejection::new(Reason::Malformed, msg).detected("json")
}

/// What a well-formed document holds: one JSON value, or several (JSON
/// Lines, each on its own line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub values: u64,
    /// Every value is on a line of its own.
    pub one_per_line: bool,
}

/// The JSON check fed chunk by chunk, for a caller that already streams the
/// document (the text scan): the bytes are read once for both.
pub(crate) struct Check {
    scanner: Scanner,
    /// Document offset of the next byte fed.
    offset: u64,
    failed: Option<Rejection>,
}

impl Check {
    /// A check of one JSON value starting at document offset `start`, nested
    /// at most `max_depth` levels.
    pub(crate) fn new(start: u64, max_depth: u32) -> Self {
        Check {
            scanner: Scanner {
                stack: Vec::new(),
                max_depth: max_depth as usize,
                expect: Expect::Value,
                tok: Tok::None,
                in_key: false,
                values: 0,
                one_per_line: true,
            },
            offset: start,
            failed: None,
        }
    }

    /// Feeds the next bytes; after the first error the rest is ignored.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if let Err((what, at)) = self.scanner.feed(chunk) {
            let at = self.offset + at as u64;
            let max_depth = self.scanner.max_depth;
            self.failed = Some(malformed(if what.starts_with("nesting") {
                format!("the JSON nests deeper than {max_depth} levels (byte {at})")
            } else {
                format!("the JSON is not well-formed: {what} at byte {at}")
            }));
        }
        self.offset += chunk.len() as u64;
    }

    /// The verdict once every byte was fed: the document's shape, or why
    /// it is not JSON.
    pub(crate) fn finish(mut self) -> Result<Shape, Rejection> {
        if let Some(why) = self.failed {
            return Err(why);
        }
        self.scanner
            .finish()
            .map_err(|what| malformed(format!("the JSON is not well-formed: {what}")))?;
        Ok(Shape {
            values: self.scanner.values,
            one_per_line: self.scanner.one_per_line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `doc` fed in pieces of `piece` bytes.
    fn check(doc: &[u8], max_depth: u32, piece: usize) -> Result<Shape, Rejection> {
        let mut check = Check::new(0, max_depth);
        for chunk in doc.chunks(piece) {
            check.feed(chunk);
        }
        check.finish()
    }

    /// Whether `doc` passes, asserting every way of cutting it into pieces
    /// (token by token or byte by byte) gives the same answer.
    fn ok_with_depth(doc: &[u8], max_depth: u32) -> bool {
        let whole = check(doc, max_depth, doc.len().max(1)).ok();
        for piece in [1, 2, 3, 5, 7, 13] {
            assert_eq!(
                check(doc, max_depth, piece).ok(),
                whole,
                "{:?} in pieces of {piece}",
                String::from_utf8_lossy(doc)
            );
        }
        whole.is_some()
    }

    fn ok(text: &str) -> bool {
        ok_with_depth(text.as_bytes(), 4)
    }

    #[test]
    fn accepts_well_formed_json() {
        for doc in [
            "{}",
            "[]",
            " [1, -0, 0.5, 1e10, -2.5E-3, 12, true, false, null] ",
            r#"{"a": {"b": ["c", "\u00e9\ud83d\ude00\n\"\\\/"]}, "d": ""}"#,
            "[\"caf\u{e9} \u{1f600}\"]",
            "[0]\n",
            "7",
            "\"top\"",
            "[[[[1]]]]",
            "{\"a\":{\"b\":{\"c\":[]}}}",
        ] {
            assert!(ok(doc), "{doc}");
        }
    }

    #[test]
    fn rejects_malformed_json() {
        for doc in [
            "",
            "[",
            "[1,]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{1:2}",
            "[01]",
            "[1.]",
            "[1e]",
            "[-]",
            "[tru]",
            "[nul1]",
            "[\"a\tb\"]",
            "[\"\\x\"]",
            "[\"\\ud800\"]",
            "[\"\\udc00\"]",
            "[\"\\ud800\\u0041\"]",
            "[\"\\u12g4\"]",
            "[\"abc",
            "[1] [2]",
            "[1}",
            "{\"a\":1]",
            "[[[[[1]]]]]",
        ] {
            assert!(!ok(doc), "{doc}");
        }
        // Invalid UTF-8 inside a string (overlong, surrogate, truncated).
        for bytes in [
            &b"[\"\xc0\x80\"]"[..],
            b"[\"\xed\xa0\x80\"]",
            b"[\"\xe2\x82\"]",
            b"[\"\xf5\x80\x80\x80\"]",
        ] {
            assert!(!ok_with_depth(bytes, 4));
        }
    }

    #[test]
    fn errors_name_the_offending_byte() {
        for (doc, at) in [
            ("[1, 2,, 3]", 6),
            ("{\"a\": 1 \"b\": 2}", 8),
            ("[1]\n[2,\n3]", 7),
        ] {
            for piece in [1, 4, doc.len()] {
                let why = check(doc.as_bytes(), 8, piece).unwrap_err().message;
                assert!(why.ends_with(&format!("at byte {at}")), "{doc:?}: {why}");
            }
        }
    }

    #[test]
    fn values_split_across_chunks_are_fine() {
        let mut doc = String::from("[");
        while doc.len() < (1 << 16) + 100 {
            doc.push_str("\"\u{e9}\u{1f600}\\u00e9\\ud83d\\ude00\", -12.5e+3, true, ");
        }
        doc.push_str("null]");
        for skip in 0..8 {
            let padded = format!("{}{doc}", " ".repeat(skip));
            assert!(ok(&padded));
        }
    }

    /// Differential check: on random token soup, the scanner accepts exactly
    /// what serde_json accepts as one value, or line by line as JSON Lines
    /// (numbers stay small, so serde_json's out-of-range float rejection
    /// never comes into play).
    #[test]
    fn agrees_with_serde_json() {
        const PIECES: &[&str] = &[
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            " ",
            "\"",
            "\"k\"",
            "\"\\u00e9\"",
            "\\",
            "\\u",
            "d83d",
            "\\ude00",
            "0",
            "-",
            "1",
            ".",
            "5",
            "e",
            "+",
            "true",
            "fals",
            "null",
            "\u{e9}",
            "\n",
            "1\n",
            "]\n",
            "null\n",
            "\t",
            "x",
            "\"\u{1f600}\"",
        ];
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let (mut accepted, mut lines) = (0, 0);
        for _ in 0..50_000 {
            let n = (next() % 12) as usize + 1;
            let mut doc = String::new();
            for _ in 0..n {
                doc.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let ours = ok_with_depth(doc.as_bytes(), 64);
            let shape = check(doc.as_bytes(), 64, doc.len().max(1)).ok();
            let parses = |text: &str| serde_json::from_str::<serde_json::Value>(text).is_ok();
            let records: Vec<&str> = doc.lines().filter(|l| !l.trim().is_empty()).collect();
            let json_lines = records.len() > 1 && records.iter().all(|l| parses(l));
            let expected = match (parses(&doc), json_lines) {
                (true, _) => Some(1),
                (false, true) => Some(records.len() as u64),
                (false, false) => None,
            };
            assert_eq!(shape.map(|s| s.values), expected, "{doc:?}");
            assert_eq!(ours, expected.is_some());
            lines += usize::from(expected.is_some_and(|n| n > 1));
            accepted += usize::from(ours);
        }
        eprintln!("{accepted} of 50000 accepted, {lines} as JSON Lines");
        assert!(
            accepted > 1_000 && lines > 100,
            "only {accepted} valid documents ({lines} JSON Lines) generated"
        );
    }
}
