//! Lambda entry point for the documents table's stream.

use aws_lambda_events::dynamodb::Event;
use docproc_aws::env::required;
use docproc_aws::sns::SnsPublisher;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    docproc_aws::init_tracing();
    let topic = required("STATUS_TOPIC_ARN")?;
    let sdk = docproc_aws::sdk_config().await;
    let publisher = SnsPublisher::new(aws_sdk_sns::Client::new(&sdk), topic);
    let publisher = &publisher;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        // A poison record first in its batch fails the invocation: the
        // mapping bisects the batch until the record stands alone.
        docproc_notifier::notify(publisher, &event.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
