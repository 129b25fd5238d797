//! The response headers a presigned download carries: always an attachment
//! with a sanitised ASCII filename, and the detected type (never the type the
//! uploader declared), so a browser never renders a document inline under a
//! type the client chose.

use docproc_core::document::{Document, DocumentStatus};
use docproc_core::ports::ResponseHeaders;
use docproc_engine::Format;

pub const FALLBACK_CONTENT_TYPE: &str = "application/octet-stream";
const MAX_FILENAME_LEN: usize = 120;

/// Reduces a stored filename to characters that are safe inside a quoted
/// `filename="..."` parameter (RFC 6266): ASCII letters, digits and ` ._-()+,`;
/// everything else (quotes, backslashes, separators, control and non-ASCII
/// characters) becomes `_`. Never empty, never starts with a dot.
pub fn sanitise_filename(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-()+,".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches(['.', ' ']).trim_end_matches(' ');
    let mut out: String = trimmed.chars().take(MAX_FILENAME_LEN).collect();
    if out.trim_matches(['_', '.', ' ']).is_empty() {
        out = "download".to_string();
    }
    out
}

/// The content type a download is served with: the detected format's media
/// type for a processed document; `application/octet-stream` when nothing
/// was detected and for quarantined (rejected) content, which is hostile by
/// definition.
pub fn download_content_type(doc: &Document) -> &'static str {
    if doc.status != DocumentStatus::Processed {
        return FALLBACK_CONTENT_TYPE;
    }
    doc.detected_format
        .as_deref()
        .and_then(|name| Format::ALL.into_iter().find(|f| f.name() == name))
        .map_or(FALLBACK_CONTENT_TYPE, Format::mime)
}

pub fn response_headers(doc: &Document) -> ResponseHeaders {
    ResponseHeaders {
        content_disposition: format!(
            "attachment; filename=\"{}\"",
            sanitise_filename(&doc.filename)
        ),
        content_type: download_content_type(doc).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_reduced_to_a_safe_ascii_subset() {
        assert_eq!(
            sanitise_filename("report 2026 (v2).pdf"),
            "report 2026 (v2).pdf"
        );
        assert_eq!(
            sanitise_filename("a\".pdf\"; filename=evil.html"),
            "a_.pdf__ filename_evil.html"
        );
        assert_eq!(sanitise_filename("..\\..\\x\r\ny.pdf"), "_.._x__y.pdf");
        assert_eq!(sanitise_filename("résumé.pdf"), "r_sum_.pdf");
        assert_eq!(sanitise_filename(".htaccess"), "htaccess");
        assert_eq!(sanitise_filename("\u{202e}"), "download");
        assert_eq!(sanitise_filename("..."), "download");
        assert_eq!(sanitise_filename(&"a".repeat(300)).len(), MAX_FILENAME_LEN);
    }
}
