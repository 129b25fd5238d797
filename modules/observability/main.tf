# Logs, metrics, alarms, dashboard and CloudTrail for one docproc environment.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.id
  partition  = data.aws_partition.current.partition
  namespace  = "docproc/${var.name_prefix}"
}

# --- Log groups -------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "function" {
  for_each = toset(var.function_keys)

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${var.name_prefix}-access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# --- Metric filters ---------------------------------------------------------------------

resource "aws_cloudwatch_log_metric_filter" "authorizer_denials" {
  name           = "${var.name_prefix}-authorizer-denials"
  log_group_name = aws_cloudwatch_log_group.function["authorizer"].name
  pattern        = "{ $.fields.outcome = \"deny\" }"

  metric_transformation {
    name          = "AuthorizerDenials"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_log_metric_filter" "rejected_documents" {
  name           = "${var.name_prefix}-rejected-documents"
  log_group_name = aws_cloudwatch_log_group.function["processor"].name
  pattern        = "{ $.fields.status = \"REJECTED\" }"

  metric_transformation {
    name          = "RejectedDocuments"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
  }
}

# --- Alarm topic --------------------------------------------------------------------------

locals {
  # Every alarm notifies its own topic and the topics it was given, when it
  # fires and when it clears.
  alarm_targets = concat([aws_sns_topic.alarms.arn], var.alarm_topic_arns)
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "alarm_topic" {
  statement {
    sid = "CloudWatchAlarms"
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid = "OwnAccountOnly"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions   = ["sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.alarms.arn]
  }

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.alarms.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarm_topic.json
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# --- Alarms ---------------------------------------------------------------------------------

locals {
  function_alarms = merge(
    { for k, name in var.function_names : "${k}-errors" => {
      description = "${name} reported errors: check its logs; async failures land in the DLQ."
      namespace   = "AWS/Lambda", metric = "Errors", statistic = "Sum", period = 300
      threshold   = var.thresholds.function_errors, dimensions = { FunctionName = name }
    } },
    { for k, name in var.function_names : "${k}-throttles" => {
      description = "${name} was throttled: reserved concurrency or the account limit is too low."
      namespace   = "AWS/Lambda", metric = "Throttles", statistic = "Sum", period = 300
      threshold   = var.thresholds.function_throttles, dimensions = { FunctionName = name }
    } },
  )

  queue_alarms = { for k, name in var.dlq_names : "${k}-dlq-depth" => {
    description = "Events are waiting in ${name}: inspect with `docproc dlq list` and redrive."
    namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", period = 300
    threshold   = var.thresholds.dlq_messages, dimensions = { QueueName = name }
  } }

  other_alarms = {
    stream-iterator-age = {
      description = "The notifier is falling behind the documents stream."
      namespace   = "AWS/Lambda", metric = "IteratorAge", statistic = "Maximum", period = 300
      threshold   = var.thresholds.iterator_age_ms, dimensions = { FunctionName = var.function_names["notifier"] }
    }
    api-5xx = {
      description = "The API returned server errors."
      namespace   = "AWS/ApiGateway", metric = "5XXError", statistic = "Sum", period = 300
      threshold   = var.thresholds.api_5xx, dimensions = { ApiName = var.api_name, Stage = var.api_stage }
    }
    api-4xx = {
      description = "Unusually many client errors (bad keys, validation failures, throttling)."
      namespace   = "AWS/ApiGateway", metric = "4XXError", statistic = "Sum", period = 300
      threshold   = var.thresholds.api_4xx, dimensions = { ApiName = var.api_name, Stage = var.api_stage }
    }
    authorizer-denial-spike = {
      description = "Many API key denials: a leaked, revoked or guessed key is being tried."
      namespace   = local.namespace, metric = "AuthorizerDenials", statistic = "Sum", period = 300
      threshold   = var.thresholds.denials_per_5min, dimensions = {}
    }
    rejected-documents = {
      description = "Many documents rejected: a client is sending hostile or broken files."
      namespace   = local.namespace, metric = "RejectedDocuments", statistic = "Sum", period = 300
      threshold   = var.thresholds.rejected_per_5min, dimensions = {}
    }
  }

  alarms = merge(local.function_alarms, local.queue_alarms, local.other_alarms)

  # AWS publishes DynamoDB's ThrottledRequests and SystemErrors per TableName
  # and Operation only: an alarm on TableName alone never gets data. Each
  # table alarm sums the operations docproc calls.
  table_alarms = merge([for k, table in var.table_names : {
    "${k}-throttled" = {
      table       = table, metric = "ThrottledRequests"
      description = "DynamoDB throttled requests on ${table}."
    }
    "${k}-system-errors" = {
      table       = table, metric = "SystemErrors"
      description = "DynamoDB returned server errors on ${table}."
    }
  }]...)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = each.value.dimensions
  alarm_actions       = local.alarm_targets
  ok_actions          = local.alarm_targets
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "table" {
  for_each = local.table_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_targets
  ok_actions          = local.alarm_targets
  tags                = var.tags

  metric_query {
    id          = "total"
    expression  = "SUM([${join(", ", [for i, _ in var.table_operations : "m${i}"])}])"
    label       = "${each.value.metric} (all operations)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = var.table_operations
    content {
      id = "m${metric_query.key}"
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = each.value.metric
        period      = 300
        stat        = "Sum"
        dimensions  = { TableName = each.value.table, Operation = metric_query.value }
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  alarm_name          = "${var.name_prefix}-api-latency-p99"
  alarm_description   = "API p99 latency is high."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.thresholds.api_latency_p99_ms
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = { ApiName = var.api_name, Stage = var.api_stage }
  alarm_actions       = local.alarm_targets
  ok_actions          = local.alarm_targets
  tags                = var.tags
}

# --- Dashboard ------------------------------------------------------------------------------

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}-overview"
  dashboard_body = jsonencode({
    widgets = [
      { type = "metric", x = 0, y = 0, width = 12, height = 6, properties = {
        title = "Lambda errors and throttles", region = local.region, stat = "Sum", period = 300,
        metrics = concat(
          [for name in values(var.function_names) : ["AWS/Lambda", "Errors", "FunctionName", name]],
          [for name in values(var.function_names) : ["AWS/Lambda", "Throttles", "FunctionName", name]],
        )
      } },
      { type = "metric", x = 12, y = 0, width = 12, height = 6, properties = {
        title   = "API requests and errors", region = local.region, stat = "Sum", period = 300,
        metrics = [for m in ["Count", "4XXError", "5XXError"] : ["AWS/ApiGateway", m, "ApiName", var.api_name, "Stage", var.api_stage]]
      } },
      { type = "metric", x = 0, y = 6, width = 12, height = 6, properties = {
        title   = "Documents and keys", region = local.region, stat = "Sum", period = 300,
        metrics = [[local.namespace, "RejectedDocuments"], [local.namespace, "AuthorizerDenials"]]
      } },
      { type = "metric", x = 12, y = 6, width = 12, height = 6, properties = {
        title   = "Dead-letter queues", region = local.region, stat = "Maximum", period = 300,
        metrics = [for name in values(var.dlq_names) : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name]]
      } },
    ]
  })
}
