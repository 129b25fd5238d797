//! AWS SDK errors mapped to the ports' error kinds. The decision is a pure
//! function of the error code and HTTP status AWS returned, so it is tested
//! without the network; `classify` feeds it from an SDK error.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use docproc_core::StoreError;

/// What a failed call means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A condition expression failed: another writer won.
    Conflict,
    /// The same request may succeed later: retry (with backoff).
    Retryable,
    /// Retrying the same request cannot help.
    Permanent,
}

/// DynamoDB conditional writes that lost. A transaction's cancellation is
/// classified by its reasons (`transaction_cancellation`), not by its code.
const CONFLICT_CODES: &[&str] = &["ConditionalCheckFailedException"];

/// Cancellation reasons that a later attempt of the same transaction can
/// pass: "ThrottlingError", "ProvisionedThroughputExceeded" and
/// "TransactionConflict" (another transaction on an item), as listed for
/// `TransactionCanceledException` in
/// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html.
const RETRYABLE_CANCELLATIONS: &[&str] = &[
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "TransactionConflict",
];

/// What a cancelled transaction means, from its per-item reason codes
/// ("None" for items that were fine). A failed condition is a conflict
/// (another writer got there first) whatever else failed with it;
/// throttling and transaction conflicts are retryable, with backoff;
/// anything else (validation, item size) is permanent. Without reasons
/// (older answers listed them for Java only) it is treated as a conflict:
/// the caller re-reads and tries again, a bounded number of times.
pub fn transaction_cancellation<'a>(reasons: impl IntoIterator<Item = &'a str>) -> ErrorKind {
    let reasons: Vec<&str> = reasons.into_iter().collect();
    if reasons.is_empty() || reasons.contains(&"ConditionalCheckFailed") {
        ErrorKind::Conflict
    } else if reasons.iter().any(|r| RETRYABLE_CANCELLATIONS.contains(r)) {
        ErrorKind::Retryable
    } else {
        ErrorKind::Permanent
    }
}

/// Maps a failed TransactWriteItems call: a cancellation by its reasons,
/// anything else as `classify` does.
pub fn classify_transaction(
    err: SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        HttpResponse,
    >,
) -> StoreError {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
        err.as_service_error()
    {
        let codes: Vec<String> = cancelled
            .cancellation_reasons()
            .iter()
            .map(|r| r.code().unwrap_or("None").to_string())
            .collect();
        let kind = transaction_cancellation(codes.iter().map(String::as_str));
        return store_error(
            kind,
            format!(
                "TransactionCanceledException: reasons [{}]",
                codes.join(", ")
            ),
        );
    }
    classify(err)
}

/// Error codes AWS documents as retryable.
const RETRYABLE_CODES: &[&str] = &[
    // S3: "If Amazon S3 returns an InternalError response, retry the request";
    // SlowDown (503) asks to reduce the request rate and retry; both and
    // ServiceUnavailable (503) are listed in
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html and
    // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
    "InternalError",
    "SlowDown",
    "ServiceUnavailable",
    // DynamoDB errors whose "OK to retry?" is "Yes" in
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
    "ItemCollectionSizeLimitExceededException",
    "LimitExceededException",
    "ProvisionedThroughputExceeded",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "UnrecognizedClientException",
    "InternalServerError",
    // SNS Publish: InternalError (500) and KMSThrottling
    // (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); Throttled
    // and the common Throttling/InternalFailure errors
    // (https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html).
    "KMSThrottling",
    "Throttled",
    "Throttling",
    "InternalFailure",
];

/// Classifies a failed call from the error code and HTTP status AWS returned.
/// Codes decide first (they are the precise signal: "use the Amazon S3 error
/// code instead of the HTTP status code", ErrorBestPractices.html); without a
/// known code, HTTP 429 and 5xx other than 501 (S3 `NotImplemented`) are
/// retryable: "An HTTP 5xx status code indicates a problem that must be
/// resolved by AWS. This might be a transient error, in which case you can
/// retry your request" (DynamoDB Programming.Errors.html).
pub fn kind_of(code: Option<&str>, http_status: Option<u16>) -> ErrorKind {
    if let Some(code) = code {
        if CONFLICT_CODES.contains(&code) {
            return ErrorKind::Conflict;
        }
        if RETRYABLE_CODES.contains(&code) || code.contains("Throttl") {
            return ErrorKind::Retryable;
        }
    }
    match http_status {
        Some(429) => ErrorKind::Retryable,
        Some(501) => ErrorKind::Permanent,
        Some(s) if (500..600).contains(&s) => ErrorKind::Retryable,
        _ => ErrorKind::Permanent,
    }
}

fn store_error(kind: ErrorKind, message: String) -> StoreError {
    match kind {
        ErrorKind::Conflict => StoreError::Conflict(message),
        ErrorKind::Retryable => StoreError::Transient(message),
        ErrorKind::Permanent => StoreError::Permanent(message),
    }
}

/// Maps an SDK error to the port's error kinds. Timeouts, dispatch (network)
/// failures and unreadable responses are retryable; a service error is
/// classified by `kind_of`; a request that could not be built is permanent.
pub fn classify<E: ProvideErrorMetadata>(err: SdkError<E, HttpResponse>) -> StoreError {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let message = match (err.code(), status) {
        (Some(code), _) => format!("{code}: {}", err.message().unwrap_or("")),
        (None, Some(status)) => format!("HTTP {status}: {err}"),
        (None, None) => format!("{err}"),
    };
    let kind = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorKind::Retryable
        }
        SdkError::ServiceError(_) => kind_of(err.code(), status),
        _ => ErrorKind::Permanent,
    };
    store_error(kind, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TransactWriteItems' documented cancellation reasons: only a failed
    /// condition is a lost race; throttling is retried, not re-raced.
    #[test]
    fn a_cancelled_transaction_is_a_conflict_only_when_a_condition_failed() {
        use ErrorKind::*;
        for (reasons, kind) in [
            (vec!["None", "ConditionalCheckFailed", "None"], Conflict),
            (vec!["ThrottlingError", "ConditionalCheckFailed"], Conflict),
            (vec!["None", "ThrottlingError"], Retryable),
            (vec!["ProvisionedThroughputExceeded"], Retryable),
            (vec!["TransactionConflict", "None"], Retryable),
            (vec!["ValidationError"], Permanent),
            (vec!["ItemCollectionSizeLimitExceeded"], Permanent),
            (vec![], Conflict),
        ] {
            assert_eq!(
                transaction_cancellation(reasons.clone()),
                kind,
                "{reasons:?}"
            );
        }
    }

    #[test]
    fn a_cancellation_is_classified_by_its_reasons_not_its_code() {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
        use aws_sdk_dynamodb::types::error::TransactionCanceledException;
        use aws_sdk_dynamodb::types::CancellationReason;
        let cancelled = |code: &str| {
            let e = TransactionCanceledException::builder()
                .message("Transaction cancelled")
                .cancellation_reasons(CancellationReason::builder().code("None").build())
                .cancellation_reasons(CancellationReason::builder().code(code).build())
                .build();
            SdkError::service_error(
                TransactWriteItemsError::TransactionCanceledException(e),
                response(400),
            )
        };
        assert!(matches!(
            classify_transaction(cancelled("ThrottlingError")),
            StoreError::Transient(_)
        ));
        assert!(matches!(
            classify_transaction(cancelled("ConditionalCheckFailed")),
            StoreError::Conflict(_)
        ));
    }
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_s3::primitives::SdkBody;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().unwrap(), SdkBody::empty())
    }

    fn meta(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder()
            .code(code)
            .message("from the service")
            .build()
    }

    #[test]
    fn s3_throttling_and_server_errors_are_retryable() {
        use aws_sdk_s3::operation::get_object::GetObjectError;
        for (code, status) in [
            ("SlowDown", 503),
            ("InternalError", 500),
            ("ServiceUnavailable", 503),
        ] {
            let err =
                SdkError::service_error(GetObjectError::generic(meta(code)), response(status));
            assert!(
                matches!(classify(err), StoreError::Transient(m) if m.starts_with(code)),
                "{code}"
            );
        }
    }

    #[test]
    fn dynamodb_retryable_errors_follow_the_documented_table() {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        for code in [
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "RequestLimitExceeded",
            "InternalServerError",
            "ServiceUnavailable",
            "LimitExceededException",
        ] {
            let status = match code {
                "InternalServerError" => 500,
                "ServiceUnavailable" => 503,
                _ => 400,
            };
            let err =
                SdkError::service_error(UpdateItemError::generic(meta(code)), response(status));
            assert!(matches!(classify(err), StoreError::Transient(_)), "{code}");
        }
        // "OK to retry? No".
        for code in [
            "AccessDeniedException",
            "ValidationException",
            "ResourceNotFoundException",
        ] {
            let err = SdkError::service_error(UpdateItemError::generic(meta(code)), response(400));
            assert!(matches!(classify(err), StoreError::Permanent(_)), "{code}");
        }
        let err = SdkError::service_error(
            UpdateItemError::generic(meta("ConditionalCheckFailedException")),
            response(400),
        );
        assert!(matches!(classify(err), StoreError::Conflict(_)));
    }

    #[test]
    fn sns_throttling_and_internal_errors_are_retryable() {
        use aws_sdk_sns::operation::publish::PublishError;
        for (code, status) in [
            ("Throttled", 429),
            ("Throttling", 400),
            ("KMSThrottling", 400),
            ("InternalError", 500),
        ] {
            let err = SdkError::service_error(PublishError::generic(meta(code)), response(status));
            assert!(matches!(classify(err), StoreError::Transient(_)), "{code}");
        }
        for code in ["AuthorizationError", "InvalidParameter", "NotFound"] {
            let err = SdkError::service_error(PublishError::generic(meta(code)), response(400));
            assert!(matches!(classify(err), StoreError::Permanent(_)), "{code}");
        }
    }

    #[test]
    fn server_errors_without_a_known_code_go_by_status() {
        use aws_sdk_s3::operation::put_object::PutObjectError;
        for status in [500, 502, 503, 504, 429] {
            let err = SdkError::service_error(
                PutObjectError::generic(ErrorMetadata::builder().build()),
                response(status),
            );
            assert!(
                matches!(classify(err), StoreError::Transient(_)),
                "HTTP {status}"
            );
        }
        for status in [400, 403, 404, 501] {
            let err = SdkError::service_error(
                PutObjectError::generic(ErrorMetadata::builder().build()),
                response(status),
            );
            assert!(
                matches!(classify(err), StoreError::Permanent(_)),
                "HTTP {status}"
            );
        }
    }

    #[test]
    fn codes_decide_before_statuses() {
        assert_eq!(
            kind_of(Some("AccessDenied"), Some(403)),
            ErrorKind::Permanent
        );
        assert_eq!(
            kind_of(Some("NotImplemented"), Some(501)),
            ErrorKind::Permanent
        );
        assert_eq!(kind_of(Some("SlowDown"), Some(503)), ErrorKind::Retryable);
        assert_eq!(
            kind_of(Some("SomeFutureThrottlingError"), None),
            ErrorKind::Retryable
        );
        assert_eq!(kind_of(None, None), ErrorKind::Permanent);
    }
}
