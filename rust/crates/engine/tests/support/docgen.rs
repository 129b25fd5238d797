//! Realistic large documents for the throughput bench, written at bench time:
//! a CSV ledger, a JSON export, an incompressible PNG photo and an XLSX
//! workbook (a minimal ZIP writer, deflated entries, no data descriptors).

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

/// A JSON export: one array of flat objects, about `bytes` long.
pub fn write_json(path: &Path, bytes: u64) -> io::Result<u64> {
    let mut out = create(path)?;
    let mut written = 2u64;
    out.write_all(b"[\n")?;
    let mut rng = Rng::new(11);
    let mut line = String::with_capacity(256);
    let mut first = true;
    while written < bytes {
        let r = rng.next();
        line.clear();
        use std::fmt::Write as _;
        let _ = write!(
            line,
            "{}{{\"id\":\"{:016x}\",\"ts\":\"2026-11-28T{:02}:{:02}:{:02}Z\",\"amount\":{}.{:02},\"ok\":{},\"tags\":[\"ledger\",\"q{}\"],\"note\":\"caf\\u00e9 \\\"quoted\\\" {}\"}}",
            if first { "" } else { ",\n" },
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
        first = false;
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.write_all(b"\n]\n")?;
    out.flush()?;
    Ok(written + 3)
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

/// A ZIP of deflated entries, sizes and CRCs in the local headers.
pub fn write_zip(path: &Path, entries: &[(&str, &[u8])]) -> io::Result<u64> {
    let mut out = create(path)?;
    let mut central = Vec::new();
    let mut offset = 0u64;
    for (name, data) in entries {
        let mut crc = Crc::new();
        crc.update(data);
        let mut z = DeflateEncoder::new(Vec::new(), Compression::default());
        z.write_all(data)?;
        let packed = z.finish()?;
        let fields = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed to extract
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&8u16.to_le_bytes()); // deflate
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
