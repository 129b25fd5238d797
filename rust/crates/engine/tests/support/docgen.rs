//! Realistic large documents for the throughput bench, written at bench time:
//! a CSV ledger, a JSON export and the same records as JSON Lines, photos
//! of incompressible pixels (PNG, baseline JPEG, uncompressed TIFF), and
//! office files (XLSX, DOCX, ODS; a minimal ZIP writer, no data descriptors).

#![allow(dead_code)] // the bench uses part of it

use flate2::write::{DeflateEncoder, ZlibEncoder};
use flate2::{Compression, Crc};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// A small deterministic generator (xorshift64*), so every run writes the
/// same bytes without a dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn create(path: &Path) -> io::Result<BufWriter<std::fs::File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path)?,
    ))
}

/// A 5-column ledger CSV with a header, about `bytes` long (whole lines).
pub fn write_csv(path: &Path, bytes: u64) -> io::Result<u64> {
    let mut out = create(path)?;
    let mut written = 0u64;
    let header = b"date,account,description,amount,currency\n";
    out.write_all(header)?;
    written += header.len() as u64;
    let mut rng = Rng::new(7);
    let mut line = String::with_capacity(128);
    while written < bytes {
        let r = rng.next();
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(
            line,
            "2026-{:02}-{:02},ACC-{:06},\"Invoice {} for services, Q{}\",{}.{:02},{}",
            r % 12 + 1,
            (r >> 8) % 28 + 1,
            (r >> 16) % 1_000_000,
            (r >> 20) % 100_000,
            (r >> 40) % 4 + 1,
            (r >> 24) % 100_000,
            (r >> 44) % 100,
            ["EUR", "USD", "GBP", "CHF"][((r >> 50) % 4) as usize]
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok(written)
}

/// One flat record of the JSON export.
fn json_record(rng: &mut Rng, line: &mut String) {
    use std::fmt::Write as _;
    let r = rng.next();
    let _ = write!(
        line,
        "{{\"id\":\"{:016x}\",\"ts\":\"2026-11-28T{:02}:{:02}:{:02}Z\",\"amount\":{}.{:02},\"ok\":{},\"tags\":[\"ledger\",\"q{}\"],\"note\":\"caf\\u00e9 \\\"quoted\\\" {}\"}}",
        r,
        r % 24,
        (r >> 8) % 60,
        (r >> 16) % 60,
        (r >> 24) % 100_000,
        (r >> 44) % 100,
        r & 1 == 0,
        (r >> 40) % 4 + 1,
        (r >> 32) % 10_000
    );
}

/// A JSON export: one array of flat objects, about `bytes` long.
pub fn write_json(path: &Path, bytes: u64) -> io::Result<u64> {
    let mut out = create(path)?;
    let mut written = 2u64;
    out.write_all(b"[\n")?;
    let mut rng = Rng::new(11);
    let mut line = String::with_capacity(256);
    while written < bytes {
        line.clear();
        if written > 2 {
            line.push_str(",\n");
        }
        json_record(&mut rng, &mut line);
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.write_all(b"\n]\n")?;
    out.flush()?;
    Ok(written + 3)
}

/// The same records as JSON Lines (one per line), about `bytes` long;
/// returns its size and the number of records.
pub fn write_json_lines(path: &Path, bytes: u64) -> io::Result<(u64, u64)> {
    let mut out = create(path)?;
    let (mut written, mut records) = (0u64, 0u64);
    let mut rng = Rng::new(11);
    let mut line = String::with_capacity(256);
    while written < bytes {
        line.clear();
        json_record(&mut rng, &mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        records += 1;
    }
    out.flush()?;
    Ok((written, records))
}

/// An RGB PNG of noisy pixels (a photo compresses about as badly), in 1 MiB IDATs.
pub fn write_png(path: &Path, width: u32, height: u32) -> io::Result<u64> {
    let mut out = create(path)?;
    out.write_all(b"\x89PNG\r\n\x1a\n")?;
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut written = 8 + chunk(&mut out, b"IHDR", &ihdr)?;
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    let mut rng = Rng::new(3);
    let mut row = vec![0u8; 1 + 3 * width as usize];
    for _ in 0..height {
        for px in row[1..].chunks_mut(8) {
            let r = rng.next().to_le_bytes();
            px.copy_from_slice(&r[..px.len()]);
        }
        z.write_all(&row)?;
        if z.get_ref().len() >= 1 << 20 {
            let data = std::mem::take(z.get_mut());
            written += chunk(&mut out, b"IDAT", &data)?;
        }
    }
    let data = z.finish()?;
    written += chunk(&mut out, b"IDAT", &data)?;
    written += chunk(&mut out, b"IEND", &[])?;
    out.flush()?;
    Ok(written)
}

/// A baseline JPEG as a camera writes one: JFIF, quantisation and Huffman
/// tables, a frame and a scan of about `bytes` of entropy-coded data (noise,
/// each 0xFF stuffed with 0x00 and a restart marker every 4 KiB), then EOI.
/// The engine walks markers and scans the entropy-coded data; it does not
/// decode it, so noise is as good as a photo.
pub fn write_jpeg(path: &Path, width: u16, height: u16, bytes: u64) -> io::Result<u64> {
    let mut out = create(path)?;
    let mut head = vec![0xff, 0xd8];
    let mut segment = |marker: u8, body: &[u8]| {
        head.extend_from_slice(&[0xff, marker]);
        head.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
        head.extend_from_slice(body);
    };
    segment(0xe0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
    let mut dqt = vec![0u8];
    dqt.extend((1..=64).map(|q: u8| q.max(2)));
    segment(0xdb, &dqt);
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0]);
    segment(0xc0, &sof);
    segment(0xdd, &[0, 64]); // restart interval
    let mut dht = vec![0x00];
    dht.extend_from_slice(&[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    dht.extend(0..12u8);
    segment(0xc4, &dht);
    segment(0xda, &[3, 1, 0, 2, 0, 3, 0, 0, 63, 0]);
    out.write_all(&head)?;
    let mut written = head.len() as u64;
    let mut rng = Rng::new(13);
    let mut block = Vec::with_capacity(4200);
    let mut restart = 0u8;
    while written < bytes {
        block.clear();
        while block.len() < 4096 {
            for b in rng.next().to_le_bytes() {
                block.push(b);
                if b == 0xff {
                    block.push(0);
                }
            }
        }
        block.extend_from_slice(&[0xff, 0xd0 + restart]);
        restart = (restart + 1) % 8;
        out.write_all(&block)?;
        written += block.len() as u64;
    }
    out.write_all(&[0xff, 0xd9])?;
    out.flush()?;
    Ok(written + 2)
}

/// An uncompressed little-endian RGB TIFF of noisy pixels, one strip per
/// 16 rows, as scanners and cameras write them.
pub fn write_tiff(path: &Path, width: u32, height: u32) -> io::Result<u64> {
    const ROWS_PER_STRIP: u32 = 16;
    let mut out = create(path)?;
    let row = 3 * width as u64;
    let strips = height.div_ceil(ROWS_PER_STRIP);
    let data_at = 8u64;
    let image = row * height as u64;
    // After the pixels: bits per sample, strip offsets, strip byte counts, IFD.
    let bits_at = data_at + image;
    let offsets_at = bits_at + 6;
    let counts_at = offsets_at + 4 * strips as u64;
    let ifd_at = counts_at + 4 * strips as u64;
    out.write_all(b"II*\0")?;
    out.write_all(&(ifd_at as u32).to_le_bytes())?;
    let mut rng = Rng::new(17);
    let mut pixels = vec![0u8; row as usize];
    for _ in 0..height {
        for px in pixels.chunks_mut(8) {
            let r = rng.next().to_le_bytes();
            px.copy_from_slice(&r[..px.len()]);
        }
        out.write_all(&pixels)?;
    }
    for _ in 0..3 {
        out.write_all(&8u16.to_le_bytes())?;
    }
    let strip_bytes = |s: u32| row * ROWS_PER_STRIP.min(height - s * ROWS_PER_STRIP) as u64;
    for s in 0..strips {
        let at = data_at + row * (s * ROWS_PER_STRIP) as u64;
        out.write_all(&(at as u32).to_le_bytes())?;
    }
    for s in 0..strips {
        out.write_all(&(strip_bytes(s) as u32).to_le_bytes())?;
    }
    // (tag, type: 3 SHORT / 4 LONG, count, value or offset), in tag order.
    let entries: [(u16, u16, u32, u32); 10] = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 3, bits_at as u32),
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (273, 4, strips, offsets_at as u32),
        (277, 3, 1, 3),
        (278, 4, 1, ROWS_PER_STRIP),
        (279, 4, strips, counts_at as u32),
        (284, 3, 1, 1),
    ];
    out.write_all(&(entries.len() as u16).to_le_bytes())?;
    for (tag, kind, count, value) in entries {
        out.write_all(&tag.to_le_bytes())?;
        out.write_all(&kind.to_le_bytes())?;
        out.write_all(&count.to_le_bytes())?;
        out.write_all(&value.to_le_bytes())?;
    }
    out.write_all(&0u32.to_le_bytes())?;
    out.flush()?;
    Ok(ifd_at + 2 + 12 * entries.len() as u64 + 4)
}

fn chunk(out: &mut impl Write, kind: &[u8; 4], data: &[u8]) -> io::Result<u64> {
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.write_all(&(data.len() as u32).to_be_bytes())?;
    out.write_all(kind)?;
    out.write_all(data)?;
    out.write_all(&crc.sum().to_be_bytes())?;
    Ok(12 + data.len() as u64)
}

/// An XLSX workbook with one sheet of `rows` rows (5 cells each, inline
/// strings and numbers); returns its size and the sheet's inflated size.
pub fn write_xlsx(path: &Path, rows: u64) -> io::Result<(u64, u64)> {
    let mut sheet = Vec::with_capacity(rows as usize * 220);
    sheet.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
    let mut rng = Rng::new(5);
    for r in 1..=rows {
        let v = rng.next();
        write!(
            sheet,
            "<row r=\"{r}\"><c r=\"A{r}\" t=\"inlineStr\"><is><t>ACC-{:06}</t></is></c><c r=\"B{r}\" t=\"inlineStr\"><is><t>Invoice {} for services</t></is></c><c r=\"C{r}\"><v>{}.{:02}</v></c><c r=\"D{r}\"><v>{}</v></c><c r=\"E{r}\" t=\"inlineStr\"><is><t>EUR</t></is></c></row>",
            v % 1_000_000,
            (v >> 20) % 100_000,
            (v >> 24) % 100_000,
            (v >> 44) % 100,
            46_000 + (v >> 50) % 365
        )?;
    }
    sheet.extend_from_slice(b"</sheetData></worksheet>");
    let parts: [(&str, &[u8]); 6] = [
        ("[Content_Types].xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>"),
        ("_rels/.rels", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
        ("xl/workbook.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Ledger\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
        ("docProps/core.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Ledger</dc:title></cp:coreProperties>"),
        ("docProps/app.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>docgen</Application></Properties>"),
        ("xl/worksheets/sheet1.xml", &sheet),
    ];
    let size = write_zip(path, &parts)?;
    Ok((size, sheet.len() as u64))
}

/// A DOCX of `paragraphs` paragraphs of body text with run formatting, as
/// a word processor saves a long report; returns its size and the
/// document part's inflated size.
pub fn write_docx(path: &Path, paragraphs: u64) -> io::Result<(u64, u64)> {
    let mut body = Vec::with_capacity(paragraphs as usize * 400);
    body.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>");
    let mut rng = Rng::new(19);
    for p in 1..=paragraphs {
        let v = rng.next();
        write!(
            body,
            "<w:p w:rsidR=\"00{:06X}\"><w:pPr><w:pStyle w:val=\"BodyText\"/><w:spacing w:after=\"120\"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>Section {p}.</w:t></w:r><w:r><w:t xml:space=\"preserve\"> The quarterly ledger for account ACC-{:06} shows {} entries reconciled against the bank statement; the variance of {}.{:02} EUR was traced to a timing difference and cleared in the following period.</w:t></w:r></w:p>",
            v % 0xff_ffff,
            (v >> 8) % 1_000_000,
            (v >> 28) % 10_000,
            (v >> 40) % 1000,
            (v >> 50) % 100
        )?;
    }
    body.extend_from_slice(
        b"<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/></w:sectPr></w:body></w:document>",
    );
    let parts: [(&str, &[u8]); 5] = [
        ("[Content_Types].xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"),
        ("_rels/.rels", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>"),
        ("docProps/core.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Report</dc:title></cp:coreProperties>"),
        ("docProps/app.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\"><Application>docgen</Application></Properties>"),
        ("word/document.xml", &body),
    ];
    let size = write_zip(path, &parts)?;
    Ok((size, body.len() as u64))
}

/// An ODS spreadsheet of `rows` rows (5 cells: strings, a float and a
/// date), as LibreOffice saves one; returns its size and content.xml's
/// inflated size.
pub fn write_ods(path: &Path, rows: u64) -> io::Result<(u64, u64)> {
    let mut content = Vec::with_capacity(rows as usize * 600);
    content.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.3\"><office:body><office:spreadsheet><table:table table:name=\"Ledger\">");
    let mut rng = Rng::new(23);
    for _ in 0..rows {
        let v = rng.next();
        let amount = format!("{}.{:02}", (v >> 24) % 100_000, (v >> 44) % 100);
        write!(
            content,
            "<table:table-row table:style-name=\"ro1\"><table:table-cell office:value-type=\"string\"><text:p>ACC-{:06}</text:p></table:table-cell><table:table-cell office:value-type=\"string\"><text:p>Invoice {} for services</text:p></table:table-cell><table:table-cell office:value-type=\"float\" office:value=\"{amount}\"><text:p>{amount}</text:p></table:table-cell><table:table-cell office:value-type=\"date\" office:date-value=\"2026-{:02}-{:02}\"><text:p>2026-{:02}-{:02}</text:p></table:table-cell><table:table-cell office:value-type=\"string\"><text:p>EUR</text:p></table:table-cell></table:table-row>",
            v % 1_000_000,
            (v >> 20) % 100_000,
            (v >> 30) % 12 + 1,
            (v >> 34) % 28 + 1,
            (v >> 30) % 12 + 1,
            (v >> 34) % 28 + 1
        )?;
    }
    content.extend_from_slice(
        b"</table:table></office:spreadsheet></office:body></office:document-content>",
    );
    let parts: [(&str, &[u8]); 4] = [
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>"),
        ("meta.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"1.3\"><office:meta><dc:title>Ledger</dc:title></office:meta></office:document-meta>"),
        ("content.xml", &content),
    ];
    let size = write_zip(path, &parts)?;
    Ok((size, content.len() as u64))
}

/// A ZIP of deflated entries, sizes and CRCs in the local headers; an ODF
/// `mimetype` entry is stored uncompressed, as ODF requires.
pub fn write_zip(path: &Path, entries: &[(&str, &[u8])]) -> io::Result<u64> {
    let mut out = create(path)?;
    let mut central = Vec::new();
    let mut offset = 0u64;
    for (name, data) in entries {
        let mut crc = Crc::new();
        crc.update(data);
        let stored = *name == "mimetype";
        let packed = if stored {
            data.to_vec()
        } else {
            let mut z = DeflateEncoder::new(Vec::new(), Compression::default());
            z.write_all(data)?;
            z.finish()?
        };
        let fields = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed to extract
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&(if stored { 0u16 } else { 8 }).to_le_bytes()); // stored or deflate
            h.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            h.extend_from_slice(&crc.sum().to_le_bytes());
            h.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&(offset as u32).to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        let local = fields(0x0403_4b50, false);
        central.extend(fields(0x0201_4b50, true));
        out.write_all(&local)?;
        out.write_all(&packed)?;
        offset += (local.len() + packed.len()) as u64;
    }
    out.write_all(&central)?;
    let mut end = Vec::new();
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0; 4]);
    end.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    end.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    end.extend_from_slice(&(central.len() as u32).to_le_bytes());
    end.extend_from_slice(&(offset as u32).to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    out.write_all(&end)?;
    out.flush()?;
    Ok(offset + central.len() as u64 + end.len() as u64)
}

/// Inflates every entry of a ZIP written by [`write_zip`] once (the
/// baseline a container's inspection is compared with); returns the bytes out.
pub fn inflate_entries(path: &Path) -> io::Result<u64> {
    use std::io::Read;
    let data = std::fs::read(path)?;
    let mut at = 0usize;
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    while data.get(at..at + 4) == Some(&0x0403_4b50u32.to_le_bytes()) {
        let le16 = |i: usize| u16::from_le_bytes([data[at + i], data[at + i + 1]]) as usize;
        let packed =
            u32::from_le_bytes(data[at + 18..at + 22].try_into().unwrap_or_default()) as usize;
        let start = at + 30 + le16(26) + le16(28);
        if le16(8) == 0 {
            total += packed as u64;
            at = start + packed;
            continue;
        }
        let mut z = flate2::read::DeflateDecoder::new(&data[start..start + packed]);
        loop {
            let n = z.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        at = start + packed;
    }
    Ok(total)
}
