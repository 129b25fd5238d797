//! API key lifecycle. The permissions table is the authority the authorizer
//! reads; the API Gateway key mirrors it so usage plans meter and throttle the
//! same key. The permissions table stores only the key's SHA-256 hash; the
//! API Gateway key holds the key's value (usage plans meter by it), readable
//! with `apigateway:GET`. The key is returned once.

use crate::error::{OpsError, OpsResult};
use crate::ports::Gateway;
use docproc_core::access::AccessLevel;
use docproc_core::audit::{append_event, NewAuditEvent};
use docproc_core::keys::{
    format_key, hash_key, key_id_of_hash, validate_client_id, ApiKeyRecord, KeyStatus,
};
use docproc_core::ports::{AuditRepository, KeyRepository};
use docproc_core::time_fmt;
use serde_json::json;
use time::OffsetDateTime;

/// The audit trail that records every operator action on one key.
pub fn key_trail(key_id: &str) -> String {
    format!("apikey-{key_id}")
}

pub struct NewKey {
    pub client_id: String,
    pub level: AccessLevel,
    pub tier: String,
    pub expires_at: Option<OffsetDateTime>,
    pub description: String,
}

/// A key as created: the plaintext exists only here. Once the key is
/// stored it is always returned, even when a follow-up step (its audit
/// event, retiring the key it replaces) failed: those are in `incomplete`,
/// each with what to run to finish it, so the only copy is never lost.
pub struct IssuedKey {
    pub key: String,
    pub record: ApiKeyRecord,
    pub incomplete: Vec<String>,
}

pub struct KeyAdmin<'a, K, G, A> {
    pub keys: &'a K,
    pub gateway: &'a G,
    pub audit: &'a A,
    /// Who is acting (the caller identity's ARN).
    pub actor: &'a str,
    pub name_prefix: &'a str,
    /// Usage plan id per tier.
    pub usage_plans: &'a std::collections::BTreeMap<String, String>,
}

impl<K: KeyRepository, G: Gateway, A: AuditRepository> KeyAdmin<'_, K, G, A> {
    pub async fn create(
        &self,
        request: NewKey,
        random: [u8; 32],
        now: OffsetDateTime,
    ) -> OpsResult<IssuedKey> {
        validate_client_id(&request.client_id).map_err(OpsError::Invalid)?;
        let plan = self.usage_plans.get(&request.tier).ok_or_else(|| {
            OpsError::Invalid(format!(
                "unknown tier {:?}: this environment has {}",
                request.tier,
                self.usage_plans
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        if let Some(at) = request.expires_at {
            if at <= now {
                return Err(OpsError::Invalid(format!(
                    "expiry {} is in the past",
                    time_fmt::format(at)
                )));
            }
        }
        if request.description.len() > 256 {
            return Err(OpsError::Invalid(
                "description must be at most 256 characters".into(),
            ));
        }
        let key = format_key(&random);
        let key_hash = hash_key(&key);
        let key_id = key_id_of_hash(&key_hash).to_string();
        let name = format!("{}-{}-{key_id}", self.name_prefix, request.client_id);
        let gateway_key_id = self
            .gateway
            .create_key(&name, &key, &request.description)
            .await?;
        let record = ApiKeyRecord {
            key_hash,
            key_id: key_id.clone(),
            client_id: request.client_id,
            level: request.level,
            status: KeyStatus::Active,
            tier: request.tier,
            description: request.description,
            created_at: time_fmt::format(now),
            expires_at: request.expires_at.map(time_fmt::format),
            gateway_key_id: Some(gateway_key_id.clone()),
        };
        // The permissions record goes last: until it exists the authorizer
        // denies the key, so a half-created key is never usable. Undo the
        // gateway key if a later step fails, so nothing is left behind.
        let stored = async {
            self.gateway
                .add_to_usage_plan(plan, &gateway_key_id)
                .await?;
            self.keys.create(&record).await?;
            Ok::<_, OpsError>(())
        }
        .await;
        if let Err(e) = stored {
            if let Err(cleanup) = self.gateway.delete_key(&gateway_key_id).await {
                return Err(OpsError::Remote {
                    service: "apigateway",
                    message: format!(
                        "{e}; and deleting the half-created API key {gateway_key_id} failed too: {cleanup}"
                    ),
                });
            }
            return Err(e);
        }
        let mut incomplete = Vec::new();
        if let Err(e) = self
            .record(
                &record,
                "key_created",
                json!({"client_id": record.client_id, "level": record.level.as_str(), "tier": record.tier, "expires_at": record.expires_at}),
            )
            .await
        {
            incomplete.push(format!(
                "the key works, but its key_created audit event was not written ({e}); record it by hand on trail {}",
                key_trail(&record.key_id)
            ));
        }
        Ok(IssuedKey {
            key,
            record,
            incomplete,
        })
    }

    /// Every key, newest first, optionally of one client (never the key values).
    pub async fn list(&self, client_id: Option<&str>) -> OpsResult<Vec<ApiKeyRecord>> {
        let mut keys: Vec<ApiKeyRecord> = self
            .keys
            .list()
            .await?
            .into_iter()
            .filter(|k| client_id.is_none_or(|c| k.client_id == c))
            .collect();
        if let (Some(c), true) = (client_id, keys.is_empty()) {
            return Err(OpsError::NotFound(format!(
                "unknown client {c:?}: it has no keys"
            )));
        }
        keys.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(a.key_id.cmp(&b.key_id))
        });
        Ok(keys)
    }

    pub async fn find(&self, key_id: &str) -> OpsResult<ApiKeyRecord> {
        let valid = key_id.len() == docproc_core::keys::KEY_ID_LEN
            && key_id.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(OpsError::Invalid(format!(
                "{key_id:?} is not a key id (12 hex characters, as `docproc keys list` shows)"
            )));
        }
        let mut matches = self
            .keys
            .list()
            .await?
            .into_iter()
            .filter(|k| k.key_id == key_id);
        match (matches.next(), matches.next()) {
            (Some(k), None) => Ok(k),
            (None, _) => Err(OpsError::NotFound(format!("no key with id {key_id}"))),
            (Some(_), Some(_)) => Err(OpsError::Invalid(format!(
                "key id {key_id} is ambiguous; the permissions table needs attention"
            ))),
        }
    }

    /// Permanent: the key is denied and its API Gateway key deleted.
    /// Re-runnable: a revoke that stopped midway (API Gateway or the audit
    /// trail failed after the table denied the key) finishes when run again.
    pub async fn revoke(&self, key_id: &str) -> OpsResult<ApiKeyRecord> {
        let mut key = self.find(key_id).await?;
        // Deny first: the permissions table is what the authorizer trusts.
        if key.status != KeyStatus::Revoked {
            self.keys
                .set_status(&key.key_hash, KeyStatus::Revoked)
                .await?;
            key.status = KeyStatus::Revoked;
        }
        if let Some(g) = &key.gateway_key_id {
            // Deleting a key that a previous run already deleted is success.
            self.gateway.delete_key(g).await?;
        }
        self.record_once(&key, "key_revoked").await?;
        Ok(key)
    }

    pub async fn disable(&self, key_id: &str) -> OpsResult<ApiKeyRecord> {
        self.switch(key_id, KeyStatus::Active, KeyStatus::Disabled)
            .await
    }

    pub async fn enable(&self, key_id: &str) -> OpsResult<ApiKeyRecord> {
        self.switch(key_id, KeyStatus::Disabled, KeyStatus::Active)
            .await
    }

    async fn switch(
        &self,
        key_id: &str,
        from: KeyStatus,
        to: KeyStatus,
    ) -> OpsResult<ApiKeyRecord> {
        let mut key = self.find(key_id).await?;
        let enabled = to == KeyStatus::Active;
        let action = if enabled {
            "key_enabled"
        } else {
            "key_disabled"
        };
        if key.status == to {
            // Already switched in the table: a previous run may have stopped
            // before API Gateway or the audit trail; finish those (idempotent).
            self.set_gateway(&key, enabled).await?;
            self.record_once(&key, action).await?;
            return Ok(key);
        }
        if key.status != from {
            return Err(OpsError::Invalid(format!(
                "key {key_id} is {}; only {} keys can become {}",
                key.status.as_str(),
                from.as_str(),
                to.as_str()
            )));
        }
        // Disabling denies in the table first; enabling opens the gateway
        // first: either way the key is never usable before the table says so.
        if enabled {
            self.set_gateway(&key, true).await?;
            self.keys.set_status(&key.key_hash, to).await?;
        } else {
            self.keys.set_status(&key.key_hash, to).await?;
            self.set_gateway(&key, false).await?;
        }
        key.status = to;
        self.record(&key, action, json!({})).await?;
        Ok(key)
    }

    async fn set_gateway(&self, key: &ApiKeyRecord, enabled: bool) -> OpsResult<()> {
        match &key.gateway_key_id {
            Some(g) => self.gateway.set_enabled(g, enabled).await,
            None => Ok(()),
        }
    }

    /// Issues a new key with the same client, level, tier and description;
    /// the old key keeps working until `now + grace`, then expires.
    pub async fn rotate(
        &self,
        key_id: &str,
        grace: time::Duration,
        random: [u8; 32],
        now: OffsetDateTime,
    ) -> OpsResult<(IssuedKey, ApiKeyRecord)> {
        let mut old = self.find(key_id).await?;
        if old.status != KeyStatus::Active {
            return Err(OpsError::Invalid(format!(
                "key {key_id} is {}; only active keys can be rotated",
                old.status.as_str()
            )));
        }
        if grace.is_negative() {
            return Err(OpsError::Invalid(
                "the grace period cannot be negative".into(),
            ));
        }
        let old_expiry = old.expires_at.as_deref().and_then(time_fmt::parse);
        let issued = self
            .create(
                NewKey {
                    client_id: old.client_id.clone(),
                    level: old.level,
                    tier: old.tier.clone(),
                    expires_at: old_expiry.filter(|at| *at > now),
                    description: old.description.clone(),
                },
                random,
                now,
            )
            .await?;
        let mut issued = issued;
        // Never extend a key's life by rotating it.
        let retire_at = match old_expiry {
            Some(at) if at < now + grace => at,
            _ => now + grace,
        };
        let retire_at = time_fmt::format(retire_at);
        // The new key exists from here on: a failure below must not lose it.
        if let Err(e) = self.keys.set_expiry(&old.key_hash, &retire_at).await {
            issued.incomplete.push(format!(
                "the old key {key_id} was not given its expiry {retire_at} ({e}): it keeps working; revoke it with `docproc keys revoke {key_id}` once clients use the new key"
            ));
            return Ok((issued, old));
        }
        old.expires_at = Some(retire_at.clone());
        if let Err(e) = self
            .record(
                &old,
                "key_rotated",
                json!({"replaced_by": issued.record.key_id, "expires_at": retire_at}),
            )
            .await
        {
            issued.incomplete.push(format!(
                "the old key {key_id} expires at {retire_at}, but its key_rotated audit event was not written ({e})"
            ));
        }
        Ok((issued, old))
    }

    /// Appends `action` unless it is already the key trail's last event
    /// (a re-run finishing what a previous run started).
    async fn record_once(&self, key: &ApiKeyRecord, action: &str) -> OpsResult<()> {
        let trail = self.audit.trail(&key_trail(&key.key_id)).await?;
        if trail.last().is_some_and(|e| e.action == action) {
            return Ok(());
        }
        self.record(key, action, json!({})).await
    }

    async fn record(
        &self,
        key: &ApiKeyRecord,
        action: &str,
        detail: serde_json::Value,
    ) -> OpsResult<()> {
        let event = NewAuditEvent::new(self.actor, action, "success", detail);
        append_event(self.audit, &key_trail(&key.key_id), event, None).await?;
        Ok(())
    }
}

/// Parses `--expires`: an RFC 3339 timestamp or a date (midnight UTC).
pub fn parse_expiry(text: &str) -> OpsResult<OffsetDateTime> {
    if let Some(at) = time_fmt::parse(text) {
        return Ok(at);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            OpsError::Invalid(format!(
                "expiry {text:?} is not a date (2027-01-31) or an RFC 3339 time (2027-01-31T12:00:00Z)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Gateway;
    use docproc_core::audit::verify_chain;
    use docproc_core::keys::{decide, KeyDecision};
    use docproc_core::memory::{MemoryAudit, MemoryKeys};
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use time::macros::datetime;

    /// An API Gateway key in memory: (name, value, enabled, usage plans).
    type GatewayKey = (String, String, bool, Vec<String>);

    #[derive(Default)]
    struct FakeGateway {
        keys: Mutex<BTreeMap<String, GatewayKey>>,
        fail_usage_plan: bool,
        /// The next delete or enable/disable fails (API Gateway unavailable).
        fail_next_change: std::sync::atomic::AtomicBool,
    }

    impl FakeGateway {
        fn change(&self) -> OpsResult<()> {
            if self
                .fail_next_change
                .swap(false, std::sync::atomic::Ordering::SeqCst)
            {
                return Err(OpsError::remote("apigateway", "TooManyRequestsException"));
            }
            Ok(())
        }
    }

    impl Gateway for FakeGateway {
        async fn create_key(&self, name: &str, value: &str, _d: &str) -> OpsResult<String> {
            let mut keys = self.keys.lock().unwrap();
            let id = format!("gw{}", keys.len() + 1);
            keys.insert(id.clone(), (name.into(), value.into(), true, vec![]));
            Ok(id)
        }
        async fn add_to_usage_plan(&self, plan: &str, id: &str) -> OpsResult<()> {
            if self.fail_usage_plan {
                return Err(OpsError::remote("apigateway", "usage plan is gone"));
            }
            let mut keys = self.keys.lock().unwrap();
            keys.get_mut(id).unwrap().3.push(plan.into());
            Ok(())
        }
        async fn set_enabled(&self, id: &str, enabled: bool) -> OpsResult<()> {
            self.change()?;
            self.keys.lock().unwrap().get_mut(id).unwrap().2 = enabled;
            Ok(())
        }
        async fn delete_key(&self, id: &str) -> OpsResult<()> {
            self.change()?;
            // Like the adapter: deleting an already deleted key succeeds.
            self.keys.lock().unwrap().remove(id);
            Ok(())
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

    struct World {
        keys: MemoryKeys,
        gateway: FakeGateway,
        audit: MemoryAudit,
        plans: BTreeMap<String, String>,
    }

    impl World {
        fn new() -> Self {
            World {
                keys: MemoryKeys::default(),
                gateway: FakeGateway::default(),
                audit: MemoryAudit::default(),
                plans: BTreeMap::from([("standard".into(), "plan-std".into())]),
            }
        }
        fn admin(&self) -> KeyAdmin<'_, MemoryKeys, FakeGateway, MemoryAudit> {
            KeyAdmin {
                keys: &self.keys,
                gateway: &self.gateway,
                audit: &self.audit,
                actor: "arn:aws:iam::123456789012:user/ops",
                name_prefix: "dev-docproc",
                usage_plans: &self.plans,
            }
        }
        async fn decision(&self, key: &str, at: OffsetDateTime) -> KeyDecision {
            use docproc_core::ports::KeyRepository;
            decide(self.keys.get(&hash_key(key)).await.unwrap().as_ref(), at)
        }
    }

    fn new_key(client: &str) -> NewKey {
        NewKey {
            client_id: client.into(),
            level: AccessLevel::ReadWrite,
            tier: "standard".into(),
            expires_at: None,
            description: "ci".into(),
        }
    }

    #[tokio::test]
    async fn created_key_is_stored_as_a_hash_in_the_usage_plan_and_audited() {
        let w = World::new();
        let issued = w
            .admin()
            .create(new_key("acme"), [7; 32], NOW)
            .await
            .unwrap();
        assert!(issued.key.starts_with("dpk_") && issued.key.len() >= 40);
        assert_eq!(issued.record.key_hash, hash_key(&issued.key));
        let stored = format!("{:?}", w.keys);
        assert!(!stored.contains(&issued.key), "plaintext key stored");
        let gw = w.gateway.keys.lock().unwrap().clone();
        let (name, value, enabled, plans) = &gw["gw1"];
        assert_eq!(name, &format!("dev-docproc-acme-{}", issued.record.key_id));
        assert_eq!((value.as_str(), *enabled), (issued.key.as_str(), true));
        assert_eq!(plans, &vec!["plan-std".to_string()]);
        assert!(matches!(
            w.decision(&issued.key, NOW).await,
            KeyDecision::Allow { .. }
        ));
        let trail = w
            .audit
            .trail(&key_trail(&issued.record.key_id))
            .await
            .unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].action, "key_created");
        assert_eq!(trail[0].actor, "arn:aws:iam::123456789012:user/ops");
    }

    #[tokio::test]
    async fn bad_requests_are_refused_before_anything_is_created() {
        let w = World::new();
        let cases = [
            (
                NewKey {
                    client_id: "../etc".into(),
                    ..new_key("x")
                },
                "client id",
            ),
            (
                NewKey {
                    tier: "gold".into(),
                    ..new_key("acme")
                },
                "unknown tier \"gold\": this environment has standard",
            ),
            (
                NewKey {
                    expires_at: Some(datetime!(2020-01-01 0:00 UTC)),
                    ..new_key("acme")
                },
                "in the past",
            ),
        ];
        for (request, message) in cases {
            let err = w.admin().create(request, [1; 32], NOW).await.err().unwrap();
            assert!(err.to_string().contains(message), "{err}");
            assert_eq!(err.exit_code(), 2);
        }
        assert!(w.gateway.keys.lock().unwrap().is_empty());
        assert!(w.keys.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failed_usage_plan_attachment_leaves_no_key_behind() {
        let mut w = World::new();
        w.gateway.fail_usage_plan = true;
        let err = w
            .admin()
            .create(new_key("acme"), [2; 32], NOW)
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("usage plan is gone"));
        assert!(w.gateway.keys.lock().unwrap().is_empty());
        assert!(w.keys.list().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn disable_enable_revoke_change_the_authorizer_decision() {
        let w = World::new();
        let admin = w.admin();
        let issued = admin.create(new_key("acme"), [3; 32], NOW).await.unwrap();
        let id = issued.record.key_id.clone();

        admin.disable(&id).await.unwrap();
        assert_eq!(
            w.decision(&issued.key, NOW).await,
            KeyDecision::Deny(docproc_core::keys::DenyReason::Disabled)
        );
        assert!(!w.gateway.keys.lock().unwrap()["gw1"].2);
        // Disabling again is a no-op that succeeds (re-runnable).
        admin.disable(&id).await.unwrap();
        assert!(!w.gateway.keys.lock().unwrap()["gw1"].2);

        admin.enable(&id).await.unwrap();
        assert!(matches!(
            w.decision(&issued.key, NOW).await,
            KeyDecision::Allow { .. }
        ));
        assert!(w.gateway.keys.lock().unwrap()["gw1"].2);

        admin.revoke(&id).await.unwrap();
        assert_eq!(
            w.decision(&issued.key, NOW).await,
            KeyDecision::Deny(docproc_core::keys::DenyReason::Revoked)
        );
        assert!(w.gateway.keys.lock().unwrap().is_empty());
        assert!(admin.enable(&id).await.is_err());
        // Revoking again succeeds and changes nothing.
        admin.revoke(&id).await.unwrap();

        let trail = w.audit.trail(&key_trail(&id)).await.unwrap();
        let actions: Vec<_> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["key_created", "key_disabled", "key_enabled", "key_revoked"]
        );
        assert_eq!(verify_chain(&key_trail(&id), &trail).unwrap(), 4);
    }

    #[tokio::test]
    async fn rotation_issues_a_new_key_and_expires_the_old_after_the_grace() {
        let w = World::new();
        let admin = w.admin();
        let old = admin.create(new_key("acme"), [4; 32], NOW).await.unwrap();
        let (new, retired) = admin
            .rotate(&old.record.key_id, time::Duration::hours(24), [5; 32], NOW)
            .await
            .unwrap();
        assert_ne!(new.key, old.key);
        assert_eq!(new.record.client_id, "acme");
        assert_eq!(new.record.level, AccessLevel::ReadWrite);
        assert_eq!(retired.expires_at.as_deref(), Some("2026-11-29T12:00:00Z"));
        let later = NOW + time::Duration::hours(25);
        assert!(matches!(
            w.decision(&old.key, NOW).await,
            KeyDecision::Allow { .. }
        ));
        assert_eq!(
            w.decision(&old.key, later).await,
            KeyDecision::Deny(docproc_core::keys::DenyReason::Expired)
        );
        assert!(matches!(
            w.decision(&new.key, later).await,
            KeyDecision::Allow { .. }
        ));
        let trail = w.audit.trail(&key_trail(&old.record.key_id)).await.unwrap();
        assert_eq!(trail.last().unwrap().action, "key_rotated");
    }

    #[tokio::test]
    async fn rotation_never_extends_an_earlier_expiry() {
        let w = World::new();
        let admin = w.admin();
        let soon = NOW + time::Duration::hours(2);
        let old = admin
            .create(
                NewKey {
                    expires_at: Some(soon),
                    ..new_key("acme")
                },
                [6; 32],
                NOW,
            )
            .await
            .unwrap();
        let (new, retired) = admin
            .rotate(&old.record.key_id, time::Duration::hours(24), [8; 32], NOW)
            .await
            .unwrap();
        assert_eq!(retired.expires_at, Some(time_fmt::format(soon)));
        assert_eq!(new.record.expires_at, Some(time_fmt::format(soon)));
    }

    #[tokio::test]
    async fn listing_hides_keys_and_unknown_ids_and_clients_are_clear_errors() {
        let w = World::new();
        let admin = w.admin();
        admin.create(new_key("acme"), [9; 32], NOW).await.unwrap();
        admin
            .create(new_key("globex"), [10; 32], NOW)
            .await
            .unwrap();
        assert_eq!(admin.list(None).await.unwrap().len(), 2);
        assert_eq!(admin.list(Some("acme")).await.unwrap().len(), 1);
        let err = admin.list(Some("initech")).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown client \"initech\": it has no keys"
        );
        assert!(admin
            .revoke("0123456789ab")
            .await
            .unwrap_err()
            .to_string()
            .contains("no key with id"));
        assert_eq!(admin.revoke("zz").await.unwrap_err().exit_code(), 2);
    }

    #[test]
    fn expiry_accepts_dates_and_timestamps_only() {
        assert_eq!(
            parse_expiry("2027-01-31").unwrap(),
            datetime!(2027-01-31 0:00 UTC)
        );
        assert_eq!(
            parse_expiry("2027-01-31T12:30:00Z").unwrap(),
            datetime!(2027-01-31 12:30 UTC)
        );
        assert!(parse_expiry("next week")
            .unwrap_err()
            .to_string()
            .contains("not a date"));
    }

    /// The in-memory table, with `set_expiry` failing once.
    struct ExpiryFailsOnce<'a>(&'a MemoryKeys, std::sync::atomic::AtomicBool);

    impl KeyRepository for ExpiryFailsOnce<'_> {
        async fn get(&self, h: &str) -> docproc_core::ports::StoreResult<Option<ApiKeyRecord>> {
            self.0.get(h).await
        }
        async fn create(&self, r: &ApiKeyRecord) -> docproc_core::ports::StoreResult<()> {
            self.0.create(r).await
        }
        async fn list(&self) -> docproc_core::ports::StoreResult<Vec<ApiKeyRecord>> {
            self.0.list().await
        }
        async fn set_status(&self, h: &str, s: KeyStatus) -> docproc_core::ports::StoreResult<()> {
            self.0.set_status(h, s).await
        }
        async fn set_expiry(&self, h: &str, at: &str) -> docproc_core::ports::StoreResult<()> {
            if self.1.swap(false, std::sync::atomic::Ordering::SeqCst) {
                return Err(docproc_core::StoreError::Transient("throttled".into()));
            }
            self.0.set_expiry(h, at).await
        }
    }

    #[tokio::test]
    async fn a_stored_key_is_returned_even_when_its_audit_event_fails() {
        let w = World::new();
        w.audit.failures.fail_next(1);
        let issued = w
            .admin()
            .create(new_key("acme"), [3; 32], NOW)
            .await
            .unwrap();
        assert_eq!(issued.incomplete.len(), 1, "the failed step is reported");
        assert!(issued.incomplete[0].contains("audit"));
        // The printed key is the stored one and it works.
        assert!(matches!(
            w.decision(&issued.key, NOW).await,
            KeyDecision::Allow { .. }
        ));
    }

    #[tokio::test]
    async fn rotation_returns_the_new_key_even_when_retiring_the_old_fails() {
        let w = World::new();
        let old = w
            .admin()
            .create(new_key("acme"), [4; 32], NOW)
            .await
            .unwrap();
        let keys = ExpiryFailsOnce(&w.keys, std::sync::atomic::AtomicBool::new(true));
        let admin = KeyAdmin {
            keys: &keys,
            gateway: &w.gateway,
            audit: &w.audit,
            actor: "ops",
            name_prefix: "dev-docproc",
            usage_plans: &w.plans,
        };
        let (issued, _) = admin
            .rotate(&old.record.key_id, time::Duration::hours(1), [5; 32], NOW)
            .await
            .unwrap();
        assert!(matches!(
            w.decision(&issued.key, NOW).await,
            KeyDecision::Allow { .. }
        ));
        assert_eq!(issued.incomplete.len(), 1);
        assert!(
            issued.incomplete[0].contains(&format!("docproc keys revoke {}", old.record.key_id))
        );
        // The old key is untouched (still valid): nothing claims it was retired.
        assert!(matches!(
            w.decision(&old.key, NOW + time::Duration::hours(2)).await,
            KeyDecision::Allow { .. }
        ));
    }

    #[tokio::test]
    async fn revoke_and_disable_finish_when_run_again_after_api_gateway_failed() {
        let w = World::new();
        let a = w
            .admin()
            .create(new_key("acme"), [6; 32], NOW)
            .await
            .unwrap();
        let gw = a.record.gateway_key_id.clone().unwrap();
        let id = a.record.key_id.clone();
        // The table denies the key, then API Gateway fails.
        w.gateway
            .fail_next_change
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(w.admin().disable(&id).await.is_err());
        assert_eq!(
            w.decision(&a.key, NOW).await,
            KeyDecision::Deny(docproc_core::keys::DenyReason::Disabled)
        );
        assert!(
            w.gateway.keys.lock().unwrap()[&gw].2,
            "gateway key still enabled"
        );
        // Running it again finishes the job and audits it once.
        w.admin().disable(&id).await.unwrap();
        assert!(!w.gateway.keys.lock().unwrap()[&gw].2);
        w.admin().disable(&id).await.unwrap();
        // Revoke: the same, and the gateway key ends deleted.
        w.gateway
            .fail_next_change
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(w.admin().revoke(&id).await.is_err());
        w.admin().revoke(&id).await.unwrap();
        w.admin().revoke(&id).await.unwrap();
        assert!(!w.gateway.keys.lock().unwrap().contains_key(&gw));
        let trail = w.audit.trail(&key_trail(&id)).await.unwrap();
        let actions: Vec<_> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["key_created", "key_disabled", "key_revoked"]);
    }
}
