//! DynamoDB adapters.

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use docproc_core::audit::{AuditEvent, AuditHead};
use docproc_core::document::{Document, DocumentStatus, UploadMethod, MAX_REFUSED_VERSIONS};
use docproc_core::keys::{ApiKeyRecord, KeyStatus};
use docproc_core::pagination::{Page, PageToken};
use docproc_core::ports::{
    Appended, AuditRepository, DocumentRepository, KeyRepository, ListQuery, OutcomeWrite,
    ProcessingOutcome, StoreResult,
};
use docproc_core::StoreError;
use std::collections::HashMap;

pub use crate::errors::classify;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn get_s(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

fn malformed(table: &str, what: &str) -> StoreError {
    StoreError::Permanent(format!("malformed item in {table}: {what}"))
}

/// Strongly consistent read of one item by its string partition key.
async fn get_by_key(
    client: &Client,
    table: &str,
    key: &str,
    value: &str,
) -> StoreResult<Option<Item>> {
    let out = client
        .get_item()
        .table_name(table)
        .key(key, s(value))
        .consistent_read(true)
        .send()
        .await
        .map_err(classify)?;
    Ok(out.item().cloned())
}

/// Writes an item only if none exists with the same `key`; `Conflict` otherwise.
async fn put_if_absent(client: &Client, table: &str, item: Item, key: &str) -> StoreResult<()> {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(format!("attribute_not_exists({key})"))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
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
        let item = get_by_key(&self.client, &self.table, "key_hash", key_hash).await?;
        item.map(|i| self.record_from(&i)).transpose()
    }

    async fn create(&self, record: &ApiKeyRecord) -> StoreResult<()> {
        put_if_absent(&self.client, &self.table, Self::to_item(record), "key_hash").await
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

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn get_n(item: &Item, key: &str) -> Option<u64> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|s| s.parse().ok())
}

/// The documents table: one item per document, keyed by `document_id`, with
/// GSIs `by_client` (client_id, created_at) and `by_status` (status, created_at).
#[derive(Clone, Debug)]
pub struct DynamoDocuments {
    client: Client,
    table: String,
}

pub const BY_CLIENT_INDEX: &str = "by_client";
pub const BY_STATUS_INDEX: &str = "by_status";

impl DynamoDocuments {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDocuments {
            client,
            table: table.into(),
        }
    }

    fn to_item(d: &Document) -> Item {
        let mut item = Item::from([
            ("document_id".to_string(), s(&d.document_id)),
            ("client_id".to_string(), s(&d.client_id)),
            ("status".to_string(), s(d.status.as_str())),
            ("filename".to_string(), s(&d.filename)),
            ("declared_type".to_string(), s(&d.declared_type)),
            (
                "upload_method".to_string(),
                s(match d.upload_method {
                    UploadMethod::Inline => "inline",
                    UploadMethod::Presigned => "presigned",
                }),
            ),
            ("size".to_string(), n(d.size)),
            ("object_key".to_string(), s(&d.object_key)),
            ("created_at".to_string(), s(&d.created_at)),
            ("updated_at".to_string(), s(&d.updated_at)),
        ]);
        let optional = [
            ("request_hash", &d.request_hash),
            ("sha256", &d.sha256),
            ("detected_format", &d.detected_format),
            ("reason_code", &d.reason_code),
            ("reason_message", &d.reason_message),
            ("source_sequencer", &d.source_sequencer),
            ("source_version", &d.source_version),
            ("object_version", &d.object_version),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                item.insert(k.to_string(), s(v));
            }
        }
        if let Some(m) = &d.metadata {
            item.insert("metadata_json".to_string(), s(m.to_string()));
        }
        // A string set cannot be empty in DynamoDB: no refusals, no attribute.
        if !d.refused_versions.is_empty() {
            item.insert(
                "refused_versions".to_string(),
                AttributeValue::Ss(d.refused_versions.iter().cloned().collect()),
            );
        }
        item
    }

    fn document_from(&self, item: &Item) -> StoreResult<Document> {
        let field = |k: &str| get_s(item, k).ok_or_else(|| malformed(&self.table, k));
        Ok(Document {
            document_id: field("document_id")?,
            client_id: field("client_id")?,
            status: DocumentStatus::parse(&field("status")?)
                .ok_or_else(|| malformed(&self.table, "status"))?,
            filename: field("filename")?,
            declared_type: field("declared_type")?,
            upload_method: if get_s(item, "upload_method").as_deref() == Some("presigned") {
                UploadMethod::Presigned
            } else {
                UploadMethod::Inline
            },
            size: get_n(item, "size").unwrap_or(0),
            object_key: field("object_key")?,
            created_at: field("created_at")?,
            updated_at: field("updated_at")?,
            request_hash: get_s(item, "request_hash"),
            sha256: get_s(item, "sha256"),
            detected_format: get_s(item, "detected_format"),
            reason_code: get_s(item, "reason_code"),
            reason_message: get_s(item, "reason_message"),
            metadata: get_s(item, "metadata_json").and_then(|m| serde_json::from_str(&m).ok()),
            source_sequencer: get_s(item, "source_sequencer"),
            source_version: get_s(item, "source_version"),
            object_version: get_s(item, "object_version"),
            refused_versions: item
                .get("refused_versions")
                .and_then(|v| v.as_ss().ok())
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default(),
        })
    }
}

fn token_to_key(t: &PageToken) -> Item {
    t.0.iter().map(|(k, v)| (k.clone(), s(v))).collect()
}

fn key_to_token(k: &Item) -> PageToken {
    PageToken(
        k.iter()
            .filter_map(|(name, v)| v.as_s().ok().map(|s| (name.clone(), s.clone())))
            .collect(),
    )
}

impl DocumentRepository for DynamoDocuments {
    async fn get(&self, document_id: &str) -> StoreResult<Option<Document>> {
        let item = get_by_key(&self.client, &self.table, "document_id", document_id).await?;
        item.map(|i| self.document_from(&i)).transpose()
    }

    async fn create(&self, document: &Document) -> StoreResult<()> {
        put_if_absent(
            &self.client,
            &self.table,
            Self::to_item(document),
            "document_id",
        )
        .await
    }

    async fn record_outcome(&self, o: &ProcessingOutcome) -> StoreResult<OutcomeWrite> {
        // A verdict is final: only a PENDING document takes one, so of two
        // deliveries judging at once exactly one write succeeds. "DynamoDB
        // performs the condition check and the write as a single atomic
        // operation" (conditional writes,
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("document_id", s(&o.document_id))
            .condition_expression("attribute_exists(document_id) AND #status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":pending", s(DocumentStatus::Pending.as_str()))
            .expression_attribute_values(":seq", s(&o.sequencer))
            .expression_attribute_values(":status", s(o.status.as_str()))
            .expression_attribute_values(":size", n(o.size))
            .expression_attribute_values(":key", s(&o.object_key))
            .expression_attribute_values(":at", s(&o.updated_at))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld);
        let mut set = vec![
            "#status = :status",
            "#size = :size",
            "object_key = :key",
            "updated_at = :at",
            "source_sequencer = :seq",
        ];
        let mut remove = Vec::new();
        let optional = [
            ("sha256", ":sha", o.sha256.clone()),
            ("detected_format", ":fmt", o.detected_format.clone()),
            ("reason_code", ":rc", o.reason_code.clone()),
            ("reason_message", ":rm", o.reason_message.clone()),
            (
                "metadata_json",
                ":md",
                o.metadata.as_ref().map(|m| m.to_string()),
            ),
            ("source_version", ":ver", o.version_id.clone()),
            ("object_version", ":over", o.object_version.clone()),
        ];
        let mut clauses = Vec::new();
        for (attr, placeholder, value) in optional {
            match value {
                Some(v) => {
                    clauses.push(format!("{attr} = {placeholder}"));
                    update = update.expression_attribute_values(placeholder, s(v));
                }
                None => remove.push(attr),
            }
        }
        set.extend(clauses.iter().map(String::as_str));
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        match update
            .update_expression(expression)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => {
                let previous = out
                    .attributes()
                    .ok_or_else(|| malformed(&self.table, "no previous image"))?;
                Ok(OutcomeWrite::Applied {
                    previous: Box::new(self.document_from(previous)?),
                })
            }
            Err(StoreError::Conflict(_)) => match self.get(&o.document_id).await? {
                Some(_) => Ok(OutcomeWrite::Stale),
                None => Err(StoreError::Conflict(format!(
                    "document {} does not exist",
                    o.document_id
                ))),
            },
            Err(e) => Err(e),
        }
    }

    async fn record_refusal(&self, document_id: &str, version_id: &str) -> StoreResult<bool> {
        // ADD to a string set, only when the id is not in it yet: a write
        // that adds nothing fails its condition instead, so the stream holds
        // one record per refused version ("If you perform a PutItem or
        // UpdateItem operation that does not change any data in an item,
        // DynamoDB Streams does not write a stream record for that
        // operation", Streams.html). The list is capped (items hold 400 KB);
        // past the cap the refusal is only audited.
        let written = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("document_id", s(document_id))
            .update_expression("ADD refused_versions :v")
            .condition_expression(
                "attribute_exists(document_id) AND (attribute_not_exists(refused_versions) OR (size(refused_versions) < :cap AND NOT contains(refused_versions, :id)))",
            )
            .expression_attribute_values(":v", AttributeValue::Ss(vec![version_id.to_string()]))
            .expression_attribute_values(":id", s(version_id))
            .expression_attribute_values(":cap", n(MAX_REFUSED_VERSIONS as u64))
            .send()
            .await
            .map_err(classify);
        match written {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn mark_deleted(&self, document_id: &str, at: &str) -> StoreResult<Document> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("document_id", s(document_id))
            .update_expression("SET #status = :deleted, updated_at = :at")
            .condition_expression("attribute_exists(document_id) AND #status <> :deleted")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":deleted", s(DocumentStatus::Deleted.as_str()))
            .expression_attribute_values(":at", s(at))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(classify)?;
        self.document_from(
            out.attributes()
                .ok_or_else(|| malformed(&self.table, "no new image"))?,
        )
    }

    async fn list(&self, q: &ListQuery) -> StoreResult<Page<Document>> {
        let start = q.start.as_ref().map(token_to_key);
        let limit = q.limit as i32;
        let (items, last) = match (&q.client_id, q.status) {
            (Some(client), status) => {
                let mut query = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(BY_CLIENT_INDEX)
                    .key_condition_expression("client_id = :c")
                    .expression_attribute_values(":c", s(client))
                    .scan_index_forward(false)
                    .limit(limit)
                    .set_exclusive_start_key(start);
                if let Some(st) = status {
                    query = query
                        .filter_expression("#status = :s")
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":s", s(st.as_str()));
                }
                let out = query.send().await.map_err(classify)?;
                (out.items().to_vec(), out.last_evaluated_key().cloned())
            }
            (None, Some(st)) => {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(BY_STATUS_INDEX)
                    .key_condition_expression("#status = :s")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":s", s(st.as_str()))
                    .scan_index_forward(false)
                    .limit(limit)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(classify)?;
                (out.items().to_vec(), out.last_evaluated_key().cloned())
            }
            (None, None) => {
                let out = self
                    .client
                    .scan()
                    .table_name(&self.table)
                    .limit(limit)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(classify)?;
                (out.items().to_vec(), out.last_evaluated_key().cloned())
            }
        };
        let items = items
            .iter()
            .map(|i| self.document_from(i))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            next: last.filter(|k| !k.is_empty()).map(|k| key_to_token(&k)),
        })
    }
}

/// The audit table: key (document_id, seq).
#[derive(Clone, Debug)]
pub struct DynamoAudit {
    client: Client,
    table: String,
}

impl DynamoAudit {
    /// TransactWriteItems, retried while it is cancelled for throttling or a
    /// concurrent transaction (not a failed condition: that is a lost race,
    /// which the caller resolves by re-reading the anchor). Exponential
    /// backoff with full jitter, as AWS's retry guidance recommends
    /// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
    async fn transact_with_backoff(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> StoreResult<()> {
        const ATTEMPTS: u32 = 5;
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(crate::errors::classify_transaction);
            match result {
                Err(StoreError::Transient(why)) if attempt + 1 < ATTEMPTS => {
                    attempt += 1;
                    let cap_ms = 50u64 << attempt.min(6);
                    let jitter = getrandom::u64().unwrap_or(0) % cap_ms;
                    tracing::warn!(attempt, why, "audit append throttled; backing off");
                    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
                }
                other => return other,
            }
        }
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoAudit {
            client,
            table: table.into(),
        }
    }

    fn event_from(&self, item: &Item) -> StoreResult<AuditEvent> {
        let field = |k: &str| get_s(item, k).ok_or_else(|| malformed(&self.table, k));
        Ok(AuditEvent {
            document_id: field("document_id")?,
            seq: get_n(item, "seq").ok_or_else(|| malformed(&self.table, "seq"))?,
            at: field("at")?,
            actor: field("actor")?,
            action: field("action")?,
            outcome: field("outcome")?,
            detail: field("detail")?,
            prev_hash: field("prev_hash")?,
            hash: field("hash")?,
        })
    }
}

/// The anchor and dedupe claims live in the audit table beside the events,
/// at sequence number 0 (events start at 1): the anchor under the trail's
/// own id, each claim under `<trail>#dedupe#<key>`. One TransactWriteItems
/// writes the event, moves the anchor and makes the claim, or none of them
/// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
const ANCHOR_SEQ: u64 = 0;

fn dedupe_partition(document_id: &str, dedupe: &str) -> String {
    format!("{document_id}#dedupe#{dedupe}")
}

impl DynamoAudit {
    async fn get(&self, partition: &str, seq: u64) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("document_id", s(partition))
            .key("seq", n(seq))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item().cloned())
    }

    async fn query(
        &self,
        document_id: &str,
        after: u64,
        limit: Option<u32>,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut events = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let remaining = limit.map(|l| l.saturating_sub(events.len() as u32));
            if remaining == Some(0) {
                return Ok(events);
            }
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("document_id = :d AND seq > :after")
                .expression_attribute_values(":d", s(document_id))
                .expression_attribute_values(":after", n(after))
                .consistent_read(true)
                .set_limit(remaining.map(|r| r as i32))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in out.items() {
                events.push(self.event_from(item)?);
            }
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(events),
            }
        }
    }
}

impl AuditRepository for DynamoAudit {
    async fn trail(&self, document_id: &str) -> StoreResult<Vec<AuditEvent>> {
        self.query(document_id, ANCHOR_SEQ, None).await
    }

    async fn page(
        &self,
        document_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        // Events start at 1, so `seq > after` never returns the anchor.
        self.query(document_id, after, Some(limit)).await
    }

    async fn head(&self, document_id: &str) -> StoreResult<Option<AuditHead>> {
        let Some(item) = self.get(document_id, ANCHOR_SEQ).await? else {
            return Ok(None);
        };
        Ok(Some(AuditHead {
            seq: get_n(&item, "head_seq").ok_or_else(|| malformed(&self.table, "head_seq"))?,
            hash: get_s(&item, "head_hash").ok_or_else(|| malformed(&self.table, "head_hash"))?,
        }))
    }

    async fn append(&self, e: &AuditEvent, dedupe: Option<&str>) -> StoreResult<Appended> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let event = Item::from([
            ("document_id".to_string(), s(&e.document_id)),
            ("seq".to_string(), n(e.seq)),
            ("at".to_string(), s(&e.at)),
            ("actor".to_string(), s(&e.actor)),
            ("action".to_string(), s(&e.action)),
            ("outcome".to_string(), s(&e.outcome)),
            ("detail".to_string(), s(&e.detail)),
            ("prev_hash".to_string(), s(&e.prev_hash)),
            ("hash".to_string(), s(&e.hash)),
        ]);
        let anchor = Item::from([
            ("document_id".to_string(), s(&e.document_id)),
            ("seq".to_string(), n(ANCHOR_SEQ)),
            ("head_seq".to_string(), n(e.seq)),
            ("head_hash".to_string(), s(&e.hash)),
        ]);
        let put = |item: Item, condition: &str| {
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .build()
                .map(|p| TransactWriteItem::builder().put(p).build())
                .map_err(|err| StoreError::Permanent(format!("audit append request: {err}")))
        };
        let mut anchor_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(anchor));
        // The anchor moves only from the event's predecessor: a concurrent
        // writer that appended first makes this transaction fail (Conflict).
        anchor_put = if e.seq == 1 {
            anchor_put.condition_expression("attribute_not_exists(document_id)")
        } else {
            anchor_put
                .condition_expression("head_seq = :previous")
                .expression_attribute_values(":previous", n(e.seq - 1))
        };
        let anchor_put = anchor_put
            .build()
            .map(|p| TransactWriteItem::builder().put(p).build())
            .map_err(|err| StoreError::Permanent(format!("audit append request: {err}")))?;
        let mut items = vec![put(event, "attribute_not_exists(seq)")?, anchor_put];
        if let Some(d) = dedupe {
            let claim = Item::from([
                (
                    "document_id".to_string(),
                    s(dedupe_partition(&e.document_id, d)),
                ),
                ("seq".to_string(), n(ANCHOR_SEQ)),
                ("event_seq".to_string(), n(e.seq)),
            ]);
            items.push(put(claim, "attribute_not_exists(document_id)")?);
        }
        let written = self.transact_with_backoff(items).await;
        match written {
            Ok(_) => Ok(Appended::Stored),
            Err(StoreError::Conflict(why)) => {
                // Lost to a concurrent append, or the dedupe key is taken.
                let claimed = match dedupe {
                    Some(d) => {
                        self.get(&dedupe_partition(&e.document_id, d), ANCHOR_SEQ)
                            .await?
                    }
                    None => None,
                };
                let Some(seq) = claimed.as_ref().and_then(|c| get_n(c, "event_seq")) else {
                    return Err(StoreError::Conflict(why));
                };
                let existing = self
                    .get(&e.document_id, seq)
                    .await?
                    .ok_or_else(|| malformed(&self.table, "dedupe claim without its event"))?;
                Ok(Appended::Duplicate(self.event_from(&existing)?))
            }
            Err(other) => Err(other),
        }
    }
}
