//! DynamoDB adapters.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use docproc_core::keys::{ApiKeyRecord, KeyStatus};
use docproc_core::ports::{KeyRepository, StoreResult};
use docproc_core::StoreError;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// Maps an SDK error to the port's error kinds: throttling, timeouts and
/// server errors are transient (the platform retries); a failed condition
/// is a conflict; anything else (bad request, access denied) is permanent.
pub fn classify<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> StoreError {
    let message = match err.code() {
        Some(code) => format!("{code}: {}", err.message().unwrap_or("")),
        None => format!("{err}"),
    };
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Transient(message)
        }
        SdkError::ServiceError(_) => match err.code() {
            Some("ConditionalCheckFailedException") | Some("TransactionCanceledException") => {
                StoreError::Conflict(message)
            }
            Some(c)
                if c.contains("Throttl")
                    || c == "ProvisionedThroughputExceededException"
                    || c == "RequestLimitExceeded"
                    || c == "InternalServerError"
                    || c == "ServiceUnavailable" =>
            {
                StoreError::Transient(message)
            }
            _ => StoreError::Permanent(message),
        },
        _ => StoreError::Permanent(message),
    }
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

fn malformed(table: &str, what: &str) -> StoreError {
    StoreError::Permanent(format!("malformed item in {table}: {what}"))
}

/// The permissions table: one item per API key, keyed by the key's SHA-256.
#[derive(Clone, Debug)]
pub struct DynamoKeys {
    client: Client,
    table: String,
}

impl DynamoKeys {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoKeys {
            client,
            table: table.into(),
        }
    }

    fn to_item(r: &ApiKeyRecord) -> Item {
        let mut item = Item::from([
            ("key_hash".to_string(), s(&r.key_hash)),
            ("key_id".to_string(), s(&r.key_id)),
            ("client_id".to_string(), s(&r.client_id)),
            ("level".to_string(), s(r.level.as_str())),
            ("status".to_string(), s(r.status.as_str())),
            ("tier".to_string(), s(&r.tier)),
            ("description".to_string(), s(&r.description)),
            ("created_at".to_string(), s(&r.created_at)),
        ]);
        if let Some(e) = &r.expires_at {
            item.insert("expires_at".into(), s(e));
        }
        if let Some(g) = &r.gateway_key_id {
            item.insert("gateway_key_id".into(), s(g));
        }
        item
    }

    fn record_from(&self, item: &Item) -> StoreResult<ApiKeyRecord> {
        let field = |k: &str| get_s(item, k).ok_or_else(|| malformed(&self.table, k));
        Ok(ApiKeyRecord {
            key_hash: field("key_hash")?,
            key_id: field("key_id")?,
            client_id: field("client_id")?,
            level: field("level")?
                .parse()
                .map_err(|_| malformed(&self.table, "level"))?,
            status: KeyStatus::parse(&field("status")?)
                .ok_or_else(|| malformed(&self.table, "status"))?,
            tier: get_s(item, "tier").unwrap_or_default(),
            description: get_s(item, "description").unwrap_or_default(),
            created_at: field("created_at")?,
            expires_at: get_s(item, "expires_at"),
            gateway_key_id: get_s(item, "gateway_key_id"),
        })
    }

    async fn update(&self, key_hash: &str, attr: &str, value: &str) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("key_hash", s(key_hash))
            .update_expression("SET #a = :v")
            .condition_expression("attribute_exists(key_hash)")
            .expression_attribute_names("#a", attr)
            .expression_attribute_values(":v", s(value))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

impl KeyRepository for DynamoKeys {
    async fn get(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("key_hash", s(key_hash))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item().map(|i| self.record_from(i)).transpose()
    }

    async fn create(&self, record: &ApiKeyRecord) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::to_item(record)))
            .condition_expression("attribute_not_exists(key_hash)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in page.items() {
                out.push(self.record_from(item)?);
            }
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    async fn set_status(&self, key_hash: &str, status: KeyStatus) -> StoreResult<()> {
        self.update(key_hash, "status", status.as_str()).await
    }

    async fn set_expiry(&self, key_hash: &str, expires_at: &str) -> StoreResult<()> {
        self.update(key_hash, "expires_at", expires_at).await
    }
}
