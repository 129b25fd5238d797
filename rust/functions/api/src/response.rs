use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use docproc_core::{DomainError, StoreError};
use serde_json::json;

/// What a 503 asks clients to wait before retrying.
pub const RETRY_AFTER_SECONDS: &str = "1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    BadRequest(String),
    /// A `next_token` this API did not issue for this listing (400).
    InvalidNextToken(String),
    Forbidden(String),
    NotFound(String),
    Conflict(String),
    /// The document is no longer PENDING, so no new upload is issued for it.
    NotPending(String),
    TooLarge(String),
    UnsupportedMediaType(String),
    /// A transient dependency failure; the client should retry.
    Unavailable(String),
    /// A bug or misconfiguration; the detail is logged, never returned.
    Internal(String),
}

impl ApiError {
    pub fn status_and_code(&self) -> (i64, &'static str) {
        match self {
            ApiError::BadRequest(_) => (400, "bad_request"),
            ApiError::InvalidNextToken(_) => (400, "invalid_next_token"),
            ApiError::Forbidden(_) => (403, "forbidden"),
            ApiError::NotFound(_) => (404, "not_found"),
            ApiError::Conflict(_) => (409, "conflict"),
            ApiError::NotPending(_) => (409, "document_not_pending"),
            ApiError::TooLarge(_) => (413, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => (415, "unsupported_media_type"),
            ApiError::Unavailable(_) => (503, "service_unavailable"),
            ApiError::Internal(_) => (500, "internal_error"),
        }
    }

    pub fn too_large_or_bad(e: DomainError) -> ApiError {
        match e {
            DomainError::Invalid {
                field: "size",
                message,
            } if message.contains("exceeds") => ApiError::TooLarge(message),
            other => other.into(),
        }
    }

    pub fn into_response(self) -> ApiGatewayProxyResponse {
        let (status, code) = self.status_and_code();
        let message = match self {
            ApiError::Internal(_) => "an internal error occurred".to_string(),
            ApiError::Unavailable(_) => {
                "a dependency is temporarily unavailable; retry with backoff".to_string()
            }
            ApiError::BadRequest(m)
            | ApiError::InvalidNextToken(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Conflict(m)
            | ApiError::NotPending(m)
            | ApiError::TooLarge(m)
            | ApiError::UnsupportedMediaType(m) => m,
        };
        let mut r = json_response(status, json!({"error": {"code": code, "message": message}}));
        if status == 503 {
            // Retry-After (RFC 9110, section 10.2.3): seconds the client should
            // wait. AWS throttling and 5xx are transient (see docproc_aws::errors).
            r.headers
                .insert("retry-after", HeaderValue::from_static(RETRY_AFTER_SECONDS));
        }
        r
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { .. } => ApiError::BadRequest(e.to_string()),
            DomainError::Conflict(m) => ApiError::Conflict(m),
            DomainError::NotFound(m) => ApiError::NotFound(m),
            DomainError::Forbidden(m) => ApiError::Forbidden(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Transient(m) => ApiError::Unavailable(m),
            StoreError::Conflict(m) | StoreError::Permanent(m) => ApiError::Internal(m),
            e @ StoreError::TooLarge { .. } => ApiError::Internal(e.to_string()),
        }
    }
}

pub fn json_response(status: i64, body: serde_json::Value) -> ApiGatewayProxyResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = status;
    r.headers = headers;
    r.body = Some(Body::Text(body.to_string()));
    r
}

pub fn ok(body: serde_json::Value) -> ApiGatewayProxyResponse {
    json_response(200, body)
}

/// 201 for a new document; a replayed idempotent request gets the original
/// document again, marked so clients can tell.
pub fn created(body: serde_json::Value, replayed: bool) -> ApiGatewayProxyResponse {
    let mut r = json_response(201, body);
    if replayed {
        r.headers
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}
