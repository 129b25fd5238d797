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

/// The `arn:aws:execute-api:region:account:api/stage` prefix of a method ARN.
pub fn stage_arn(method_arn: &str) -> Option<&str> {
    let (prefix, resource) = method_arn.rsplit_once(':')?;
    if !prefix.starts_with("arn:") || !prefix.contains(":execute-api:") {
        return None;
    }
    let mut parts = resource.splitn(3, '/');
    let api = parts.next().filter(|s| !s.is_empty())?;
    let stage = parts.next().filter(|s| !s.is_empty())?;
    Some(&method_arn[..prefix.len() + 1 + api.len() + 1 + stage.len()])
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
            stage_arn(ARN),
            Some("arn:aws:execute-api:us-east-1:123456789012:abc123/prod")
        );
        assert_eq!(stage_arn("arn:aws:s3:::bucket/x/y"), None);
        assert_eq!(stage_arn("not-an-arn"), None);
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
