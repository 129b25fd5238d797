//! Access levels, the API's routes, and the IAM policy the authorizer returns.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLevel {
    ReadOnly,
    ReadWrite,
    Admin,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 3] = [
        AccessLevel::ReadOnly,
        AccessLevel::ReadWrite,
        AccessLevel::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::ReadOnly => "read-only",
            AccessLevel::ReadWrite => "read-write",
            AccessLevel::Admin => "admin",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read-only" => Ok(AccessLevel::ReadOnly),
            "read-write" => Ok(AccessLevel::ReadWrite),
            "admin" => Ok(AccessLevel::Admin),
            other => Err(format!(
                "unknown access level {other:?} (expected read-only, read-write or admin)"
            )),
        }
    }
}

/// Every route the REST API exposes. The API handler and the authorizer share
/// this table so the policy and the in-handler check cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    ListDocuments,
    CreateDocument,
    CreateUpload,
    GetDocument,
    GetContent,
    GetAudit,
    DeleteDocument,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::ListDocuments,
        Route::CreateDocument,
        Route::CreateUpload,
        Route::GetDocument,
        Route::GetContent,
        Route::GetAudit,
        Route::DeleteDocument,
    ];

    pub fn method(self) -> &'static str {
        match self {
            Route::ListDocuments | Route::GetDocument | Route::GetContent | Route::GetAudit => {
                "GET"
            }
            Route::CreateDocument | Route::CreateUpload => "POST",
            Route::DeleteDocument => "DELETE",
        }
    }

    /// The API Gateway resource path template.
    pub fn resource(self) -> &'static str {
        match self {
            Route::ListDocuments | Route::CreateDocument => "/documents",
            Route::CreateUpload => "/documents/uploads",
            Route::GetDocument | Route::DeleteDocument => "/documents/{id}",
            Route::GetContent => "/documents/{id}/content",
            Route::GetAudit => "/documents/{id}/audit",
        }
    }

    /// The lowest level allowed to call the route.
    pub fn minimum_level(self) -> AccessLevel {
        match self.method() {
            "GET" => AccessLevel::ReadOnly,
            "POST" => AccessLevel::ReadWrite,
            _ => AccessLevel::Admin,
        }
    }

    pub fn allows(self, level: AccessLevel) -> bool {
        level >= self.minimum_level()
    }

    /// Matches a request method and concrete path (`/documents/abc/audit`).
    pub fn resolve(method: &str, path: &str) -> Option<(Route, Option<String>)> {
        let trimmed = path.trim_end_matches('/');
        let segments: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
        let route = match (method, segments.as_slice()) {
            ("GET", ["documents"]) => (Route::ListDocuments, None),
            ("POST", ["documents"]) => (Route::CreateDocument, None),
            ("POST", ["documents", "uploads"]) => (Route::CreateUpload, None),
            ("GET", ["documents", id]) => (Route::GetDocument, Some(id.to_string())),
            ("DELETE", ["documents", id]) => (Route::DeleteDocument, Some(id.to_string())),
            ("GET", ["documents", id, "content"]) => (Route::GetContent, Some(id.to_string())),
            ("GET", ["documents", id, "audit"]) => (Route::GetAudit, Some(id.to_string())),
            _ => return None,
        };
        Some(route)
    }

    /// The execute-api resource path of the route, with path parameters as `*`.
    fn arn_path(self) -> String {
        format!("{}{}", self.method(), self.resource().replace("{id}", "*"))
    }
}

/// The parts of an API Gateway method ARN, parsed from the left per the
/// documented format
/// `arn:aws:execute-api:{regionId}:{accountId}:{apiId}/{stage}/{httpVerb}/[{resource}/[{child-resources}]]`
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html).
/// Only the six colon-separated fields before the resource are split on `:`;
/// the resource path is the caller's request path and may itself contain `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub api_id: &'a str,
    pub stage: &'a str,
    pub method: &'a str,
    /// Everything after the method, without the leading `/` (may be empty).
    pub resource_path: &'a str,
}

fn is_token(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

impl<'a> MethodArn<'a> {
    /// Parses a method ARN; `None` unless every field before the resource
    /// path is well formed (so nothing odd can reach the policy we build).
    pub fn parse(arn: &'a str) -> Option<MethodArn<'a>> {
        let mut fields = arn.splitn(6, ':');
        let (scheme, partition, service, region, account, resource) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if scheme != "arn" || service != "execute-api" {
            return None;
        }
        let mut parts = resource.splitn(4, '/');
        let (api_id, stage, method) = (parts.next()?, parts.next()?, parts.next()?);
        let resource_path = parts.next().unwrap_or("");
        let ok = is_token(partition, b"-")
            && is_token(region, b"-")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && is_token(api_id, b"")
            // "Stage names can only contain alphanumeric characters, hyphens,
            // and underscores. Maximum length is 128 characters."
            // (https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html)
            && is_token(stage, b"-_")
            && stage.len() <= 128
            // A concrete verb, or `*` in a wildcard ARN.
            && (is_token(method, b"") || method == "*");
        ok.then_some(MethodArn {
            partition,
            region,
            account,
            api_id,
            stage,
            method,
            resource_path,
        })
    }

    /// `arn:{partition}:execute-api:{region}:{account}:{api}/{stage}`, built
    /// from the parsed parts.
    pub fn stage_arn(&self) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{}/{}",
            self.partition, self.region, self.account, self.api_id, self.stage
        )
    }
}

/// The `arn:aws:execute-api:region:account:api/stage` prefix of a method ARN.
pub fn stage_arn(method_arn: &str) -> Option<String> {
    MethodArn::parse(method_arn).map(|m| m.stage_arn())
}

/// Every method ARN a level may call on the stage. The authorizer returns the
/// whole list because API Gateway caches the policy per key and reuses it for
/// other routes; a policy naming only the current route would deny the rest.
pub fn allowed_method_arns(stage_arn: &str, level: AccessLevel) -> Vec<String> {
    Route::ALL
        .iter()
        .filter(|r| r.allows(level))
        .map(|r| format!("{stage_arn}/{}", r.arn_path()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/documents/42";

    #[test]
    fn stage_arn_strips_method_and_path() {
        assert_eq!(
            stage_arn(ARN).as_deref(),
            Some("arn:aws:execute-api:us-east-1:123456789012:abc123/prod")
        );
        assert_eq!(stage_arn("arn:aws:s3:::bucket/x/y"), None);
        assert_eq!(stage_arn("not-an-arn"), None);
    }

    #[test]
    fn method_arns_are_parsed_from_the_left_so_colons_in_the_path_are_harmless() {
        // The old right-to-left split took `y/z` as api/stage here and
        // returned `...abc123/prod/GET/documents/x:y/z` as the stage.
        let arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/documents/x:y/z/w";
        assert_eq!(
            stage_arn(arn).as_deref(),
            Some("arn:aws:execute-api:us-east-1:123456789012:abc123/prod")
        );
        let parsed = MethodArn::parse(arn).unwrap();
        assert_eq!(parsed.method, "GET");
        assert_eq!(parsed.resource_path, "documents/x:y/z/w");
        assert_eq!(
            stage_arn("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/documents/a:b")
                .as_deref(),
            Some("arn:aws:execute-api:us-east-1:123456789012:abc123/prod")
        );
        assert_eq!(
            stage_arn("arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/v1_x-2/GET/")
                .as_deref(),
            Some("arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/v1_x-2")
        );
    }

    #[test]
    fn malformed_method_arns_are_refused() {
        for bad in [
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod",
            "arn:aws:execute-api:us-east-1:123456789012:abc123//GET/documents",
            "arn:aws:execute-api:us-east-1:12345:abc123/prod/GET/documents",
            "arn:aws:execute-api:us-east-1:123456789012:abc*/prod/GET/documents",
            "arn:aws:execute-api:us-east-1:123456789012:abc123/pr od/GET/documents",
            "arn:aws:execute-api::123456789012:abc123/prod/GET/documents",
            "arn:aws:lambda:us-east-1:123456789012:abc123/prod/GET/documents",
            "xarn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/documents",
        ] {
            assert_eq!(stage_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn levels_grant_cumulative_routes() {
        let stage = "arn:aws:execute-api:us-east-1:1:a/dev";
        let ro = allowed_method_arns(stage, AccessLevel::ReadOnly);
        assert_eq!(ro.len(), 4);
        assert!(ro.iter().all(|a| a.contains("/GET/")));
        let rw = allowed_method_arns(stage, AccessLevel::ReadWrite);
        assert_eq!(rw.len(), 6);
        assert!(rw.contains(&format!("{stage}/POST/documents/uploads")));
        let admin = allowed_method_arns(stage, AccessLevel::Admin);
        assert_eq!(admin.len(), 7);
        assert!(admin.contains(&format!("{stage}/DELETE/documents/*")));
    }

    #[test]
    fn resolves_concrete_paths() {
        assert_eq!(
            Route::resolve("GET", "/documents/"),
            Some((Route::ListDocuments, None))
        );
        assert_eq!(
            Route::resolve("GET", "/documents/d1/audit"),
            Some((Route::GetAudit, Some("d1".into())))
        );
        assert_eq!(Route::resolve("PUT", "/documents/d1"), None);
        assert_eq!(Route::resolve("GET", "/documents/d1/other"), None);
    }

    #[test]
    fn level_parsing_round_trips_and_rejects_unknown() {
        for level in AccessLevel::ALL {
            assert_eq!(level.as_str().parse::<AccessLevel>(), Ok(level));
        }
        assert!("root"
            .parse::<AccessLevel>()
            .unwrap_err()
            .contains("unknown access level"));
    }
}
