//! Lambda entry point: wires the DynamoDB permissions table into the handler.

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use docproc_aws::env::required;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    docproc_aws::init_tracing();
    let table = required("PERMISSIONS_TABLE")?;
    let config = docproc_aws::sdk_config().await;
    let keys = docproc_authorizer::table::PermissionsTable::new(
        aws_sdk_dynamodb::Client::new(&config),
        table,
    );
    let keys = &keys;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>| async move {
            let now = time::OffsetDateTime::now_utc();
            docproc_authorizer::authorize(keys, &event.payload, now)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
