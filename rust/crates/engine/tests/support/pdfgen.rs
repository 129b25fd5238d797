//! Generates legitimate PDFs, with a classic cross-reference table or with
//! object streams and a cross-reference stream, for the throughput bench and
//! the large-PDF correctness test. Shared by
//! `benches/throughput.rs` and `tests/pdf_large.rs` through `#[path]`.

#![allow(dead_code)] // each includer uses part of it

use std::io::{self, Write};

/// Counts what is written so object offsets can go into the xref table.
struct Counting<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a generated PDF holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub pages: u64,
    /// Indirect objects (catalog, info, page tree nodes, pages, content streams).
    pub objects: u64,
    pub bytes: u64,
}

pub const TITLE: &str = "Generated benchmark document";

/// Writes a PDF 1.7 with `pages` page objects under a two-level page tree
/// (at most `FANOUT` kids per node), each page with an uncompressed content
/// stream of about `content_bytes` bytes when that is non-zero, then a
/// classic xref table with exact 10-digit offsets, trailer, startxref, %%EOF.
pub fn write_pdf(out: impl Write, pages: u64, content_bytes: usize) -> io::Result<Generated> {
    const FANOUT: u64 = 1000;
    let mut w = Counting {
        inner: out,
        written: 0,
    };
    let nodes = pages.div_ceil(FANOUT).max(1);
    let per_page = if content_bytes > 0 { 2 } else { 1 };
    // 1 catalog, 2 root /Pages, 3 info, then intermediate nodes, then pages
    // (each followed by its content stream when there is one).
    let first_node = 4u64;
    let first_page = first_node + nodes;
    let total = first_page - 1 + pages * per_page;
    let page_num = |p: u64| first_page + p * per_page;
    let mut offsets = vec![0u64; total as usize + 1];

    w.write_all(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")?;
    offsets[1] = w.written;
    w.write_all(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")?;
    offsets[2] = w.written;
    write!(w, "2 0 obj\n<< /Type /Pages /Count {pages} /Kids [")?;
    for n in 0..nodes {
        write!(w, " {} 0 R", first_node + n)?;
    }
    w.write_all(b" ] >>\nendobj\n")?;
    offsets[3] = w.written;
    write!(
        w,
        "3 0 obj\n<< /Title ({TITLE}) /Producer (docproc pdfgen) /CreationDate (D:20261128000000Z) >>\nendobj\n"
    )?;
    for n in 0..nodes {
        let num = first_node + n;
        offsets[num as usize] = w.written;
        let lo = n * FANOUT;
        let hi = (lo + FANOUT).min(pages);
        write!(
            w,
            "{num} 0 obj\n<< /Type /Pages /Parent 2 0 R /Count {} /Kids [",
            hi - lo
        )?;
        for p in lo..hi {
            write!(w, " {} 0 R", page_num(p))?;
        }
        w.write_all(b" ] >>\nendobj\n")?;
    }
    let mut content = Vec::with_capacity(content_bytes + 64);
    for p in 0..pages {
        let num = page_num(p);
        offsets[num as usize] = w.written;
        let parent = first_node + p / FANOUT;
        if content_bytes == 0 {
            write!(
                w,
                "{num} 0 obj\n<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
            )?;
            continue;
        }
        write!(
            w,
            "{num} 0 obj\n<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>\nendobj\n",
            num + 1
        )?;
        content.clear();
        content.extend_from_slice(b"BT /F1 10 Tf 72 720 Td 12 TL\n");
        let mut line = 0u64;
        while content.len() < content_bytes {
            writeln!(
                content,
                "(Page {p} line {line}: the quick brown fox jumps over the lazy dog) Tj T*"
            )?;
            line += 1;
        }
        content.extend_from_slice(b"ET\n");
        offsets[num as usize + 1] = w.written;
        write!(
            w,
            "{} 0 obj\n<< /Length {} >>\nstream\n",
            num + 1,
            content.len()
        )?;
        w.write_all(&content)?;
        w.write_all(b"\nendstream\nendobj\n")?;
    }
    let xref = w.written;
    write!(w, "xref\n0 {}\n0000000000 65535 f \n", total + 1)?;
    for off in &offsets[1..] {
        writeln!(w, "{off:010} 00000 n ")?;
    }
    write!(
        w,
        "trailer\n<< /Size {} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        total + 1
    )?;
    w.flush()?;
    Ok(Generated {
        pages,
        objects: total,
        bytes: w.written,
    })
}

/// Objects per object stream in [`write_pdf_object_streams`] (Acrobat and
/// qpdf pack about 100-200).
const PER_OBJECT_STREAM: u64 = 200;

/// Writes a PDF 1.7 (PDF 1.5 compression, ISO 32000-1 7.5.7 and 7.5.8) with
/// `pages` pages and no content: the catalog, info, page tree and pages are
/// packed into Flate-compressed object streams of [`PER_OBJECT_STREAM`]
/// objects, indexed by a compressed cross-reference stream (`/W [1 4 2]`).
pub fn write_pdf_object_streams(out: impl Write, pages: u64) -> io::Result<Generated> {
    use flate2::{write::ZlibEncoder, Compression};
    const FANOUT: u64 = 1000;
    let nodes = pages.div_ceil(FANOUT).max(1);
    let first_node = 4u64;
    let first_page = first_node + nodes;
    let packed = first_page - 1 + pages;
    let body = |num: u64| -> String {
        match num {
            1 => "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            2 => {
                let kids: String = (0..nodes).map(|n| format!(" {} 0 R", first_node + n)).collect();
                format!("<< /Type /Pages /Count {pages} /Kids [{kids} ] >>")
            }
            3 => format!(
                "<< /Title ({TITLE}) /Producer (docproc pdfgen) /CreationDate (D:20261128000000Z) >>"
            ),
            n if n < first_page => {
                let lo = (n - first_node) * FANOUT;
                let hi = (lo + FANOUT).min(pages);
                let kids: String = (lo..hi).map(|p| format!(" {} 0 R", first_page + p)).collect();
                format!("<< /Type /Pages /Parent 2 0 R /Count {} /Kids [{kids} ] >>", hi - lo)
            }
            n => format!(
                "<< /Type /Page /Parent {} 0 R /MediaBox [0 0 612 792] >>",
                first_node + (n - first_page) / FANOUT
            ),
        }
    };
    let deflate = |data: &[u8]| -> io::Result<Vec<u8>> {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(data)?;
        z.finish()
    };
    let mut w = Counting {
        inner: out,
        written: 0,
    };
    w.write_all(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")?;
    let streams = packed.div_ceil(PER_OBJECT_STREAM);
    let first_stream = packed + 1;
    // Cross-reference rows (type, field 2, field 3) for objects 0..=size-1.
    let size = first_stream + streams + 1;
    let mut rows = vec![(0u8, 0u32, 0xffffu16); size as usize];
    for s in 0..streams {
        let num = first_stream + s;
        let members = (1 + s * PER_OBJECT_STREAM)..=((s + 1) * PER_OBJECT_STREAM).min(packed);
        let (mut header, mut objects) = (String::new(), String::new());
        for (index, obj) in members.enumerate() {
            header.push_str(&format!("{obj} {} ", objects.len()));
            objects.push_str(&body(obj));
            objects.push('\n');
            rows[obj as usize] = (2, num as u32, index as u16);
        }
        header.push('\n');
        let data = deflate(format!("{header}{objects}").as_bytes())?;
        rows[num as usize] = (1, w.written as u32, 0);
        write!(
            w,
            "{num} 0 obj\n<< /Type /ObjStm /N {} /First {} /Length {} /Filter /FlateDecode >>\nstream\n",
            header.split_whitespace().count() / 2,
            header.len(),
            data.len()
        )?;
        w.write_all(&data)?;
        w.write_all(b"\nendstream\nendobj\n")?;
    }
    let xref_num = size - 1;
    let xref = w.written;
    rows[xref_num as usize] = (1, xref as u32, 0);
    let mut table = Vec::with_capacity(rows.len() * 7);
    for (kind, field2, field3) in &rows {
        table.push(*kind);
        table.extend_from_slice(&field2.to_be_bytes());
        table.extend_from_slice(&field3.to_be_bytes());
    }
    let data = deflate(&table)?;
    write!(
        w,
        "{xref_num} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 2] /Root 1 0 R /Info 3 0 R /Length {} /Filter /FlateDecode >>\nstream\n",
        data.len()
    )?;
    w.write_all(&data)?;
    write!(w, "\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n")?;
    w.flush()?;
    Ok(Generated {
        pages,
        objects: size - 1,
        bytes: w.written,
    })
}
