//! The documents `docproc load` sends, each with the verdict the platform
//! must reach. The default mix is built into the binary: documents of the
//! engine's corpus (their verdicts come from the corpus manifest, the same
//! file the engine's own tests hold it to) plus larger generated ones.
//! `--mix FILE` reads a manifest of the same form.

use crate::measure::Expected;
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// A mix that cannot be read: a manifest that is not one, or a file it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MixError(pub String);

/// One kind of document in the mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixture {
    /// Names the fixture in the report (`report.docx`, `text-256k`, …).
    pub name: String,
    /// The file name and media type the upload declares.
    pub filename: String,
    pub content_type: String,
    pub bytes: Arc<Vec<u8>>,
    pub expected: Expected,
    /// How often it comes up relative to the others.
    pub weight: u32,
}

/// One manifest entry: the engine corpus's `manifest.json` form, plus an
/// optional `weight`.
#[derive(Deserialize)]
struct Entry {
    file: String,
    filename: String,
    declared_type: String,
    verdict: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    weight: Option<u32>,
}

fn expected_of(e: &Entry) -> Result<Expected, MixError> {
    match (e.verdict.as_str(), &e.reason) {
        ("ACCEPTED", None) => Ok(Expected::Accept),
        ("REJECTED", Some(reason)) => Ok(Expected::Reject {
            reason: reason.clone(),
        }),
        _ => Err(MixError(format!(
            "mix entry {}: verdict must be ACCEPTED (no reason) or REJECTED with a reason",
            e.file
        ))),
    }
}

fn parse_manifest(text: &str, origin: &str) -> Result<Vec<Entry>, MixError> {
    serde_json::from_str(text).map_err(|e| {
        MixError(format!(
            "{origin}: not a mix manifest ({e}); expected a JSON list of \
             {{file, filename, declared_type, verdict, reason?, weight?}}"
        ))
    })
}

/// The built-in corpus documents; their verdicts are looked up in the manifest.
macro_rules! corpus {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/engine/tests/corpus/", $file)) as &[u8])),*]
    };
}
const CORPUS_MANIFEST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/engine/tests/corpus/manifest.json"
));
const CORPUS: &[(&str, &[u8])] = corpus![
    // Benign: the formats customers send.
    "one-page.pdf",
    "three-pages.pdf",
    "object-stream.pdf",
    "report.docx",
    "budget.xlsx",
    "deck.pptx",
    "letter.odt",
    "ledger.ods",
    "chart.png",
    "photo.jpg",
    "scan.tiff",
    "anim.gif",
    "lossy.webp",
    "notes.txt",
    "utf16.txt",
    "people.csv",
    "config.json",
    "feed.xml",
    // Hostile or broken: one of each family the engine rejects.
    "zip-bomb.docx",
    "zip-slip.docx",
    "pdf-encrypted.pdf",
    "pdf-zip-polyglot.pdf",
    "pdf-stream-bomb.pdf",
    "png-pixel-bomb.png",
    "billion-laughs.xml",
    "docx-vba.docx",
    "broken.json",
    "renamed-exe.pdf",
    "docx-declared-pdf.pdf",
    "jpeg-truncated.jpg",
    "ragged.csv",
];

/// Benign documents come up this many times as often as hostile ones (about
/// a fifth of the default mix is hostile).
const BENIGN_WEIGHT: u32 = 3;

/// The default mix: the corpus documents above and generated text and CSV
/// of 256 KiB, 1 MiB and 8 MiB (the last one only fits a presigned upload).
pub fn default_mix() -> Result<Vec<Fixture>, MixError> {
    let manifest = parse_manifest(CORPUS_MANIFEST, "corpus manifest")?;
    let mut mix = Vec::new();
    for (file, bytes) in CORPUS {
        let entry = manifest
            .iter()
            .find(|e| e.file == *file)
            .ok_or_else(|| MixError(format!("{file} is not in the engine corpus manifest")))?;
        let expected = expected_of(entry)?;
        mix.push(Fixture {
            name: entry.file.clone(),
            filename: entry.filename.clone(),
            content_type: entry.declared_type.clone(),
            bytes: Arc::new(bytes.to_vec()),
            weight: if expected == Expected::Accept {
                BENIGN_WEIGHT
            } else {
                1
            },
            expected,
        });
    }
    for (name, filename, content_type, size) in [
        ("text-256k", "minutes.txt", "text/plain", 256 << 10),
        ("csv-1m", "ledger.csv", "text/csv", 1 << 20),
        ("csv-8m", "export.csv", "text/csv", 8 << 20),
    ] {
        let bytes = if content_type == "text/csv" {
            csv_of_size(size)
        } else {
            text_of_size(size)
        };
        mix.push(Fixture {
            name: name.into(),
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: Arc::new(bytes),
            expected: Expected::Accept,
            weight: 1,
        });
    }
    Ok(mix)
}

/// Reads a manifest and the files it names (relative to its directory).
pub fn mix_from_manifest(path: &Path) -> Result<Vec<Fixture>, MixError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| MixError(format!("cannot read mix {origin}: {e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut mix = Vec::new();
    for entry in parse_manifest(&text, &origin)? {
        let file = dir.join(&entry.file);
        let bytes = std::fs::read(&file)
            .map_err(|e| MixError(format!("mix {origin}: cannot read {}: {e}", file.display())))?;
        mix.push(Fixture {
            expected: expected_of(&entry)?,
            name: entry.file,
            filename: entry.filename,
            content_type: entry.declared_type,
            bytes: Arc::new(bytes),
            weight: entry.weight.unwrap_or(1),
        });
    }
    if mix.iter().all(|f| f.weight == 0) {
        return Err(MixError(format!(
            "mix {origin}: no document has a weight above 0"
        )));
    }
    Ok(mix)
}

/// Fixes the order of a round of the mix: every run sends the same documents.
const MIX_ORDER_SEED: u64 = 0x0064_6f63_7072_6f63;

/// The fixture document `i` of a run uses. A round of the mix holds every
/// fixture `weight` times: first each fixture once, in a fixed shuffled
/// order, then the extra copies, so any run of at least as many documents as
/// there are fixtures sends every one of them; runs repeat round after round.
pub fn pick(mix: &[Fixture], i: usize) -> &Fixture {
    let mut round: Vec<usize> = super::faults::shuffled(mix.len(), MIX_ORDER_SEED);
    for (f, fixture) in mix.iter().enumerate() {
        round.extend(std::iter::repeat_n(
            f,
            (fixture.weight as usize).saturating_sub(1),
        ));
    }
    round.retain(|&f| mix[f].weight > 0);
    match round.len() {
        0 => &mix[0],
        n => &mix[round[i % n]],
    }
}

/// Prose lines (ASCII) up to exactly `size` bytes.
fn text_of_size(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    let mut n = 0u64;
    while out.len() < size {
        n += 1;
        out.extend_from_slice(
            format!("Item {n}: the committee reviewed the quarterly figures and agreed.\n")
                .as_bytes(),
        );
    }
    out.truncate(size);
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
    out
}

/// A ledger with a header and five columns, whole rows only, about `size` bytes.
fn csv_of_size(size: usize) -> Vec<u8> {
    let mut out = b"id,date,account,amount,memo\n".to_vec();
    let mut n = 0u64;
    loop {
        n += 1;
        let row = format!(
            "{n},2026-{:02}-{:02},ACC-{:05},{}.{:02},\"payment, ref {n}\"\n",
            n % 12 + 1,
            n % 28 + 1,
            n % 99_991,
            n % 10_000,
            n % 100
        );
        if out.len() + row.len() > size {
            return out;
        }
        out.extend_from_slice(row.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use docproc_engine::{inspect, Declared, Limits};

    /// Every default fixture gets the verdict it claims from the engine the
    /// processor runs, and declares a type the API accepts (it answers 415
    /// to others before any upload): the mix cannot expect what the platform
    /// will not do.
    #[test]
    fn the_engine_agrees_with_every_expected_verdict() {
        for f in default_mix().unwrap() {
            assert!(
                docproc_engine::Format::from_mime(&f.content_type).is_some(),
                "{}: the API refuses {}",
                f.name,
                f.content_type
            );
            let declared = Declared {
                filename: Some(f.filename.clone()),
                content_type: Some(f.content_type.clone()),
            };
            let verdict = inspect(f.bytes.as_ref(), &declared, &Limits::default());
            let got = match verdict.reason() {
                None => Expected::Accept,
                Some(reason) => Expected::Reject {
                    reason: reason.as_str().to_string(),
                },
            };
            assert_eq!(got, f.expected, "{}", f.name);
        }
    }

    #[test]
    fn the_default_mix_is_mostly_benign_with_every_size() {
        let mix = default_mix().unwrap();
        let picks: Vec<&Fixture> = (0..1000).map(|i| pick(&mix, i)).collect();
        let hostile = picks
            .iter()
            .filter(|f| f.expected != Expected::Accept)
            .count();
        assert!((150..=250).contains(&hostile), "{hostile} of 1000 hostile");
        assert!(
            picks.iter().any(|f| f.bytes.len() > 4 << 20),
            "no document above the inline limit"
        );
        let sizes = [256 << 10, 1 << 20, 8 << 20];
        for (size, name) in sizes.iter().zip(["text-256k", "csv-1m", "csv-8m"]) {
            let f = mix.iter().find(|f| f.name == name).unwrap();
            assert!(
                f.bytes.len() <= *size && f.bytes.len() > size - 200,
                "{name}"
            );
        }
    }

    #[test]
    fn manifests_are_read_relative_to_their_folder_and_bad_ones_explained() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "hello\n").unwrap();
        let manifest = dir.path().join("mix.json");
        std::fs::write(
            &manifest,
            r#"[{"file":"a.txt","filename":"a.txt","declared_type":"text/plain","verdict":"ACCEPTED","weight":2}]"#,
        )
        .unwrap();
        let mix = mix_from_manifest(&manifest).unwrap();
        assert_eq!(
            (mix.len(), mix[0].weight, mix[0].bytes.as_slice()),
            (1, 2, &b"hello\n"[..])
        );

        std::fs::write(&manifest, r#"[{"file":"a.txt","filename":"a","declared_type":"text/plain","verdict":"REJECTED"}]"#).unwrap();
        let err = mix_from_manifest(&manifest).unwrap_err().to_string();
        assert!(err.contains("REJECTED with a reason"), "{err}");
        std::fs::write(&manifest, "{}").unwrap();
        let err = mix_from_manifest(&manifest).unwrap_err().to_string();
        assert!(err.contains("not a mix manifest"), "{err}");
    }
}
