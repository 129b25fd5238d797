# The REST API: a REQUEST authorizer keyed on x-api-key, per-key usage plans
# (API key source AUTHORIZER), request validation, JSON errors, JSON access
# logs, X-Ray, throttling and a WAF web ACL.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region = data.aws_region.current.id

  # Every route: method and resource path. Keep in sync with
  # rust/crates/core/src/access.rs (Route), which the authorizer and the
  # handler share.
  routes = {
    list_documents  = { method = "GET", resource = "documents", model = null }
    create_document = { method = "POST", resource = "documents", model = "InlineUpload" }
    create_upload   = { method = "POST", resource = "uploads", model = "PresignRequest" }
    get_document    = { method = "GET", resource = "document", model = null }
    delete_document = { method = "DELETE", resource = "document", model = null }
    get_content     = { method = "GET", resource = "content", model = null }
    get_audit       = { method = "GET", resource = "audit", model = null }
  }

  # JSON Schema (draft 4) models for the request bodies.
  models = {
    InlineUpload = {
      type                 = "object"
      additionalProperties = false
      required             = ["filename", "content_type", "content_base64"]
      properties = {
        filename       = { type = "string", minLength = 1, maxLength = 255 }
        content_type   = { type = "string", minLength = 3, maxLength = 128 }
        content_base64 = { type = "string", minLength = 4, pattern = "^[A-Za-z0-9+/]+={0,2}$" }
      }
    }
    PresignRequest = {
      type                 = "object"
      additionalProperties = false
      required             = ["filename", "content_type", "size"]
      properties = {
        filename     = { type = "string", minLength = 1, maxLength = 255 }
        content_type = { type = "string", minLength = 3, maxLength = 128 }
        size         = { type = "integer", minimum = 1, maximum = 5368709120 }
        # Base64 of the file's MD5 (required where Object Lock makes S3 demand a checksum).
        content_md5 = { type = "string", pattern = "^[A-Za-z0-9+/]{22}==$" }
      }
    }
  }

  # Every error API Gateway itself produces answers JSON without internals.
  gateway_responses = {
    DEFAULT_4XX                    = { status = null, code = "bad_request" }
    DEFAULT_5XX                    = { status = null, code = "internal_error" }
    UNAUTHORIZED                   = { status = "401", code = "unauthorized" }
    ACCESS_DENIED                  = { status = "403", code = "forbidden" }
    INVALID_API_KEY                = { status = "403", code = "forbidden" }
    MISSING_AUTHENTICATION_TOKEN   = { status = "404", code = "not_found" }
    BAD_REQUEST_BODY               = { status = "400", code = "bad_request" }
    BAD_REQUEST_PARAMETERS         = { status = "400", code = "bad_request" }
    REQUEST_TOO_LARGE              = { status = "413", code = "payload_too_large" }
    THROTTLED                      = { status = "429", code = "throttled" }
    QUOTA_EXCEEDED                 = { status = "429", code = "quota_exceeded" }
    AUTHORIZER_FAILURE             = { status = "500", code = "internal_error" }
    AUTHORIZER_CONFIGURATION_ERROR = { status = "500", code = "internal_error" }
    INTEGRATION_FAILURE            = { status = "502", code = "internal_error" }
    INTEGRATION_TIMEOUT            = { status = "504", code = "timeout" }
  }

  # Each resource's full path, from the path parts below (the OpenAPI paths).
  resource_paths = {
    documents = "/${aws_api_gateway_resource.documents.path_part}"
    uploads   = "/${aws_api_gateway_resource.documents.path_part}/${aws_api_gateway_resource.uploads.path_part}"
    document  = "/${aws_api_gateway_resource.documents.path_part}/${aws_api_gateway_resource.document.path_part}"
    content   = "/${aws_api_gateway_resource.documents.path_part}/${aws_api_gateway_resource.document.path_part}/${aws_api_gateway_resource.content.path_part}"
    audit     = "/${aws_api_gateway_resource.documents.path_part}/${aws_api_gateway_resource.document.path_part}/${aws_api_gateway_resource.audit.path_part}"
  }

  resource_ids = {
    documents = aws_api_gateway_resource.documents.id
    uploads   = aws_api_gateway_resource.uploads.id
    document  = aws_api_gateway_resource.document.id
    content   = aws_api_gateway_resource.content.id
    audit     = aws_api_gateway_resource.audit.id
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name           = "${var.name_prefix}-api"
  description    = "docproc document processing API"
  api_key_source = "AUTHORIZER"

  endpoint_configuration {
    types            = [var.endpoint_type]
    vpc_endpoint_ids = var.endpoint_type == "PRIVATE" ? [var.vpc_endpoint_id] : null
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "resource_policy" {
  statement {
    sid = "Invoke"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["execute-api:Invoke"]
    resources = ["${aws_api_gateway_rest_api.this.execution_arn}/*"]

    dynamic "condition" {
      for_each = var.endpoint_type == "PRIVATE" ? [1] : []
      content {
        test     = "StringEquals"
        variable = "aws:SourceVpce"
        values   = [var.vpc_endpoint_id]
      }
    }
    dynamic "condition" {
      for_each = var.endpoint_type == "REGIONAL" ? [1] : []
      content {
        test     = "IpAddress"
        variable = "aws:SourceIp"
        values   = var.allowed_source_cidrs
      }
    }
  }
}

resource "aws_api_gateway_rest_api_policy" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = data.aws_iam_policy_document.resource_policy.json
}

# --- Resources ----------------------------------------------------------------

resource "aws_api_gateway_resource" "documents" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "documents"
}

resource "aws_api_gateway_resource" "uploads" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.documents.id
  path_part   = "uploads"
}

resource "aws_api_gateway_resource" "document" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.documents.id
  path_part   = "{id}"
}

resource "aws_api_gateway_resource" "content" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.document.id
  path_part   = "content"
}

resource "aws_api_gateway_resource" "audit" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.document.id
  path_part   = "audit"
}

# --- Authorizer -----------------------------------------------------------------

resource "aws_api_gateway_authorizer" "api_key" {
  name                             = "${var.name_prefix}-api-key"
  rest_api_id                      = aws_api_gateway_rest_api.this.id
  type                             = "REQUEST"
  authorizer_uri                   = var.authorizer_function.invoke_arn
  identity_source                  = "method.request.header.x-api-key"
  authorizer_result_ttl_in_seconds = var.authorizer_cache_ttl_seconds
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AllowApiGatewayAuthorizer"
  action        = "lambda:InvokeFunction"
  function_name = var.authorizer_function.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${aws_api_gateway_authorizer.api_key.id}"
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = var.api_function.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/${var.stage_name}/*/*"
}

# --- Validation ---------------------------------------------------------------------

resource "aws_api_gateway_request_validator" "body" {
  name                        = "body-and-parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_request_validator" "parameters" {
  name                        = "parameters"
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  validate_request_body       = false
  validate_request_parameters = true
}

resource "aws_api_gateway_model" "this" {
  for_each = local.models

  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = each.key
  content_type = "application/json"
  schema       = jsonencode(merge({ "$schema" = "http://json-schema.org/draft-04/schema#", title = each.key }, each.value))
}

# --- Methods and integrations ---------------------------------------------------------

resource "aws_api_gateway_method" "this" {
  for_each = local.routes

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = local.resource_ids[each.value.resource]
  http_method          = each.value.method
  authorization        = "CUSTOM"
  authorizer_id        = aws_api_gateway_authorizer.api_key.id
  api_key_required     = true
  request_validator_id = each.value.model == null ? aws_api_gateway_request_validator.parameters.id : aws_api_gateway_request_validator.body.id
  request_models       = each.value.model == null ? null : { "application/json" = aws_api_gateway_model.this[each.value.model].name }
  request_parameters = merge(
    { "method.request.header.x-api-key" = true },
    contains(["document", "content", "audit"], each.value.resource) ? { "method.request.path.id" = true } : {},
  )
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = var.api_function.invoke_arn
}

# --- JSON error responses without internals -----------------------------------------

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  status_code   = each.value.status
  response_templates = {
    # messageString is already a quoted JSON string. validationErrorString
    # (which names the failing field) is inserted unescaped and contains
    # double quotes, so it cannot be embedded in a JSON body safely.
    "application/json" = "{\"error\":{\"code\":\"${each.value.code}\",\"message\":$context.error.messageString}}"
  }
}

# --- Deployment and stage ---------------------------------------------------------------

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "docproc ${var.name_prefix}"

  # Redeploy whenever anything that shapes the API changes. Only configured
  # values and resource ids are hashed: computed attributes that a refresh
  # may normalise would otherwise force needless redeployments.
  triggers = {
    redeployment = sha1(jsonencode({
      routes       = local.routes
      models       = local.models
      responses    = local.gateway_responses
      resources    = local.resource_ids
      methods      = [for m in aws_api_gateway_method.this : m.id]
      integrations = [for i in aws_api_gateway_integration.this : i.id]
      handler      = var.api_function.invoke_arn
      authorizer   = [aws_api_gateway_authorizer.api_key.id, var.authorizer_function.invoke_arn, var.authorizer_cache_ttl_seconds]
      validators   = [aws_api_gateway_request_validator.body.id, aws_api_gateway_request_validator.parameters.id]
      model_ids    = [for m in aws_api_gateway_model.this : m.id]
      gw_responses = [for r in aws_api_gateway_gateway_response.this : r.id]
      policy       = data.aws_iam_policy_document.resource_policy.json
    }))
  }

  lifecycle {
    create_before_destroy = true
  }

  # A deployment snapshots what exists when it is created: gateway responses,
  # models and the resource policy take effect only once deployed after them.
  depends_on = [
    aws_api_gateway_integration.this,
    aws_api_gateway_rest_api_policy.this,
    aws_api_gateway_gateway_response.this,
    aws_api_gateway_model.this,
  ]
}

# --- Account-level CloudWatch role and the execution log group ----------------------

# Stage logging (execution and access logs) fails with "CloudWatch Logs role
# ARN must be set in account settings" until the region's API Gateway account
# setting names a role API Gateway can assume. There is one setting per
# account and region: turn this off where another stack already owns it.
data "aws_iam_policy_document" "apigateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "apigateway_cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  name               = "${var.name_prefix}-apigateway-cloudwatch"
  description        = "Account-level role API Gateway assumes to write execution and access logs"
  assume_role_policy = data.aws_iam_policy_document.apigateway_assume.json
  tags               = var.tags
}

# The AWS managed policy AWS documents for this role: the role serves every
# REST API in the account and region, so it cannot be scoped to docproc's.
resource "aws_iam_role_policy_attachment" "apigateway_cloudwatch" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  role       = aws_iam_role.apigateway_cloudwatch[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_cloudwatch_role ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.apigateway_cloudwatch]
}

# API Gateway writes execution logs to this group name; creating it first
# gives it docproc's KMS key and retention instead of a service-made group
# that keeps plaintext logs forever.
resource "aws_cloudwatch_log_group" "execution" {
  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV2_AWS_77:The web ACL (waf.tf) includes AWSManagedRulesKnownBadInputsRuleSet (Log4j); checkov does not follow the association from the stage.
  # checkov:skip=CKV2_AWS_29:Every stage gets the web ACL (waf.tf, not optional); the scan of each env passes this check, only the module's standalone scan cannot resolve the association.
  # checkov:skip=CKV_AWS_120:Responses are per key and change with document state; caching them would serve stale or foreign data.
  # checkov:skip=CKV2_AWS_51:Clients authenticate with API keys checked by the authorizer; mutual TLS needs a custom domain, out of scope.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = true

  access_log_settings {
    destination_arn = var.access_log_group_arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      ip                 = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationLatency = "$context.integrationLatency"
      clientId           = "$context.authorizer.client_id"
      keyId              = "$context.authorizer.key_id"
      authorizerError    = "$context.authorizer.error"
      errorMessage       = "$context.error.message"
      wafStatus          = "$context.waf.status"
    })
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225:Responses are per key and change with document state; caching would serve stale or foreign data.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "INFO"
    data_trace_enabled     = false
    throttling_rate_limit  = var.throttle.rate_limit
    throttling_burst_limit = var.throttle.burst_limit
    caching_enabled        = false
  }

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

# --- Usage plans (per key: API key source AUTHORIZER) ---------------------------------------

resource "aws_api_gateway_usage_plan" "this" {
  for_each = var.usage_plans

  name        = "${var.name_prefix}-${each.key}"
  description = "docproc ${each.key} tier"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }

  quota_settings {
    limit  = each.value.quota_limit
    period = each.value.quota_period
  }

  tags = var.tags
}
