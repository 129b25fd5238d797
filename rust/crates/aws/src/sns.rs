//! SNS adapter: one message per status change, with attributes for
//! subscription filter policies.

use crate::errors::classify;
use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;
use docproc_core::ports::{Publisher, StatusChange, StoreResult};
use docproc_core::StoreError;

#[derive(Clone, Debug)]
pub struct SnsPublisher {
    client: Client,
    topic_arn: String,
}

impl SnsPublisher {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        SnsPublisher {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn string_attr(value: &str) -> StoreResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| StoreError::Permanent(e.to_string()))
}

impl Publisher for SnsPublisher {
    async fn publish(&self, change: &StatusChange) -> StoreResult<()> {
        let message =
            serde_json::to_string(change).map_err(|e| StoreError::Permanent(e.to_string()))?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(match &change.refused_version {
                None => format!(
                    "docproc: document {} is {}",
                    change.document_id, change.new_status
                ),
                Some(_) => format!("docproc: document {} refused an upload", change.document_id),
            })
            .message(message)
            .message_attributes("event_type", string_attr(change.event_type())?)
            .message_attributes("status", string_attr(change.new_status.as_str())?)
            .message_attributes("client_id", string_attr(&change.client_id)?)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
