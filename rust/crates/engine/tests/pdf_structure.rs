//! PDF structure is checked against ISO 32000-1, not a viewer's repairs:
//! a stream's `/Length` (direct or indirect) must end at its `endstream`
//! (7.3.8.1), every in-use cross-reference entry must point at the object it
//! names (7.5.4, 7.5.8), and `startxref`/`/Prev` must lead to cross-reference
//! sections without looping (7.5.5, 7.5.6). Each case is built by hand so the
//! bytes under test are exactly the ones described.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use docproc_engine::{inspect, Declared, Limits, Reason, Verdict};
use std::collections::BTreeMap;
use std::io::Write;

/// A PDF written object by object, remembering each object's offset.
struct Pdf {
    out: Vec<u8>,
    offsets: BTreeMap<u64, usize>,
}

const CONTENT: &[u8] = b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET";

impl Pdf {
    fn new(version: &str) -> Self {
        Pdf {
            out: format!("%PDF-{version}\n%\u{e2}\u{e3}\n").into_bytes(),
            offsets: BTreeMap::new(),
        }
    }

    /// Catalog, page tree and one page whose content is object 4.
    fn one_page(version: &str, content_length: &str) -> Self {
        let mut pdf = Pdf::new(version);
        pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
        pdf.object(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        pdf.object(
            3,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        );
        pdf.stream(4, &format!("/Length {content_length}"), CONTENT);
        pdf
    }

    fn object(&mut self, n: u64, body: &[u8]) {
        self.offsets.insert(n, self.out.len());
        writeln!(self.out, "{n} 0 obj").unwrap();
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, n: u64, dict: &str, data: &[u8]) {
        let mut body = format!("<< {dict} >>\nstream\n").into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(n, &body);
    }

    /// One subsection `0..=max` (gaps free) and the trailer; returns the
    /// table's offset. `entry` may rewrite an object's entry.
    fn classic_xref(
        &mut self,
        trailer_extra: &str,
        entry: impl Fn(u64, String) -> String,
    ) -> usize {
        let at = self.out.len();
        let size = self.offsets.keys().max().unwrap() + 1;
        write!(self.out, "xref\n0 {size}\n0000000000 65535 f \n").unwrap();
        for n in 1..size {
            let line = match self.offsets.get(&n) {
                Some(o) => format!("{o:010} 00000 n \n"),
                None => "0000000000 00000 f \n".to_string(),
            };
            self.out.extend(entry(n, line).as_bytes());
        }
        write!(
            self.out,
            "trailer\n<< /Size {size} /Root 1 0 R {trailer_extra} >>\n"
        )
        .unwrap();
        at
    }

    fn finish(mut self, startxref: usize) -> Vec<u8> {
        write!(self.out, "startxref\n{startxref}\n%%EOF\n").unwrap();
        self.out
    }

    /// A cross-reference stream as object `n` (widths 1 4 2), PNG-Up
    /// predicted; `compressed` lists (object, object stream, index).
    fn xref_stream(
        &mut self,
        n: u64,
        compressed: &[(u64, u32, u32)],
        offset_of: impl Fn(u64, usize) -> usize,
    ) -> usize {
        let at = self.out.len();
        self.offsets.insert(n, at);
        let size = self
            .offsets
            .keys()
            .chain(compressed.iter().map(|c| &c.0))
            .max()
            .unwrap()
            + 1;
        let mut rows = Vec::new();
        for obj in 0..size {
            let row: [u8; 7] = if let Some(&(_, stm, idx)) = compressed.iter().find(|c| c.0 == obj)
            {
                let s = stm.to_be_bytes();
                let i = (idx as u16).to_be_bytes();
                [2, s[0], s[1], s[2], s[3], i[0], i[1]]
            } else if let Some(&o) = self.offsets.get(&obj) {
                let o = (offset_of(obj, o) as u32).to_be_bytes();
                [1, o[0], o[1], o[2], o[3], 0, 0]
            } else {
                [0, 0, 0, 0, 0, 0xff, 0xff]
            };
            rows.push(row);
        }
        // PNG "Up" filter: each byte minus the byte above it.
        let mut predicted = Vec::new();
        let mut above = [0u8; 7];
        for row in &rows {
            predicted.push(2u8);
            predicted.extend(row.iter().zip(above).map(|(b, a)| b.wrapping_sub(a)));
            above = *row;
        }
        let data = deflate(&predicted);
        let dict = format!(
            "/Type /XRef /Size {size} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length {}",
            data.len()
        );
        self.stream(n, &dict, &data);
        at
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

fn verdict(bytes: &[u8]) -> Verdict {
    inspect(
        &bytes.to_vec(),
        &Declared::new("a.pdf", "application/pdf"),
        &Limits::default(),
    )
}

fn assert_accepted(bytes: &[u8]) {
    let v = verdict(bytes);
    assert!(v.is_accepted(), "{v:?}\n{}", String::from_utf8_lossy(bytes));
}

/// Rejected as malformed with a message naming `what`.
fn assert_malformed(bytes: &[u8], what: &str) {
    match verdict(bytes) {
        Verdict::Rejected(r) => {
            assert_eq!(r.reason, Reason::Malformed, "{}", r.message);
            assert!(
                r.message.contains(what),
                "{:?} should mention {what:?}",
                r.message
            );
        }
        v => panic!("expected malformed ({what}), got {v:?}"),
    }
}

fn classic(pdf: Pdf) -> Vec<u8> {
    let mut pdf = pdf;
    let at = pdf.classic_xref("", |_, line| line);
    pdf.finish(at)
}

#[test]
fn a_well_formed_pdf_is_accepted() {
    assert_accepted(&classic(Pdf::one_page("1.7", &CONTENT.len().to_string())));
}

#[test]
fn a_direct_length_must_end_at_endstream() {
    for wrong in [CONTENT.len() - 3, CONTENT.len() + 3, 0] {
        assert_malformed(
            &classic(Pdf::one_page("1.7", &wrong.to_string())),
            &format!("declares /Length {wrong}, which does not end at its endstream"),
        );
    }
    assert_malformed(&classic(Pdf::one_page("1.7", "-1")), "/Length -1");
}

#[test]
fn a_stream_without_length_is_malformed() {
    let mut pdf = Pdf::new("1.7");
    pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    pdf.object(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    pdf.object(3, b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>");
    pdf.stream(4, "/Filter /None", CONTENT);
    assert_malformed(&classic(pdf), "has no /Length");
}

#[test]
fn an_indirect_length_is_resolved_through_the_cross_reference() {
    let with_length_object = |value: usize| {
        let mut pdf = Pdf::one_page("1.7", "5 0 R");
        pdf.object(5, value.to_string().as_bytes());
        classic(pdf)
    };
    assert_accepted(&with_length_object(CONTENT.len()));
    // The end of line before `endstream` is not part of the data (7.3.8.1).
    assert_accepted(&with_length_object(CONTENT.len() + 1));
    assert_malformed(
        &with_length_object(CONTENT.len() - 1),
        "declares /Length 5 0 R (35)",
    );
    assert_malformed(
        &with_length_object(CONTENT.len() + 9),
        "but its data runs 37 bytes",
    );

    let mut not_an_integer = Pdf::one_page("1.7", "5 0 R");
    not_an_integer.object(5, b"(36)");
    assert_malformed(&classic(not_an_integer), "(not an integer)");

    assert_malformed(
        &classic(Pdf::one_page("1.7", "9 0 R")),
        "takes its /Length from object 9, which the cross-reference does not define",
    );
}

#[test]
fn every_in_use_entry_must_point_at_its_object() {
    let base = || Pdf::one_page("1.7", &CONTENT.len().to_string());
    let shifted = |by: i64| {
        let mut pdf = base();
        let at = pdf.classic_xref("", |n, line| {
            if n == 3 {
                let o: i64 = line[..10].parse().unwrap();
                format!("{:010}{}", o + by, &line[10..])
            } else {
                line
            }
        });
        pdf.finish(at)
    };
    assert_malformed(&shifted(1), "entry for object 3 0 points at byte");
    assert_malformed(&shifted(-1), "entry for object 3 0 points at byte");

    // Objects 2 and 3 swapped: each offset holds a real object, but not the one named.
    let mut pdf = base();
    let (two, three) = (pdf.offsets[&2], pdf.offsets[&3]);
    let at = pdf.classic_xref("", |n, line| match n {
        2 => format!("{three:010}{}", &line[10..]),
        3 => format!("{two:010}{}", &line[10..]),
        _ => line,
    });
    assert_malformed(&pdf.finish(at), "entry for object 2 0 points at byte");

    // The right object with another generation.
    let mut pdf = base();
    let at = pdf.classic_xref("", |n, line| {
        if n == 4 {
            line.replace(" 00000 n", " 00001 n")
        } else {
            line
        }
    });
    assert_malformed(&pdf.finish(at), "entry for object 4 1 points at byte");
}

#[test]
fn entries_must_be_twenty_bytes() {
    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    let at = pdf.classic_xref("", |_, line| line.replace(" \n", "\n"));
    assert_malformed(&pdf.finish(at), "is not a 20-byte entry");
}

#[test]
fn startxref_must_name_a_cross_reference_section() {
    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    pdf.classic_xref("", |_, line| line);
    let page = pdf.offsets[&3];
    assert_malformed(
        &pdf.finish(page),
        "holds an object that is not a cross-reference stream",
    );

    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    let at = pdf.classic_xref("", |_, line| line);
    assert_malformed(&pdf.finish(at + 1), "holds no cross-reference section");

    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    pdf.classic_xref("", |_, line| line);
    assert_malformed(&pdf.finish(1 << 30), "lies beyond the end of the file");
}

/// The base document, then an update that replaces the page (7.5.6).
fn updated(prev_of_update: impl Fn(usize, usize) -> usize) -> Vec<u8> {
    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    let base = pdf.classic_xref("", |_, line| line);
    write!(pdf.out, "startxref\n{base}\n%%EOF\n").unwrap();
    pdf.offsets.clear();
    pdf.object(
        3,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    );
    let update = pdf.out.len();
    let prev = prev_of_update(base, update);
    let page = pdf.offsets[&3];
    write!(
        pdf.out,
        "xref\n0 1\n0000000000 65535 f \n3 1\n{page:010} 00000 n \ntrailer\n<< /Size 5 /Root 1 0 R /Prev {prev} >>\n"
    )
    .unwrap();
    pdf.finish(update)
}

#[test]
fn incremental_updates_are_followed_and_must_not_loop() {
    assert_accepted(&updated(|base, _| base));
    assert_malformed(
        &updated(|_, update| update),
        "the cross-reference sections loop: byte",
    );
    assert_malformed(
        &updated(|base, _| base + 2),
        "holds no cross-reference section",
    );
}

#[test]
fn cross_reference_streams_are_checked_like_tables() {
    // The page lives in an object stream; everything else is a type 1 entry.
    let build = |offset_of: &dyn Fn(u64, usize) -> usize| {
        let mut pdf = Pdf::new("1.5");
        pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
        pdf.object(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        let page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>";
        let header = b"3 0 ";
        let mut objstm = header.to_vec();
        objstm.extend_from_slice(page);
        let data = deflate(&objstm);
        pdf.stream(
            5,
            &format!(
                "/Type /ObjStm /N 1 /First {} /Filter /FlateDecode /Length {}",
                header.len(),
                data.len()
            ),
            &data,
        );
        pdf.stream(4, &format!("/Length {}", CONTENT.len()), CONTENT);
        let at = pdf.xref_stream(6, &[(3, 5, 0)], offset_of);
        pdf.finish(at)
    };
    assert_accepted(&build(&|_, o| o));
    assert_malformed(
        &build(&|n, o| if n == 4 { o + 1 } else { o }),
        "entry for object 4 0 points at byte",
    );
    assert_malformed(
        &build(&|n, o| if n == 6 { o + 7 } else { o }),
        "entry for object 6 0 points at byte",
    );
}

/// A cross-reference stream whose `/W` widths are all zero has rows of no
/// bytes: nothing can be read from it (and splitting its data into rows of
/// zero bytes used to panic). It is malformed, whatever it declares.
#[test]
fn a_cross_reference_stream_with_zero_widths_is_malformed() {
    for (index, data) in [("", &b"\x00"[..]), (" /Index [0 0]", &b""[..])] {
        let mut pdf = Pdf::one_page("1.5", &CONTENT.len().to_string());
        let at = pdf.out.len();
        pdf.stream(
            5,
            &format!(
                "/Type /XRef /Size 6 /W [0 0 0]{index} /Root 1 0 R /Length {}",
                data.len()
            ),
            data,
        );
        assert_malformed(&pdf.finish(at), "/W widths sum to zero");
    }
}

#[test]
fn an_update_that_deletes_a_page_frees_it() {
    let mut pdf = Pdf::new("1.7");
    pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    pdf.object(2, b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>");
    pdf.object(
        3,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    );
    pdf.object(
        4,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    );
    let base = pdf.classic_xref("", |_, line| line);
    write!(pdf.out, "startxref\n{base}\n%%EOF\n").unwrap();
    pdf.object(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    let (pages, update) = (pdf.offsets[&2], pdf.out.len());
    write!(
        pdf.out,
        "xref\n0 1\n0000000000 65535 f \n2 1\n{pages:010} 00000 n \n4 1\n0000000000 00001 f \ntrailer\n<< /Size 5 /Root 1 0 R /Prev {base} >>\n"
    )
    .unwrap();
    let bytes = pdf.finish(update);
    match verdict(&bytes) {
        Verdict::Accepted { metadata, .. } => assert_eq!(metadata["pages"], 1),
        v => panic!("{v:?}"),
    }
}

#[test]
fn object_numbers_beyond_the_pdf_limit_are_malformed() {
    // Annex C caps object numbers at 8,388,607; bookkeeping is sized by it.
    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    pdf.object(9_999_999_999, b"<< /Type /Page /Parent 2 0 R >>");
    pdf.offsets.remove(&9_999_999_999); // not in the table: the walk finds it
    let at = pdf.classic_xref("", |_, line| line);
    let bytes = pdf.finish(at);
    assert_malformed(&bytes, "object number 9999999999 is outside 0..=8388607");

    let mut pdf = Pdf::one_page("1.7", &CONTENT.len().to_string());
    let at = pdf.out.len();
    pdf.out
        .extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
    pdf.out
        .extend_from_slice(b"9000000000 1\n0000000010 00000 n \n");
    pdf.out
        .extend_from_slice(b"trailer\n<< /Size 5 /Root 1 0 R >>\n");
    assert_malformed(
        &pdf.finish(at),
        "names object 9000000000, outside 0..=8388607",
    );
}

#[test]
fn a_hybrid_file_takes_compressed_objects_from_its_xref_stream() {
    // PDF 1.5 hybrid (7.5.8.4): the table marks the page, kept in an object
    // stream, as free; the /XRefStm stream says where it really is.
    let mut pdf = Pdf::new("1.5");
    pdf.object(1, b"<< /Type /Catalog /Pages 2 0 R >>");
    pdf.object(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    let header = b"3 0 ";
    let mut objstm = header.to_vec();
    objstm.extend_from_slice(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>");
    let data = deflate(&objstm);
    pdf.stream(
        5,
        &format!(
            "/Type /ObjStm /N 1 /First {} /Filter /FlateDecode /Length {}",
            header.len(),
            data.len()
        ),
        &data,
    );
    let stream = pdf.xref_stream(6, &[(3, 5, 0)], |_, o| o);
    let at = pdf.classic_xref(&format!("/XRefStm {stream}"), |_, line| line);
    let bytes = pdf.finish(at);
    match verdict(&bytes) {
        Verdict::Accepted { metadata, .. } => assert_eq!(metadata["pages"], 1),
        v => panic!("{v:?}"),
    }
}
