//! Request bodies. Unknown fields are errors, not silently ignored.

use crate::response::ApiError;
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineUpload {
    pub filename: String,
    pub content_type: String,
    pub content_base64: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresignRequest {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Base64 of the file's 16-byte MD5 digest; pinned into the POST policy.
    #[serde(default)]
    pub content_md5: Option<String>,
}

pub fn body(req: &ApiGatewayProxyRequest, max_len: u64) -> Result<String, ApiError> {
    let body = req
        .body
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("a JSON body is required".into()))?;
    if body.len() as u64 > max_len {
        return Err(ApiError::TooLarge(format!(
            "the request body exceeds {max_len} bytes; use POST /documents/uploads for large files"
        )));
    }
    let is_json = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the request as application/json".into(),
        ));
    }
    Ok(body.to_string())
}

pub fn parse_json<T: for<'de> Deserialize<'de>>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid request body: {e}")))
}

pub fn decode_base64(text: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| ApiError::BadRequest("content_base64 is not valid base64".into()))
}

/// Longest declared content type accepted.
pub const MAX_CONTENT_TYPE_LEN: usize = 255;

pub fn check_content_type(ct: &str) -> Result<(), ApiError> {
    // The declared type becomes the stored object's Content-Type header and
    // its `declared-type` metadata (a header too): parameters after `;` are
    // not otherwise checked, so only visible ASCII and spaces are allowed
    // (no CR/LF or other control characters in a field value, RFC 9110
    // section 5.5).
    if ct.len() > MAX_CONTENT_TYPE_LEN || !ct.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(ApiError::BadRequest(format!(
            "content_type must be at most {MAX_CONTENT_TYPE_LEN} characters of printable ASCII"
        )));
    }
    match docproc_engine::Format::from_mime(ct) {
        Some(_) => Ok(()),
        None => Err(ApiError::UnsupportedMediaType(format!(
            "content type {ct:?} is not accepted; supported: {}",
            docproc_engine::Format::ALL
                .iter()
                .map(|f| f.mime())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
