//! What the operator workflows need from AWS, as small traits.

use crate::error::OpsResult;
use std::future::Future;

/// API Gateway API keys and usage plans.
pub trait Gateway: Send + Sync {
    /// Creates an enabled API key with the given value; returns its id.
    fn create_key(
        &self,
        name: &str,
        value: &str,
        description: &str,
    ) -> impl Future<Output = OpsResult<String>> + Send;
    fn add_to_usage_plan(
        &self,
        usage_plan_id: &str,
        gateway_key_id: &str,
    ) -> impl Future<Output = OpsResult<()>> + Send;
    fn set_enabled(
        &self,
        gateway_key_id: &str,
        enabled: bool,
    ) -> impl Future<Output = OpsResult<()>> + Send;
    fn delete_key(&self, gateway_key_id: &str) -> impl Future<Output = OpsResult<()>> + Send;
}

/// One message taken from a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
}

/// A dead-letter queue.
pub trait DeadLetterQueue: Send + Sync {
    /// Receives up to `max` messages, hidden from other readers for
    /// `visibility_seconds` (0 leaves them visible: a peek).
    fn receive(
        &self,
        max: usize,
        visibility_seconds: u32,
    ) -> impl Future<Output = OpsResult<Vec<QueueMessage>>> + Send;
    fn delete(&self, receipt_handle: &str) -> impl Future<Output = OpsResult<()>> + Send;
    /// Makes a received message visible again at once.
    fn release(&self, receipt_handle: &str) -> impl Future<Output = OpsResult<()>> + Send;
}

/// The result of a synchronous Lambda invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `Some` when the function failed (`Unhandled`, `Handled`).
    pub function_error: Option<String>,
    pub payload: serde_json::Value,
}

pub trait Invoker: Send + Sync {
    fn invoke(
        &self,
        function_name: &str,
        payload: &serde_json::Value,
    ) -> impl Future<Output = OpsResult<Invocation>> + Send;
}

/// A DynamoDB stream shard range, as a stream on-failure destination records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRange {
    pub stream_arn: String,
    pub shard_id: String,
    pub start_sequence_number: String,
    pub end_sequence_number: String,
}

pub trait StreamReader: Send + Sync {
    /// The records of `range`, inclusive, each in the JSON shape Lambda
    /// delivers them in (`eventID`, `eventName`, `dynamodb`, …).
    fn read(
        &self,
        range: &ShardRange,
    ) -> impl Future<Output = OpsResult<Vec<serde_json::Value>>> + Send;
}
