use crate::verdict::{Reason, Rejection};
use serde::Serialize;

/// Every format docproc accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Odt,
    Ods,
    Odp,
    Png,
    Jpeg,
    Gif,
    Tiff,
    Webp,
    Text,
    Csv,
    Json,
    /// JSON Lines: one JSON value per line (jsonlines.org, also NDJSON).
    #[serde(rename = "jsonl")]
    JsonLines,
    Xml,
}

impl Format {
    pub const ALL: [Format; 17] = [
        Format::Pdf,
        Format::Docx,
        Format::Xlsx,
        Format::Pptx,
        Format::Odt,
        Format::Ods,
        Format::Odp,
        Format::Png,
        Format::Jpeg,
        Format::Gif,
        Format::Tiff,
        Format::Webp,
        Format::Text,
        Format::Csv,
        Format::Json,
        Format::JsonLines,
        Format::Xml,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Xlsx => "xlsx",
            Format::Pptx => "pptx",
            Format::Odt => "odt",
            Format::Ods => "ods",
            Format::Odp => "odp",
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Gif => "gif",
            Format::Tiff => "tiff",
            Format::Webp => "webp",
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Xml => "xml",
        }
    }

    /// The canonical media type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Odt => "application/vnd.oasis.opendocument.text",
            Format::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Format::Odp => "application/vnd.oasis.opendocument.presentation",
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Gif => "image/gif",
            Format::Tiff => "image/tiff",
            Format::Webp => "image/webp",
            Format::Text => "text/plain",
            Format::Csv => "text/csv",
            Format::Json => "application/json",
            Format::JsonLines => "application/jsonl",
            Format::Xml => "application/xml",
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Pdf => &["pdf"],
            Format::Docx => &["docx"],
            Format::Xlsx => &["xlsx"],
            Format::Pptx => &["pptx"],
            Format::Odt => &["odt"],
            Format::Ods => &["ods"],
            Format::Odp => &["odp"],
            Format::Png => &["png"],
            Format::Jpeg => &["jpg", "jpeg"],
            Format::Gif => &["gif"],
            Format::Tiff => &["tif", "tiff"],
            Format::Webp => &["webp"],
            Format::Text => &["txt", "text", "log", "md"],
            Format::Csv => &["csv"],
            Format::Json => &["json"],
            Format::JsonLines => &["jsonl", "ndjson"],
            Format::Xml => &["xml"],
        }
    }

    /// Parses a declared media type (parameters such as `; charset=` ignored).
    pub fn from_mime(mime: &str) -> Option<Format> {
        let base = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "text/xml" => return Some(Format::Xml),
            // The NDJSON name, and the `x-` form still in wide use.
            "application/x-ndjson" | "application/x-jsonlines" => return Some(Format::JsonLines),
            _ => {}
        }
        Format::ALL.into_iter().find(|f| f.mime() == base)
    }

    pub fn from_extension(filename: &str) -> Option<Format> {
        let (_, ext) = filename.rsplit_once('.')?;
        let ext = ext.to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.extensions().contains(&ext.as_str()))
    }

    /// Plain text is a superset of CSV: a CSV file declared as text is fine.
    fn satisfies(self, declared: Format) -> bool {
        self == declared || (declared == Format::Text && self == Format::Csv)
    }
}

/// What the uploader claimed. Either part may be unknown (local inspection).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

impl Declared {
    pub fn new(filename: impl Into<String>, content_type: impl Into<String>) -> Self {
        Declared {
            filename: Some(filename.into()),
            content_type: Some(content_type.into()),
        }
    }

    pub(crate) fn declared_format(&self) -> Option<Format> {
        self.content_type.as_deref().and_then(Format::from_mime)
    }

    /// Rejects a document whose declared type or extension disagrees with
    /// what it really is.
    pub(crate) fn check(&self, detected: Format) -> Result<(), Rejection> {
        let mismatch = |what: String| {
            Err(Rejection::new(
                Reason::TypeMismatch,
                format!("{what}, but the content is {}", detected.name()),
            )
            .detected(detected.name()))
        };
        if let Some(ct) = &self.content_type {
            match Format::from_mime(ct) {
                Some(f) if detected.satisfies(f) => {}
                _ => return mismatch(format!("declared content type is {ct:?}")),
            }
        }
        if let Some(name) = &self.filename {
            if let Some(f) = Format::from_extension(name) {
                if !detected.satisfies(f) {
                    return mismatch(format!("file extension says {}", f.name()));
                }
            } else if name.contains('.') && self.content_type.is_some() {
                return mismatch(format!(
                    "file name {name:?} has an extension docproc does not accept"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_and_extension_lookups() {
        assert_eq!(
            Format::from_mime("application/pdf; charset=binary"),
            Some(Format::Pdf)
        );
        assert_eq!(Format::from_mime("TEXT/XML"), Some(Format::Xml));
        assert_eq!(
            Format::from_mime("application/x-ndjson"),
            Some(Format::JsonLines)
        );
        assert_eq!(
            Format::from_extension("events.ndjson"),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_mime("application/x-msdownload"), None);
        assert_eq!(Format::from_extension("a.JPEG"), Some(Format::Jpeg));
        assert_eq!(Format::from_extension("noext"), None);
    }

    #[test]
    fn declared_checks() {
        assert!(Declared::new("a.pdf", "application/pdf")
            .check(Format::Pdf)
            .is_ok());
        assert!(Declared::new("a.txt", "text/plain")
            .check(Format::Csv)
            .is_ok());
        assert_eq!(
            Declared::new("a.pdf", "image/png")
                .check(Format::Pdf)
                .unwrap_err()
                .reason,
            Reason::TypeMismatch
        );
        assert_eq!(
            Declared::new("a.png", "application/pdf")
                .check(Format::Pdf)
                .unwrap_err()
                .reason,
            Reason::TypeMismatch
        );
        assert_eq!(
            Declared::new("a.exe", "application/pdf")
                .check(Format::Pdf)
                .unwrap_err()
                .reason,
            Reason::TypeMismatch
        );
        assert!(Declared::default().check(Format::Gif).is_ok());
    }
}
