//! Image structure walkers: PNG chunks (with CRCs), JPEG segments, GIF blocks,
//! TIFF IFDs and WebP RIFF chunks. Dimensions are checked against the pixel
//! cap before anything else is read; nothing is decoded.

use crate::budget::Deadline;
use crate::format::Format;
use crate::source::{Cursor, Source};
use crate::verdict::{Limits, Metadata, Reason, Rejection};
use serde_json::json;
use std::io::Read;

fn reject(format: Format, reason: Reason, msg: impl Into<String>) -> Rejection {
    Rejection::new(reason, msg).detected(format.name())
}

fn truncated(format: Format) -> Rejection {
    reject(
        format,
        Reason::Truncated,
        format!(
            "the {} ends before its structure is complete",
            format.name()
        ),
    )
}

fn trailing(format: Format, at: u64) -> Rejection {
    reject(
        format,
        Reason::TrailingData,
        format!("data follows the end of the {} at byte {at}", format.name()),
    )
}

fn check_pixels(format: Format, width: u64, height: u64, limits: &Limits) -> Result<(), Rejection> {
    if width == 0 || height == 0 {
        return Err(reject(
            format,
            Reason::Malformed,
            "the image has a zero dimension",
        ));
    }
    if width.saturating_mul(height) > limits.image_max_pixels {
        return Err(reject(
            format,
            Reason::PixelLimit,
            format!(
                "{width}x{height} pixels exceeds the limit of {} pixels",
                limits.image_max_pixels
            ),
        ));
    }
    Ok(())
}

fn read_exact(
    src: &dyn Source,
    format: Format,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, Rejection> {
    let buf = src.read_range(offset, len).map_err(Rejection::io)?;
    if buf.len() < len {
        return Err(truncated(format));
    }
    Ok(buf)
}

pub fn inspect(
    src: &dyn Source,
    format: Format,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<Metadata, Rejection> {
    let meta = match format {
        Format::Png => png(src, limits, deadline)?,
        Format::Jpeg => jpeg(src, limits, deadline)?,
        Format::Gif => gif(src, limits, deadline)?,
        Format::Tiff => tiff(src, limits, deadline)?,
        Format::Webp => webp(src, limits, deadline)?,
        _ => return Err(Rejection::new(Reason::Unsupported, "not an image")),
    };
    Ok(meta)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn png(src: &dyn Source, limits: &Limits, deadline: &Deadline) -> Result<Metadata, Rejection> {
    const F: Format = Format::Png;
    let len = src.len();
    let mut pos = 8u64;
    let mut meta = Metadata::new();
    let mut chunks = 0u64;
    let mut saw_idat = false;
    loop {
        deadline.check()?;
        let header = read_exact(src, F, pos, 8)?;
        let chunk_len = be32(&header[..4]) as u64;
        let kind = [header[4], header[5], header[6], header[7]];
        if chunk_len > 0x7fff_ffff || !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(reject(
                F,
                Reason::Malformed,
                format!("invalid chunk at byte {pos}"),
            ));
        }
        if pos + 12 + chunk_len > len {
            return Err(truncated(F));
        }
        chunks += 1;
        if chunks == 1 && &kind != b"IHDR" {
            return Err(reject(F, Reason::Malformed, "the first chunk is not IHDR"));
        }
        // CRC covers the type and the data; stream it in bounded chunks.
        let mut crc = flate2::Crc::new();
        crc.update(&kind);
        let mut data = Cursor::new(src, pos + 8, pos + 8 + chunk_len);
        let mut buf = [0u8; 64 * 1024];
        let mut small = Vec::new();
        loop {
            let n = data.read(&mut buf).map_err(Rejection::io)?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
            if small.len() < 64 {
                small.extend_from_slice(&buf[..n.min(64 - small.len())]);
            }
        }
        let stored = be32(&read_exact(src, F, pos + 8 + chunk_len, 4)?);
        if stored != crc.sum() {
            return Err(reject(
                F,
                Reason::Malformed,
                format!("chunk {} has a bad CRC", String::from_utf8_lossy(&kind)),
            ));
        }
        match &kind {
            b"IHDR" => {
                if chunk_len != 13 {
                    return Err(reject(F, Reason::Malformed, "IHDR has the wrong length"));
                }
                let (w, h) = (be32(&small[0..4]) as u64, be32(&small[4..8]) as u64);
                check_pixels(F, w, h, limits)?;
                meta.insert("width".into(), json!(w));
                meta.insert("height".into(), json!(h));
                meta.insert("bit_depth".into(), json!(small[8]));
                meta.insert("color_type".into(), json!(small[9]));
                meta.insert("interlaced".into(), json!(small[12] == 1));
            }
            b"IDAT" => saw_idat = true,
            b"eXIf" => {
                let exif = src
                    .read_range(pos + 8, chunk_len.min(64 * 1024) as usize)
                    .map_err(Rejection::io)?;
                if let Some(e) = exif_fields(&exif) {
                    meta.insert("exif".into(), e);
                }
            }
            b"IEND" => {
                let end = pos + 12 + chunk_len;
                if !saw_idat {
                    return Err(reject(F, Reason::Malformed, "the PNG has no image data"));
                }
                if end != len {
                    return Err(trailing(F, end));
                }
                meta.insert("chunks".into(), json!(chunks));
                return Ok(meta);
            }
            _ => {}
        }
        pos += 12 + chunk_len;
    }
}

fn jpeg(src: &dyn Source, limits: &Limits, deadline: &Deadline) -> Result<Metadata, Rejection> {
    const F: Format = Format::Jpeg;
    let len = src.len();
    let mut pos = 2u64;
    let mut meta = Metadata::new();
    let mut saw_frame = false;
    loop {
        deadline.check()?;
        let m = read_exact(src, F, pos, 2)?;
        if m[0] != 0xff {
            return Err(reject(
                F,
                Reason::Malformed,
                format!("expected a marker at byte {pos}"),
            ));
        }
        let marker = m[1];
        match marker {
            0xff => {
                pos += 1; // fill byte
                continue;
            }
            0xd9 => {
                let end = pos + 2;
                if !saw_frame {
                    return Err(reject(F, Reason::Malformed, "the JPEG has no frame header"));
                }
                if end != len {
                    return Err(trailing(F, end));
                }
                return Ok(meta);
            }
            0xd0..=0xd7 | 0x01 => {
                pos += 2;
                continue;
            }
            _ => {}
        }
        let seg_len = u16::from_be_bytes([
            read_exact(src, F, pos + 2, 2)?[0],
            read_exact(src, F, pos + 3, 1)?[0],
        ]) as u64;
        if seg_len < 2 {
            return Err(reject(F, Reason::Malformed, "a segment length is invalid"));
        }
        if pos + 2 + seg_len > len {
            return Err(truncated(F));
        }
        match marker {
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let sof = read_exact(src, F, pos + 4, 6)?;
                let (h, w) = (
                    u16::from_be_bytes([sof[1], sof[2]]) as u64,
                    u16::from_be_bytes([sof[3], sof[4]]) as u64,
                );
                check_pixels(F, w, h, limits)?;
                saw_frame = true;
                meta.insert("width".into(), json!(w));
                meta.insert("height".into(), json!(h));
                meta.insert("bit_depth".into(), json!(sof[0]));
                meta.insert("components".into(), json!(sof[5]));
                meta.insert("progressive".into(), json!(marker == 0xc2));
            }
            0xe1 => {
                let app1 = src
                    .read_range(pos + 4, (seg_len - 2).min(64 * 1024) as usize)
                    .map_err(Rejection::io)?;
                if let Some(tiff) = app1.strip_prefix(b"Exif\0\0") {
                    if let Some(e) = exif_fields(tiff) {
                        meta.insert("exif".into(), e);
                    }
                }
            }
            _ => {}
        }
        pos += 2 + seg_len;
        if marker == 0xda {
            pos = skip_entropy_coded(src, pos, deadline)?;
        }
    }
}

/// Skips entropy-coded data after SOS: it ends at the first 0xFF followed by
/// a byte other than 0x00 (stuffing) or a restart marker.
fn skip_entropy_coded(
    src: &dyn Source,
    mut pos: u64,
    deadline: &Deadline,
) -> Result<u64, Rejection> {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        deadline.check()?;
        let n = src.read_at(pos, &mut buf).map_err(Rejection::io)?;
        if n < 2 {
            return Err(truncated(Format::Jpeg));
        }
        let window = &buf[..n];
        let mut from = 0;
        while let Some(i) = memchr::memchr(0xff, &window[from..n - 1]) {
            let at = from + i;
            let next = window[at + 1];
            if next != 0x00 && !(0xd0..=0xd7).contains(&next) && next != 0xff {
                return Ok(pos + at as u64);
            }
            from = at + 1;
        }
        pos += (n - 1) as u64;
    }
}

fn gif(src: &dyn Source, limits: &Limits, deadline: &Deadline) -> Result<Metadata, Rejection> {
    const F: Format = Format::Gif;
    let len = src.len();
    let lsd = read_exact(src, F, 6, 7)?;
    let (w, h) = (
        u16::from_le_bytes([lsd[0], lsd[1]]) as u64,
        u16::from_le_bytes([lsd[2], lsd[3]]) as u64,
    );
    check_pixels(F, w, h, limits)?;
    let mut pos = 13u64;
    if lsd[4] & 0x80 != 0 {
        pos += 3 * (1u64 << ((lsd[4] & 7) + 1));
    }
    let mut frames = 0u64;
    loop {
        deadline.check()?;
        let block = read_exact(src, F, pos, 1)?[0];
        match block {
            0x3b => {
                let end = pos + 1;
                if frames == 0 {
                    return Err(reject(F, Reason::Malformed, "the GIF has no image"));
                }
                if end != len {
                    return Err(trailing(F, end));
                }
                let mut meta = Metadata::new();
                meta.insert("width".into(), json!(w));
                meta.insert("height".into(), json!(h));
                meta.insert("bit_depth".into(), json!((lsd[4] & 7) + 1));
                meta.insert("frames".into(), json!(frames));
                return Ok(meta);
            }
            0x21 => pos = skip_sub_blocks(src, pos + 2, deadline)?,
            0x2c => {
                let desc = read_exact(src, F, pos + 1, 9)?;
                let (fw, fh) = (
                    u16::from_le_bytes([desc[4], desc[5]]) as u64,
                    u16::from_le_bytes([desc[6], desc[7]]) as u64,
                );
                check_pixels(F, fw, fh, limits)?;
                pos += 10;
                if desc[8] & 0x80 != 0 {
                    pos += 3 * (1u64 << ((desc[8] & 7) + 1));
                }
                pos = skip_sub_blocks(src, pos + 1, deadline)?; // +1: LZW minimum code size
                frames += 1;
            }
            other => {
                return Err(reject(
                    F,
                    Reason::Malformed,
                    format!("unknown block 0x{other:02x} at byte {pos}"),
                ))
            }
        }
    }
}

fn skip_sub_blocks(src: &dyn Source, mut pos: u64, deadline: &Deadline) -> Result<u64, Rejection> {
    loop {
        deadline.check()?;
        let size = read_exact(src, Format::Gif, pos, 1)?[0] as u64;
        pos += 1;
        if size == 0 {
            return Ok(pos);
        }
        pos += size;
        if pos > src.len() {
            return Err(truncated(Format::Gif));
        }
    }
}

/// One IFD entry: tag, field type, count, and the value-or-offset bytes.
type IfdEntry = (u16, u16, u32, [u8; 4]);

/// Minimal TIFF IFD reader, shared by TIFF files and EXIF blocks.
struct Tiff<'a> {
    data: &'a dyn Source,
    little: bool,
}

impl Tiff<'_> {
    fn u16(&self, b: &[u8]) -> u16 {
        if self.little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        }
    }
    fn u32(&self, b: &[u8]) -> u32 {
        if self.little {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        }
    }

    /// Reads the entries of the IFD at `offset`: (tag, type, count, value-or-offset bytes).
    fn entries(&self, offset: u64) -> Option<(Vec<IfdEntry>, u32)> {
        let count_bytes = self.data.read_range(offset, 2).ok()?;
        if count_bytes.len() < 2 {
            return None;
        }
        let count = self.u16(&count_bytes) as usize;
        let raw = self.data.read_range(offset + 2, count * 12 + 4).ok()?;
        if raw.len() < count * 12 + 4 {
            return None;
        }
        let entries = raw[..count * 12]
            .chunks_exact(12)
            .map(|e| {
                (
                    self.u16(&e[0..2]),
                    self.u16(&e[2..4]),
                    self.u32(&e[4..8]),
                    [e[8], e[9], e[10], e[11]],
                )
            })
            .collect();
        Some((entries, self.u32(&raw[count * 12..])))
    }

    fn scalar(&self, typ: u16, value: [u8; 4]) -> u64 {
        if typ == 3 {
            self.u16(&value) as u64
        } else {
            self.u32(&value) as u64
        }
    }

    fn ascii(&self, count: u32, value: [u8; 4]) -> Option<String> {
        let bytes = if count <= 4 {
            value[..count as usize].to_vec()
        } else {
            self.data
                .read_range(self.u32(&value) as u64, count.min(256) as usize)
                .ok()?
        };
        let s = String::from_utf8_lossy(&bytes)
            .trim_end_matches('\0')
            .trim()
            .to_string();
        (!s.is_empty()).then_some(s)
    }
}

fn tiff_header(data: &dyn Source) -> Option<(Tiff<'_>, u64)> {
    let h = data.read_range(0, 8).ok()?;
    let little = match h.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let t = Tiff { data, little };
    let first = t.u32(h.get(4..8)?) as u64;
    Some((t, first))
}

fn exif_fields(tiff_bytes: &[u8]) -> Option<serde_json::Value> {
    let src: &dyn Source = &tiff_bytes;
    let (t, first) = tiff_header(src)?;
    let (entries, _) = t.entries(first)?;
    let mut out = serde_json::Map::new();
    for (tag, typ, count, value) in entries {
        let name = match tag {
            0x010f => "make",
            0x0110 => "model",
            0x0132 => "datetime",
            0x0131 => "software",
            0x0112 => {
                out.insert("orientation".into(), json!(t.scalar(typ, value)));
                continue;
            }
            _ => continue,
        };
        if typ == 2 {
            if let Some(s) = t.ascii(count, value) {
                out.insert(name.into(), json!(s));
            }
        }
    }
    (!out.is_empty()).then_some(serde_json::Value::Object(out))
}

fn tiff(src: &dyn Source, limits: &Limits, deadline: &Deadline) -> Result<Metadata, Rejection> {
    const F: Format = Format::Tiff;
    let len = src.len();
    let (t, first) = tiff_header(src).ok_or_else(|| truncated(F))?;
    let mut meta = Metadata::new();
    let mut offset = first;
    let mut pages = 0u64;
    let mut seen = std::collections::HashSet::new();
    while offset != 0 {
        deadline.check()?;
        if !seen.insert(offset) || pages >= 1024 {
            return Err(reject(
                F,
                Reason::Malformed,
                "the IFD chain loops or is too long",
            ));
        }
        let (entries, next) = t.entries(offset).ok_or_else(|| truncated(F))?;
        let (mut w, mut h, mut strips, mut counts) = (0u64, 0u64, None, None);
        for &(tag, typ, count, value) in &entries {
            match tag {
                256 => w = t.scalar(typ, value),
                257 => h = t.scalar(typ, value),
                258 if pages == 0 => {
                    let bits = if count <= 2 {
                        t.scalar(3, value)
                    } else {
                        let at = t.u32(&value) as u64;
                        src.read_range(at, 2)
                            .ok()
                            .filter(|b| b.len() == 2)
                            .map(|b| t.u16(&b) as u64)
                            .unwrap_or(0)
                    };
                    meta.insert("bit_depth".into(), json!(bits));
                }
                273 | 324 => strips = Some((typ, count, value)),
                279 | 325 => counts = Some((typ, count, value)),
                _ => {}
            }
        }
        check_pixels(F, w, h, limits)?;
        // Every strip or tile must lie inside the file: a cut file is truncated.
        if let (Some((ot, oc, ov)), Some((ct, cc, cv))) = (strips, counts) {
            if oc != cc || oc == 0 || oc > 1_000_000 {
                return Err(reject(
                    F,
                    Reason::Malformed,
                    "strip offsets and byte counts disagree",
                ));
            }
            let read_array =
                |typ: u16, count: u32, value: [u8; 4]| -> Result<Vec<u64>, Rejection> {
                    let size = if typ == 3 { 2 } else { 4 };
                    if count as u64 * size <= 4 {
                        return Ok((0..count as usize)
                            .map(|i| {
                                t.scalar(typ, {
                                    let mut v = [0u8; 4];
                                    v[..size as usize].copy_from_slice(
                                        &value[i * size as usize..(i + 1) * size as usize],
                                    );
                                    v
                                })
                            })
                            .collect());
                    }
                    let raw =
                        read_exact(src, F, t.u32(&value) as u64, (count as u64 * size) as usize)?;
                    Ok(raw
                        .chunks_exact(size as usize)
                        .map(|c| {
                            if size == 2 {
                                t.u16(c) as u64
                            } else {
                                t.u32(c) as u64
                            }
                        })
                        .collect())
                };
            let offs = read_array(ot, oc, ov)?;
            let lens = read_array(ct, cc, cv)?;
            if offs.iter().zip(&lens).any(|(o, l)| o + l > len) {
                return Err(truncated(F));
            }
        } else {
            return Err(reject(F, Reason::Malformed, "the TIFF has no image data"));
        }
        if pages == 0 {
            meta.insert("width".into(), json!(w));
            meta.insert("height".into(), json!(h));
            let mut exif = serde_json::Map::new();
            for &(tag, typ, count, value) in &entries {
                let name = match tag {
                    0x010f => "make",
                    0x0110 => "model",
                    0x0132 => "datetime",
                    _ => continue,
                };
                if typ == 2 {
                    if let Some(s) = t.ascii(count, value) {
                        exif.insert(name.into(), json!(s));
                    }
                }
            }
            if !exif.is_empty() {
                meta.insert("exif".into(), serde_json::Value::Object(exif));
            }
        }
        pages += 1;
        offset = next as u64;
    }
    meta.insert("pages".into(), json!(pages));
    Ok(meta)
}

fn webp(src: &dyn Source, limits: &Limits, deadline: &Deadline) -> Result<Metadata, Rejection> {
    const F: Format = Format::Webp;
    let len = src.len();
    let head = read_exact(src, F, 0, 30)?;
    let riff_len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64 + 8;
    if riff_len > len {
        return Err(truncated(F));
    }
    if riff_len < len {
        return Err(trailing(F, riff_len));
    }
    let chunk = &head[12..16];
    let (w, h, lossless) = match chunk {
        b"VP8 " => {
            if head[23..26] != [0x9d, 0x01, 0x2a] {
                return Err(reject(F, Reason::Malformed, "bad VP8 frame tag"));
            }
            (
                (u16::from_le_bytes([head[26], head[27]]) & 0x3fff) as u64,
                (u16::from_le_bytes([head[28], head[29]]) & 0x3fff) as u64,
                false,
            )
        }
        b"VP8L" => {
            if head[20] != 0x2f {
                return Err(reject(F, Reason::Malformed, "bad VP8L signature"));
            }
            let b = u32::from_le_bytes([head[21], head[22], head[23], head[24]]);
            (
                (b & 0x3fff) as u64 + 1,
                ((b >> 14) & 0x3fff) as u64 + 1,
                true,
            )
        }
        b"VP8X" => {
            let w = u32::from_le_bytes([head[24], head[25], head[26], 0]) as u64 + 1;
            let h = u32::from_le_bytes([head[27], head[28], head[29], 0]) as u64 + 1;
            (w, h, false)
        }
        _ => return Err(reject(F, Reason::Malformed, "unknown WebP chunk")),
    };
    // Walk the chunk list so a lying chunk size is caught.
    let mut pos = 12u64;
    while pos < len {
        deadline.check()?;
        let c = read_exact(src, F, pos, 8)?;
        let size = u32::from_le_bytes([c[4], c[5], c[6], c[7]]) as u64;
        pos += 8 + size + (size & 1);
        if pos > len {
            return Err(truncated(F));
        }
    }
    check_pixels(F, w, h, limits)?;
    let mut meta = Metadata::new();
    meta.insert("width".into(), json!(w));
    meta.insert("height".into(), json!(h));
    meta.insert("lossless".into(), json!(lossless));
    Ok(meta)
}
