//! Streaming JSON well-formedness check (RFC 8259). A byte-at-a-time state
//! machine over fixed-size chunks: strings, numbers and literals are
//! validated (UTF-8, escapes, surrogate pairs) as they stream past and never
//! materialised, nesting is limited, and the deadline is checked every chunk.
//! Memory is one chunk plus one byte per open container, whatever the input.

use crate::budget::Deadline;
use crate::source::{Chunks, Source};
use crate::verdict::{Reason, Rejection};

const CHUNK: usize = 256 * 1024;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    ValueOrClose,
    Key,
    KeyOrClose,
    Colon,
    CommaOrClose,
    End,
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
}

type Step = Result<(), &'static str>;

impl Scanner {
    fn after_value(&mut self) {
        self.tok = Tok::None;
        self.expect = if self.stack.is_empty() {
            Expect::End
        } else {
            Expect::CommaOrClose
        };
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
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return Ok(());
        }
        match self.expect {
            Expect::End => Err("trailing characters after the top-level value"),
            Expect::ValueOrClose if b == b']' => self.close(b),
            Expect::Value | Expect::ValueOrClose => self.start_value(b),
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
    fn feed(&mut self, chunk: &[u8]) -> Result<(), (&'static str, usize)> {
        let mut i = 0;
        while i < chunk.len() {
            // Fast paths through runs that cannot change the state: plain
            // string content, whitespace between tokens, digits of a number.
            let rest = &chunk[i..];
            i += match self.tok {
                Tok::Str => rest
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c)),
                Tok::None => rest
                    .iter()
                    .position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r')),
                Tok::Num(Num::Int | Num::Frac | Num::EDigits) => {
                    rest.iter().position(|c| !c.is_ascii_digit())
                }
                _ => Some(0),
            }
            .unwrap_or(rest.len());
            if i == chunk.len() {
                break;
            }
            let b = chunk[i];
            let step = self.byte(b).map_err(|e| (e, i))?;
            if step {
                i += 1;
            }
        }
        Ok(())
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
        if self.expect != Expect::End {
            return Err("the document ends before its value is complete");
        }
        Ok(())
    }
}

fn utf8(left: u8, lo: u8, hi: u8) -> Tok {
    Tok::Utf8 { left, lo, hi }
}

fn malformed(msg: String) -> Rejection {
    Rejection::new(Reason::Malformed, msg).detected("json")
}

/// Checks that `src[start..]` is exactly one well-formed JSON value nested at
/// most `max_depth` levels. Too-deep nesting is `malformed` (as it was when
/// serde_json's recursion limit enforced it).
pub fn check(
    src: &dyn Source,
    start: u64,
    max_depth: u32,
    deadline: &Deadline,
) -> Result<(), Rejection> {
    let mut scanner = Scanner {
        stack: Vec::new(),
        max_depth: max_depth as usize,
        expect: Expect::Value,
        tok: Tok::None,
        in_key: false,
    };
    let mut chunks = Chunks::new(src, start, CHUNK, deadline);
    while let Some(chunk) = chunks.next_chunk()? {
        if let Err((what, at)) = scanner.feed(chunk) {
            let at = chunks.offset + at as u64;
            return Err(malformed(if what.starts_with("nesting") {
                format!("the JSON nests deeper than {max_depth} levels (byte {at})")
            } else {
                format!("the JSON is not well-formed: {what} at byte {at}")
            }));
        }
    }
    scanner
        .finish()
        .map_err(|what| malformed(format!("the JSON is not well-formed: {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ok(text: &str) -> bool {
        let src: &[u8] = text.as_bytes();
        check(&src, 0, 4, &Deadline::after(Duration::from_secs(10))).is_ok()
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
            let src: &[u8] = bytes;
            assert!(check(&src, 0, 4, &Deadline::after(Duration::from_secs(10))).is_err());
        }
    }

    #[test]
    fn values_split_across_chunks_are_fine() {
        let mut doc = String::from("[");
        while doc.len() < CHUNK * 2 + 100 {
            doc.push_str("\"\u{e9}\u{1f600}\\u00e9\\ud83d\\ude00\", -12.5e+3, true, ");
        }
        doc.push_str("null]");
        for skip in 0..8 {
            let padded = format!("{}{doc}", " ".repeat(skip));
            assert!(ok(&padded));
        }
    }

    /// Differential check: on random token soup, the scanner accepts exactly
    /// what serde_json accepts (numbers stay small, so serde_json's
    /// out-of-range float rejection never comes into play).
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
            "\t",
            "x",
            "\"\u{1f600}\"",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for _ in 0..50_000 {
            let n = (next() % 12) as usize + 1;
            let mut doc = String::new();
            for _ in 0..n {
                doc.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            let src: &[u8] = doc.as_bytes();
            let ours = check(&src, 0, 64, &Deadline::after(Duration::from_secs(10))).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(&doc).is_ok();
            assert_eq!(ours, theirs, "{doc:?}");
            accepted += usize::from(ours);
        }
        eprintln!("{accepted} of 50000 accepted");
        assert!(
            accepted > 1_000,
            "only {accepted} valid documents generated"
        );
    }
}
