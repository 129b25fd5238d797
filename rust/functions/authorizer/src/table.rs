//! The permissions table as the authorizer reads it: a strongly consistent
//! GetItem whose item is checked by `row::record_from_row`, so a malformed
//! row is told apart from a failed call. SDK errors are classified by
//! `docproc_aws::errors::classify` (throttling and 5xx are `Transient`).

use crate::row::{lookup_from_row, Attr, Row};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use docproc_aws::dynamo::DynamoKeys;
use docproc_aws::errors::classify;
use docproc_core::keys::{ApiKeyRecord, KeyStatus};
use docproc_core::ports::{KeyLookup, KeyRepository, StoreResult};
use docproc_core::StoreError;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct PermissionsTable {
    client: Client,
    table: String,
    /// Everything but the lookup is the shared adapter's.
    keys: DynamoKeys,
}

impl PermissionsTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let table = table.into();
        PermissionsTable {
            keys: DynamoKeys::new(client.clone(), table.clone()),
            client,
            table,
        }
    }
}

/// The type name of a non-string attribute, as DynamoDB spells it.
fn type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        AttributeValue::M(_) => "M",
        AttributeValue::L(_) => "L",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        _ => "unknown",
    }
}

pub fn row_of(item: &HashMap<String, AttributeValue>) -> Row {
    item.iter()
        .map(|(k, v)| {
            let attr = match v {
                AttributeValue::S(s) => Attr::S(s.clone()),
                other => Attr::Other(type_name(other)),
            };
            (k.clone(), attr)
        })
        .collect()
}

impl KeyRepository for PermissionsTable {
    async fn get(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        match self.lookup(key_hash).await? {
            KeyLookup::Missing => Ok(None),
            KeyLookup::Found(r) => Ok(Some(r)),
            KeyLookup::Malformed(problem) => Err(StoreError::Permanent(format!(
                "malformed item in {}: {problem}",
                self.table
            ))),
        }
    }

    async fn lookup(&self, key_hash: &str) -> StoreResult<KeyLookup> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("key_hash", AttributeValue::S(key_hash.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(lookup_from_row(out.item().map(row_of).as_ref(), key_hash))
    }

    async fn create(&self, record: &ApiKeyRecord) -> StoreResult<()> {
        self.keys.create(record).await
    }

    async fn list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        self.keys.list().await
    }

    async fn set_status(&self, key_hash: &str, status: KeyStatus) -> StoreResult<()> {
        self.keys.set_status(key_hash, status).await
    }

    async fn set_expiry(&self, key_hash: &str, expires_at: &str) -> StoreResult<()> {
        self.keys.set_expiry(key_hash, expires_at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistyped_attributes_reach_the_parser_as_their_type() {
        let hash = "ab".repeat(32);
        let item = HashMap::from([
            ("key_hash".to_string(), AttributeValue::S(hash.clone())),
            ("client_id".to_string(), AttributeValue::S("acme".into())),
            ("level".to_string(), AttributeValue::N("3".into())),
            ("status".to_string(), AttributeValue::S("active".into())),
        ]);
        let row = row_of(&item);
        assert_eq!(row["level"], Attr::Other("N"));
        assert_eq!(
            lookup_from_row(Some(&row), &hash),
            KeyLookup::Malformed("level is of type N, not S".into())
        );
    }
}
