use crate::response::ApiError;
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use docproc_core::access::AccessLevel;

/// Who is calling, from the authorizer's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub client_id: String,
    pub level: AccessLevel,
    pub key_id: String,
}

impl Caller {
    /// Requests without a complete authorizer context are refused: the
    /// handler never trusts that API Gateway was configured correctly.
    pub fn from_request(req: &ApiGatewayProxyRequest) -> Result<Caller, ApiError> {
        let fields = &req.request_context.authorizer.fields;
        let get = |k: &str| {
            fields
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let refuse = || ApiError::Forbidden("the request carries no valid authorization".into());
        let client_id = get("client_id").ok_or_else(refuse)?;
        docproc_core::keys::validate_client_id(client_id).map_err(|_| refuse())?;
        let level = get("level")
            .and_then(|l| l.parse().ok())
            .ok_or_else(refuse)?;
        Ok(Caller {
            client_id: client_id.to_string(),
            level,
            key_id: get("key_id").unwrap_or("-").to_string(),
        })
    }
}
