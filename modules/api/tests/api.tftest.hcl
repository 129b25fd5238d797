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
  # Policy documents render to valid JSON; their statements stay as configured
  # and are asserted directly.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix          = "prod-docproc"
  api_function         = { name = "prod-docproc-api", invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:prod-docproc-api/invocations" }
  authorizer_function  = { name = "prod-docproc-authorizer", invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:prod-docproc-authorizer/invocations" }
  access_log_group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/prod-docproc-access"
  logs_kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/logs"
}

run "api_is_guarded" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this.api_key_source == "AUTHORIZER" && aws_api_gateway_rest_api.this.name == "prod-docproc-api"
    error_message = "usage plans must meter the key returned by the authorizer"
  }
  assert {
    condition     = tolist(aws_api_gateway_rest_api.this.endpoint_configuration[0].types) == tolist(["REGIONAL"])
    error_message = "REGIONAL by default"
  }
  assert {
    condition     = aws_api_gateway_authorizer.api_key.type == "REQUEST" && aws_api_gateway_authorizer.api_key.identity_source == "method.request.header.x-api-key" && aws_api_gateway_authorizer.api_key.authorizer_result_ttl_in_seconds == 300
    error_message = "REQUEST authorizer keyed on x-api-key with the configured cache TTL"
  }
  assert {
    condition     = length(aws_api_gateway_method.this) == 7 && alltrue([for m in aws_api_gateway_method.this : m.authorization == "CUSTOM" && m.api_key_required])
    error_message = "every route must use the authorizer and require a key"
  }
  assert {
    condition     = aws_api_gateway_method.this["create_document"].request_models["application/json"] == "InlineUpload" && aws_api_gateway_method.this["create_upload"].request_models["application/json"] == "PresignRequest"
    error_message = "POST bodies must be validated against their models"
  }
  assert {
    condition     = jsondecode(aws_api_gateway_model.this["InlineUpload"].schema).additionalProperties == false && jsondecode(aws_api_gateway_model.this["PresignRequest"].schema).properties.size.maximum == 5368709120
    error_message = "models must refuse unknown fields and oversized uploads"
  }
  assert {
    condition     = alltrue([for i in aws_api_gateway_integration.this : i.type == "AWS_PROXY"])
    error_message = "routes use the Lambda proxy integration"
  }
  assert {
    condition     = alltrue([for r in aws_api_gateway_gateway_response.this : can(jsondecode(replace(r.response_templates["application/json"], "$context.error.messageString", "\"x\"")).error.code)])
    error_message = "gateway responses must be JSON errors"
  }
  assert {
    condition     = aws_api_gateway_gateway_response.this["THROTTLED"].status_code == "429" && aws_api_gateway_gateway_response.this["QUOTA_EXCEEDED"].status_code == "429"
    error_message = "throttling and quota errors are 429"
  }
  assert {
    condition     = aws_api_gateway_stage.this.xray_tracing_enabled && aws_api_gateway_stage.this.access_log_settings[0].destination_arn == var.access_log_group_arn && jsondecode(aws_api_gateway_stage.this.access_log_settings[0].format).keyId == "$context.authorizer.key_id"
    error_message = "the stage must trace and write JSON access logs"
  }
  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 100 && aws_api_gateway_method_settings.all.settings[0].throttling_burst_limit == 200 && !aws_api_gateway_method_settings.all.settings[0].data_trace_enabled
    error_message = "methods must be throttled and never log bodies"
  }
  assert {
    condition     = aws_api_gateway_usage_plan.this["standard"].throttle_settings[0].rate_limit == 10 && aws_api_gateway_usage_plan.this["premium"].quota_settings[0].limit == 100000
    error_message = "usage plans per tier with throttling and quotas"
  }
  assert {
    condition     = anytrue([for r in aws_wafv2_web_acl.this.rule : length(r.statement[0].rate_based_statement) > 0 && try(r.statement[0].rate_based_statement[0].limit, 0) == 2000])
    error_message = "the WAF must rate-limit per IP"
  }
  assert {
    # Over the rate: 429 with the API's JSON error shape, so clients back off.
    condition = alltrue([for r in aws_wafv2_web_acl.this.rule : length(r.action[0].block) == 1 && alltrue([
      for b in r.action[0].block : b.custom_response[0].response_code == 429 && jsondecode([
        for body in aws_wafv2_web_acl.this.custom_response_body : body.content if body.key == b.custom_response[0].custom_response_body_key
      ][0]).error.code == "rate_limited"
    ]) if length(r.statement[0].rate_based_statement) > 0])
    error_message = "the WAF's rate limit answers 429 with a JSON error"
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.resource_policy.statement : anytrue([for c in s.condition : c.variable == "aws:SourceIp"])])
    error_message = "a REGIONAL API's resource policy limits source addresses"
  }
  assert {
    condition     = aws_cloudwatch_log_group.waf.name == "aws-waf-logs-prod-docproc-api" && aws_cloudwatch_log_group.waf.kms_key_id == var.logs_kms_key_arn
    error_message = "WAF logs go to an encrypted aws-waf-logs- group"
  }
}

run "private_api_through_the_vpc_endpoint" {
  command = plan
  variables {
    endpoint_type   = "PRIVATE"
    vpc_endpoint_id = "vpce-0123456789abcdef0"
  }
  assert {
    condition     = tolist(aws_api_gateway_rest_api.this.endpoint_configuration[0].types) == tolist(["PRIVATE"]) && tolist(aws_api_gateway_rest_api.this.endpoint_configuration[0].vpc_endpoint_ids) == tolist(["vpce-0123456789abcdef0"])
    error_message = "a PRIVATE API is bound to the execute-api endpoint"
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.resource_policy.statement : anytrue([for c in s.condition : c.variable == "aws:SourceVpce" && contains(c.values, "vpce-0123456789abcdef0")])])
    error_message = "a PRIVATE API only accepts calls through its endpoint"
  }
}

run "rejects_malformed_name_prefix" {
  command = plan
  variables {
    name_prefix = "Prod_Docproc"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_bad_stage_name" {
  command = plan
  variables {
    stage_name = "v1/beta"
  }
  expect_failures = [var.stage_name]
}

run "rejects_unknown_endpoint_type" {
  command = plan
  variables {
    endpoint_type = "EDGE"
  }
  expect_failures = [var.endpoint_type]
}

run "rejects_private_api_without_endpoint" {
  command = plan
  variables {
    endpoint_type = "PRIVATE"
  }
  expect_failures = [var.vpc_endpoint_id]
}

run "rejects_bad_endpoint_id" {
  command = plan
  variables {
    vpc_endpoint_id = "endpoint-1"
  }
  expect_failures = [var.vpc_endpoint_id]
}

run "rejects_bad_cidr" {
  command = plan
  variables {
    allowed_source_cidrs = ["10.0.0.0/33"]
  }
  expect_failures = [var.allowed_source_cidrs]
}

run "rejects_long_authorizer_cache" {
  command = plan
  variables {
    authorizer_cache_ttl_seconds = 7200
  }
  expect_failures = [var.authorizer_cache_ttl_seconds]
}

run "rejects_zero_throttle" {
  command = plan
  variables {
    throttle = { rate_limit = 0, burst_limit = 0 }
  }
  expect_failures = [var.throttle]
}

run "rejects_bad_quota_period" {
  command = plan
  variables {
    usage_plans = { standard = { rate_limit = 1, burst_limit = 1, quota_limit = 1, quota_period = "HOUR" } }
  }
  expect_failures = [var.usage_plans]
}

run "rejects_bad_tier_name" {
  command = plan
  variables {
    usage_plans = { "Gold Tier" = { rate_limit = 1, burst_limit = 1, quota_limit = 1, quota_period = "DAY" } }
  }
  expect_failures = [var.usage_plans]
}

run "rejects_tiny_waf_limit" {
  command = plan
  variables {
    waf_rate_limit = 10
  }
  expect_failures = [var.waf_rate_limit]
}

run "rejects_bad_log_group_arn" {
  command = plan
  variables {
    access_log_group_arn = "/aws/apigateway/x"
  }
  expect_failures = [var.access_log_group_arn]
}

run "rejects_bad_kms_arn" {
  command = plan
  variables {
    logs_kms_key_arn = "alias/logs"
  }
  expect_failures = [var.logs_kms_key_arn]
}

run "rejects_unsupported_retention" {
  command = plan
  variables {
    log_retention_days = 2
  }
  expect_failures = [var.log_retention_days]
}

run "stage_logging_has_the_account_role_and_an_encrypted_execution_log_group" {
  command = plan
  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && aws_iam_role_policy_attachment.apigateway_cloudwatch[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    error_message = "stage logging needs the account-level CloudWatch role (AWS refuses logging_level/access logs without it)"
  }
  assert {
    condition     = aws_cloudwatch_log_group.execution.kms_key_id == var.logs_kms_key_arn && aws_cloudwatch_log_group.execution.retention_in_days == var.log_retention_days
    error_message = "the execution log group must be pre-created with KMS and retention"
  }
  assert {
    # validationErrorString is inserted unescaped: embedding it would break the JSON body.
    condition     = alltrue([for r in aws_api_gateway_gateway_response.this : !strcontains(r.response_templates["application/json"], "validationErrorString")])
    error_message = "gateway responses must stay valid JSON"
  }
}

run "account_role_left_to_another_stack" {
  command = plan
  variables {
    manage_account_cloudwatch_role = false
  }
  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && length(aws_iam_role.apigateway_cloudwatch) == 0
    error_message = "an account whose API Gateway role is owned elsewhere must not be overwritten"
  }
}

run "waf_never_blocks_bodies_it_cannot_see" {
  command = plan
  # WAF inspects only the first 16 KB of an API Gateway request body: a size
  # rule above that, or one matching oversize bodies, blocks every upload.
  assert {
    condition = alltrue(flatten([for r in aws_wafv2_web_acl.this.rule : [for st in r.statement : [for sc in st.size_constraint_statement : [
      for f in sc.field_to_match : length(f.body) == 0 || (sc.size <= 16384 && alltrue([for b in f.body : b.oversize_handling != "MATCH"]))
    ]]]]))
    error_message = "no WAF rule may inspect a body beyond the 16 KB inspection limit"
  }
}

# docs/openapi.yaml is the REST API's description for clients: its operations
# (operationId, method, path), request body schemas and security scheme must be
# exactly what this module builds (rust/crates/core/tests/openapi.rs checks the
# same document against the Rust route table).
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
