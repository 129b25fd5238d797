use serde::Serialize;
use std::time::Duration;

pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// Why a document was rejected. Each validation rule has its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Empty,
    TooLarge,
    Unsupported,
    TypeMismatch,
    LeadingData,
    TrailingData,
    Polyglot,
    Truncated,
    Malformed,
    Encrypted,
    TooComplex,
    ZipTooManyEntries,
    ZipTooLarge,
    ZipCompressionRatio,
    ZipOverlappingEntries,
    ZipUnsafePath,
    ZipSizeMismatch,
    PdfPageCountMismatch,
    PdfStreamTooLarge,
    XmlDoctype,
    PixelLimit,
    /// Scripts, event handlers, script URLs or macros: content that runs.
    ActiveContent,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::TooLarge => "too_large",
            Reason::Unsupported => "unsupported",
            Reason::TypeMismatch => "type_mismatch",
            Reason::LeadingData => "leading_data",
            Reason::TrailingData => "trailing_data",
            Reason::Polyglot => "polyglot",
            Reason::Truncated => "truncated",
            Reason::Malformed => "malformed",
            Reason::Encrypted => "encrypted",
            Reason::TooComplex => "too_complex",
            Reason::ZipTooManyEntries => "zip_too_many_entries",
            Reason::ZipTooLarge => "zip_too_large",
            Reason::ZipCompressionRatio => "zip_compression_ratio",
            Reason::ZipOverlappingEntries => "zip_overlapping_entries",
            Reason::ZipUnsafePath => "zip_unsafe_path",
            Reason::ZipSizeMismatch => "zip_size_mismatch",
            Reason::PdfPageCountMismatch => "pdf_page_count_mismatch",
            Reason::PdfStreamTooLarge => "pdf_stream_too_large",
            Reason::XmlDoctype => "xml_doctype",
            Reason::PixelLimit => "pixel_limit",
            Reason::ActiveContent => "active_content",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub reason: Reason,
    pub message: String,
    /// What the engine believes the document is, when it got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected: Option<String>,
}

impl Rejection {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Rejection {
            reason,
            message: message.into(),
            detected: None,
        }
    }

    pub fn detected(mut self, what: impl Into<String>) -> Self {
        self.detected = Some(what.into());
        self
    }

    pub(crate) fn io(e: std::io::Error) -> Self {
        Rejection::new(
            Reason::Malformed,
            format!("the document could not be read: {e}"),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Accepted {
        format: crate::Format,
        metadata: Metadata,
    },
    Rejected(Rejection),
}

impl Verdict {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted { .. })
    }

    pub fn reason(&self) -> Option<Reason> {
        match self {
            Verdict::Rejected(r) => Some(r.reason),
            Verdict::Accepted { .. } => None,
        }
    }
}

/// Every bound the engine enforces. Defaults suit a Lambda with 1-2 GiB of
/// memory and a few GiB of ephemeral storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_size: u64,
    pub time_budget: Duration,
    pub zip_max_entries: u64,
    pub zip_max_total_uncompressed: u64,
    pub zip_max_ratio: u64,
    pub pdf_max_objects: u64,
    pub pdf_max_stream_bytes: u64,
    pub pdf_max_depth: u32,
    pub image_max_pixels: u64,
    pub text_max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 5 << 30,
            time_budget: Duration::from_secs(60),
            zip_max_entries: 10_000,
            zip_max_total_uncompressed: 2 << 30,
            zip_max_ratio: 200,
            pdf_max_objects: 1_000_000,
            pdf_max_stream_bytes: 64 << 20,
            pdf_max_depth: 64,
            image_max_pixels: 100_000_000,
            text_max_depth: 128,
        }
    }
}
