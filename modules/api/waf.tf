# WAF on the stage: a per-IP rate-based rule and AWS's known-bad-inputs rules.
# No body-size rule: for API Gateway, WAF inspects only the first 16 KB of a
# body (64 KB at most with association_config), so it cannot see a 4 MiB
# upload's size; a size rule with oversize_handling MATCH would block every
# upload above 16 KB. API Gateway's 10 MB payload limit and the API handler's
# 413 enforce body sizes instead (docs/aws-contracts.md: WAF body inspection).

resource "aws_wafv2_web_acl" "this" {
  name        = "${var.name_prefix}-api"
  description = "docproc API protection"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  # A client over the per-IP rate gets 429 and docproc's JSON error, as for the
  # stage's own throttling, instead of WAF's bare 403: it backs off and retries
  # rather than reading a refused key (a WAF custom response takes precedence
  # over API Gateway's gateway responses).
  custom_response_body {
    key          = "rate_limited"
    content_type = "APPLICATION_JSON"
    content = jsonencode({
      error = { code = "rate_limited", message = "Too many requests from this address; retry later." }
    })
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1
    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "rate_limited"
        }
      }
    }
    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name_prefix}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name_prefix}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name_prefix}-api"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "stage" {
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# WAF requires log group names starting with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name_prefix}-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
}
