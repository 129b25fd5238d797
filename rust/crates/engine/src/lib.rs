//! docproc's document-processing engine: detects what a document really is,
//! validates it and extracts metadata, bounded in memory and time on every
//! input. No AWS types: input is a random-access byte source plus what the
//! uploader declared; output is a [`Verdict`].
//!
//! Memory stays flat whatever the document size: parsers walk structures with
//! bounded positional reads, stream through bulk data in fixed-size chunks and
//! cap everything they decompress.

mod budget;
mod detect;
mod format;
mod image;
mod json;
mod pdf;
mod source;
mod text;
mod utf8;
mod verdict;
mod xml;
mod xmlmeta;
mod zip;

pub use budget::Deadline;
pub use format::{Declared, Format};
pub use source::{FileSource, Source};
pub use verdict::{Limits, Metadata, Reason, Rejection, Verdict};

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Inspects a document. Never panics on hostile input and returns within
/// roughly `limits.time_budget`; exceeding it is `REJECTED/too_complex`.
pub fn inspect(src: &dyn Source, declared: &Declared, limits: &Limits) -> Verdict {
    let deadline = Deadline::after(limits.time_budget);
    match inspect_inner(src, declared, limits, &deadline) {
        Ok((format, metadata)) => Verdict::Accepted { format, metadata },
        Err(rejection) => Verdict::Rejected(rejection),
    }
}

fn inspect_inner(
    src: &dyn Source,
    declared: &Declared,
    limits: &Limits,
    deadline: &Deadline,
) -> Result<(Format, Metadata), Rejection> {
    let len = src.len();
    if len == 0 {
        return Err(Rejection::new(Reason::Empty, "the document is empty"));
    }
    if len > limits.max_size {
        return Err(Rejection::new(
            Reason::TooLarge,
            format!(
                "the document is {len} bytes; the limit is {}",
                limits.max_size
            ),
        ));
    }
    let kind = detect::detect(src)?;
    let (format, metadata) = match kind {
        // A second format is the finding that matters most, and it can also
        // break the PDF's own structure (a ZIP comment ending in `startxref`).
        detect::Kind::Pdf => {
            detect::reject_polyglot(src, Format::Pdf)?;
            (Format::Pdf, pdf::inspect(src, limits, deadline)?)
        }
        detect::Kind::Zip => zip::inspect(src, limits, deadline)?,
        detect::Kind::Image(f) => (f, image::inspect(src, f, limits, deadline)?),
        detect::Kind::Text => text::inspect(src, declared, limits, deadline)?,
    };
    detect::reject_polyglot(src, format)?;
    declared.check(format)?;
    Ok((format, metadata))
}

/// A verdict together with the document's size and SHA-256.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub size: u64,
    pub sha256: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// Hashes and inspects a local file. The hash runs on a second thread so
/// inspection costs little more wall time than hashing alone.
pub fn inspect_file(path: &Path, declared: &Declared, limits: &Limits) -> std::io::Result<Report> {
    let src = FileSource::open(path)?;
    let hash_path = path.to_path_buf();
    let hasher = std::thread::spawn(move || sha256_file(&hash_path));
    let verdict = inspect(&src, declared, limits);
    let sha256 = hasher
        .join()
        .map_err(|_| std::io::Error::other("hashing thread panicked"))??;
    Ok(Report {
        size: src.len(),
        sha256,
        verdict,
    })
}

/// SHA-256 of a file, streamed in 1 MiB chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub(crate) mod hex {
    pub fn encode(bytes: impl AsRef<[u8]>) -> String {
        bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A small deterministic generator (xorshift64) for the differential tests'
/// random documents: the same documents on every run, no dependency.
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
