//! API Gateway REQUEST authorizer: hashes the `x-api-key` header, looks the
//! hash up in the permissions table and returns an IAM policy listing every
//! route the key's level may call on the stage (the policy is cached per key,
//! so it must hold for all routes, not just the current one).

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use docproc_core::access::{allowed_method_arns, MethodArn};
use docproc_core::keys::{decide, hash_key, key_id_of_hash, DenyReason, KeyDecision};
use docproc_core::ports::{KeyLookup, KeyRepository};
use docproc_core::StoreError;
use serde_json::json;
use time::OffsetDateTime;

pub const API_KEY_HEADER: &str = "x-api-key";

pub type Response = ApiGatewayCustomAuthorizerResponse;

pub mod row;
pub mod table;

/// Decides one request. A denial is a normal outcome (a Deny policy), and so
/// is a malformed permissions row (retrying cannot fix it). Only a storage
/// failure (throttling, outage) is an error: API Gateway then answers 500
/// and caches nothing, so a transient failure never becomes a cached Deny.
pub async fn authorize<K: KeyRepository>(
    keys: &K,
    request: &ApiGatewayCustomAuthorizerRequestTypeRequest,
    now: OffsetDateTime,
) -> Result<Response, StoreError> {
    let method = request
        .http_method
        .as_ref()
        .map(|m| m.to_string())
        .unwrap_or_default();
    let path = request.path.clone().unwrap_or_default();
    let source_ip = request
        .request_context
        .identity
        .as_ref()
        .and_then(|i| i.source_ip.clone())
        .unwrap_or_default();
    let method_arn = request.method_arn.clone().unwrap_or_default();
    let key = request
        .headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty());

    let (decision, key_hash) = match key {
        None => (KeyDecision::Deny(DenyReason::MissingKey), None),
        Some(k) => {
            let hash = hash_key(k);
            let decision = match keys.lookup(&hash).await? {
                KeyLookup::Found(record) => decide(Some(&record), now),
                KeyLookup::Missing => decide(None, now),
                KeyLookup::Malformed(problem) => {
                    tracing::error!(
                        key_id = key_id_of_hash(&hash),
                        problem,
                        "malformed permissions row; denying"
                    );
                    KeyDecision::Deny(DenyReason::MalformedRecord)
                }
            };
            (decision, Some(hash))
        }
    };
    let key_id = key_hash
        .as_deref()
        .map(key_id_of_hash)
        .unwrap_or("-")
        .to_string();
    // Parsed from the left: the request path may contain `:`.
    let stage = MethodArn::parse(&method_arn).map(|m| m.stage_arn());

    let response = match (&decision, &stage) {
        (KeyDecision::Allow { client_id, level }, Some(stage)) => {
            tracing::info!(outcome = "allow", reason = "valid_key", key_id, client_id, level = %level, method, path, source_ip, "authorization");
            build(
                client_id,
                IamPolicyEffect::Allow,
                allowed_method_arns(stage, *level),
                json!({"client_id": client_id, "level": level.as_str(), "key_id": key_id}),
                key.map(str::to_string),
            )
        }
        (KeyDecision::Allow { .. }, None) => {
            tracing::warn!(
                outcome = "deny",
                reason = "malformed_method_arn",
                key_id,
                method,
                path,
                source_ip,
                method_arn,
                "authorization"
            );
            deny(&method_arn, "malformed_method_arn")
        }
        (KeyDecision::Deny(reason), _) => {
            tracing::info!(
                outcome = "deny",
                reason = reason.as_str(),
                key_id,
                method,
                path,
                source_ip,
                "authorization"
            );
            // Deny the whole stage: the cached policy then covers every route.
            let resource = stage.map_or(method_arn, |s| format!("{s}/*/*"));
            deny(&resource, reason.as_str())
        }
    };
    Ok(response)
}

fn deny(resource: &str, reason: &str) -> Response {
    build(
        "anonymous",
        IamPolicyEffect::Deny,
        vec![resource.to_string()],
        json!({"reason": reason}),
        None,
    )
}

fn build(
    principal: &str,
    effect: IamPolicyEffect,
    resources: Vec<String>,
    context: serde_json::Value,
    usage_key: Option<String>,
) -> Response {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_string()];
    statement.effect = effect;
    statement.resource = resources;
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_string());
    policy.statement = vec![statement];
    let mut response = Response::default();
    response.principal_id = Some(principal.to_string());
    response.policy_document = policy;
    response.context = context;
    // With API key source AUTHORIZER, usage plans meter the key returned here.
    response.usage_identifier_key = usage_key;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use docproc_core::access::AccessLevel;
    use docproc_core::keys::{ApiKeyRecord, KeyStatus};
    use docproc_core::memory::MemoryKeys;
    use docproc_core::ports::StoreResult;
    use row::{lookup_from_row, Attr, Row};
    use std::collections::HashMap;
    use time::macros::datetime;

    type RowEdit = Box<dyn FnOnce(&mut Row)>;

    /// Raw permission rows, read like the DynamoDB adapter reads them.
    #[derive(Default)]
    struct RowKeys {
        rows: HashMap<String, Row>,
    }

    impl KeyRepository for RowKeys {
        async fn get(&self, _: &str) -> StoreResult<Option<ApiKeyRecord>> {
            unreachable!("the authorizer uses lookup")
        }
        async fn lookup(&self, key_hash: &str) -> StoreResult<KeyLookup> {
            Ok(lookup_from_row(self.rows.get(key_hash), key_hash))
        }
        async fn create(&self, _: &ApiKeyRecord) -> StoreResult<()> {
            unreachable!()
        }
        async fn list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
            unreachable!()
        }
        async fn set_status(&self, _: &str, _: KeyStatus) -> StoreResult<()> {
            unreachable!()
        }
        async fn set_expiry(&self, _: &str, _: &str) -> StoreResult<()> {
            unreachable!()
        }
    }

    fn row(edit: impl FnOnce(&mut Row)) -> RowKeys {
        let hash = hash_key("dpk_secret");
        let mut row: Row = [
            ("key_hash", hash.as_str()),
            ("key_id", key_id_of_hash(&hash)),
            ("client_id", "acme"),
            ("level", "admin"),
            ("status", "active"),
            ("created_at", "2026-01-01T00:00:00Z"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Attr::S(v.to_string())))
        .collect();
        edit(&mut row);
        RowKeys {
            rows: HashMap::from([(hash, row)]),
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);
    const STAGE: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev";

    fn event(
        key: Option<&str>,
        method: &str,
        path: &str,
    ) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
        let mut v = serde_json::from_str::<serde_json::Value>(include_str!(
            "../tests/fixtures/authorizer-request.json"
        ))
        .unwrap();
        v["methodArn"] = json!(format!("{STAGE}/{method}{path}"));
        v["httpMethod"] = json!(method);
        v["path"] = json!(path);
        match key {
            Some(k) => v["headers"]["x-api-key"] = json!(k),
            None => {
                v["headers"].as_object_mut().unwrap().remove("x-api-key");
            }
        }
        serde_json::from_value(v).unwrap()
    }

    async fn keys_with(
        level: AccessLevel,
        status: KeyStatus,
        expires_at: Option<&str>,
    ) -> MemoryKeys {
        let keys = MemoryKeys::default();
        let hash = hash_key("dpk_secret");
        keys.create(&ApiKeyRecord {
            key_id: key_id_of_hash(&hash).to_string(),
            key_hash: hash,
            client_id: "acme".into(),
            level,
            status,
            tier: "standard".into(),
            description: String::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: expires_at.map(String::from),
            gateway_key_id: None,
        })
        .await
        .unwrap();
        keys
    }

    fn effect_and_resources(r: &Response) -> (IamPolicyEffect, Vec<String>) {
        let s = &r.policy_document.statement[0];
        (s.effect.clone(), s.resource.clone())
    }

    #[tokio::test]
    async fn each_level_gets_its_routes_for_the_whole_stage() {
        for (level, count) in [
            (AccessLevel::ReadOnly, 4),
            (AccessLevel::ReadWrite, 6),
            (AccessLevel::Admin, 7),
        ] {
            let keys = keys_with(level, KeyStatus::Active, None).await;
            let r = authorize(&keys, &event(Some("dpk_secret"), "GET", "/documents"), NOW)
                .await
                .unwrap();
            let (effect, resources) = effect_and_resources(&r);
            assert_eq!(effect, IamPolicyEffect::Allow);
            assert_eq!(resources.len(), count, "{level}");
            assert!(resources.contains(&format!("{STAGE}/GET/documents/*")));
            assert_eq!(
                resources.contains(&format!("{STAGE}/DELETE/documents/*")),
                level == AccessLevel::Admin
            );
            assert_eq!(r.context["client_id"], "acme");
            assert_eq!(r.context["level"], level.as_str());
            assert_eq!(r.context["key_id"], &hash_key("dpk_secret")[..12]);
            assert_eq!(r.usage_identifier_key.as_deref(), Some("dpk_secret"));
            assert_eq!(r.principal_id.as_deref(), Some("acme"));
        }
    }

    #[tokio::test]
    async fn bad_keys_are_denied_on_the_whole_stage() {
        let cases = [
            (
                keys_with(AccessLevel::Admin, KeyStatus::Active, None).await,
                Some("dpk_wrong"),
                "unknown_key",
            ),
            (
                keys_with(AccessLevel::Admin, KeyStatus::Revoked, None).await,
                Some("dpk_secret"),
                "revoked",
            ),
            (
                keys_with(AccessLevel::Admin, KeyStatus::Disabled, None).await,
                Some("dpk_secret"),
                "disabled",
            ),
            (
                keys_with(
                    AccessLevel::Admin,
                    KeyStatus::Active,
                    Some("2026-05-01T00:00:00Z"),
                )
                .await,
                Some("dpk_secret"),
                "expired",
            ),
            (
                keys_with(AccessLevel::Admin, KeyStatus::Active, None).await,
                None,
                "missing_key",
            ),
        ];
        for (keys, key, reason) in cases {
            let r = authorize(&keys, &event(key, "DELETE", "/documents/d1"), NOW)
                .await
                .unwrap();
            let (effect, resources) = effect_and_resources(&r);
            assert_eq!(effect, IamPolicyEffect::Deny, "{reason}");
            assert_eq!(resources, vec![format!("{STAGE}/*/*")]);
            assert_eq!(r.context["reason"], reason);
            assert_eq!(r.usage_identifier_key, None);
        }
    }

    #[tokio::test]
    async fn malformed_rows_are_denied_on_the_whole_stage_not_errors() {
        // A well-formed row is allowed through the same path.
        let r = authorize(
            &row(|_| {}),
            &event(Some("dpk_secret"), "GET", "/documents"),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(effect_and_resources(&r).0, IamPolicyEffect::Allow);
        let edits: Vec<RowEdit> = vec![
            Box::new(|r| drop(r.remove("level"))),
            Box::new(|r| drop(r.insert("level".into(), Attr::S("superuser".into())))),
            Box::new(|r| drop(r.insert("level".into(), Attr::Other("N")))),
            Box::new(|r| drop(r.insert("status".into(), Attr::Other("BOOL")))),
            Box::new(|r| drop(r.insert("client_id".into(), Attr::S("acme/../x".into())))),
            Box::new(|r| drop(r.insert("expires_at".into(), Attr::S("soon".into())))),
            // Read as "never expires" by the old adapter: an expired key allowed.
            Box::new(|r| drop(r.insert("expires_at".into(), Attr::Other("N")))),
        ];
        for edit in edits {
            let keys = row(edit);
            let r = authorize(&keys, &event(Some("dpk_secret"), "GET", "/documents"), NOW)
                .await
                .expect("a malformed row is a denial, not an error");
            let (effect, resources) = effect_and_resources(&r);
            assert_eq!(effect, IamPolicyEffect::Deny);
            assert_eq!(resources, vec![format!("{STAGE}/*/*")]);
            assert_eq!(r.context["reason"], "malformed_record");
            assert_eq!(r.usage_identifier_key, None);
        }
    }

    #[tokio::test]
    async fn colons_in_the_request_path_still_get_the_stage_wide_policy() {
        let keys = keys_with(AccessLevel::ReadOnly, KeyStatus::Active, None).await;
        for path in [
            "/documents/x:y/z/w",
            "/documents/a:b",
            "/documents/d1:/audit",
        ] {
            let r = authorize(&keys, &event(Some("dpk_secret"), "GET", path), NOW)
                .await
                .unwrap();
            let (effect, resources) = effect_and_resources(&r);
            assert_eq!(effect, IamPolicyEffect::Allow, "{path}");
            assert!(
                resources.contains(&format!("{STAGE}/GET/documents/*")),
                "{path}: {resources:?}"
            );
            assert!(resources
                .iter()
                .all(|a| a.starts_with(&format!("{STAGE}/GET/"))));
        }
        // And a denial for such a path still covers the whole stage.
        let r = authorize(
            &keys,
            &event(Some("dpk_wrong"), "GET", "/documents/a:b"),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(effect_and_resources(&r).1, vec![format!("{STAGE}/*/*")]);
    }

    #[tokio::test]
    async fn storage_failure_is_an_error_not_a_denial() {
        let keys = keys_with(AccessLevel::Admin, KeyStatus::Active, None).await;
        keys.failures.fail_next(1);
        let err = authorize(&keys, &event(Some("dpk_secret"), "GET", "/documents"), NOW)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Transient(_)));
    }
}
