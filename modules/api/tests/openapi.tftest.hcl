# docs/openapi.yaml is the REST API's description for clients: its operations
# (operationId, method, path), request body schemas and security scheme must be
# exactly what this module builds. rust/crates/core/tests/openapi.rs checks the
# same document against the Rust route table.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { id = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix          = "dev-docproc"
  api_function         = { name = "dev-docproc-api", invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:dev-docproc-api/invocations" }
  authorizer_function  = { name = "dev-docproc-authorizer", invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:dev-docproc-authorizer/invocations" }
  access_log_group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/dev-docproc-access"
  logs_kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/logs"
}

run "openapi_document_agrees_with_the_routes_and_models" {
  command = plan

  assert {
    condition = { for k, r in output.routes : k => { method = r.method, path = r.path } } == merge([
      for path, item in yamldecode(file("../../docs/openapi.yaml")).paths : {
        for method, op in item : op.operationId => { method = upper(method), path = path } if method != "parameters"
      }
    ]...)
    error_message = "docs/openapi.yaml and the API's routes disagree (operationId, method or path)"
  }
  assert {
    condition = alltrue(flatten([
      for path, item in yamldecode(file("../../docs/openapi.yaml")).paths : [
        for method, op in item : (
          output.routes[op.operationId].model == null ? !can(op.requestBody) :
          op.requestBody.content["application/json"].schema["$ref"] == "#/components/schemas/${output.routes[op.operationId].model}"
        ) if method != "parameters"
      ]
    ]))
    error_message = "every route with a request model has that schema as its OpenAPI request body, and no other route has a body"
  }
  assert {
    condition = alltrue([
      for name, model in output.request_models :
      jsonencode(yamldecode(file("../../docs/openapi.yaml")).components.schemas[name]) == jsonencode(model)
    ])
    error_message = "the OpenAPI request schemas must equal the models API Gateway validates with"
  }
  assert {
    condition = (
      yamldecode(file("../../docs/openapi.yaml")).components.securitySchemes.apiKey.type == "apiKey" &&
      yamldecode(file("../../docs/openapi.yaml")).components.securitySchemes.apiKey.in == "header" &&
      "method.request.header.${yamldecode(file("../../docs/openapi.yaml")).components.securitySchemes.apiKey.name}" == aws_api_gateway_authorizer.api_key.identity_source
    )
    error_message = "the OpenAPI security scheme is the x-api-key header the authorizer reads"
  }
}
