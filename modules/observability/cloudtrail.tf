# CloudTrail: object-level events on the documents bucket, plus (unless an
# account or organization trail already records them) multi-region management
# events; log file validation, KMS encryption, delivered to the log bucket and
# to CloudWatch Logs (where the unauthorized-calls filter watches). The log
# bucket name comes from the storage module through its bucket policy, so the
# trail is created after the policy CreateTrail checks.

resource "aws_cloudwatch_log_group" "cloudtrail" {
  count = var.cloudtrail_enabled ? 1 : 0

  name              = "/aws/cloudtrail/${var.name_prefix}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "cloudtrail_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "cloudtrail" {
  count = var.cloudtrail_enabled ? 1 : 0

  name               = "${var.name_prefix}-cloudtrail"
  assume_role_policy = data.aws_iam_policy_document.cloudtrail_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "cloudtrail_logs" {
  count = var.cloudtrail_enabled ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.cloudtrail[0].arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "cloudtrail" {
  count = var.cloudtrail_enabled ? 1 : 0

  name   = "deliver-to-cloudwatch-logs"
  role   = aws_iam_role.cloudtrail[0].id
  policy = data.aws_iam_policy_document.cloudtrail_logs[0].json
}

resource "aws_sns_topic" "cloudtrail" {
  count = var.cloudtrail_enabled ? 1 : 0

  name              = "${var.name_prefix}-cloudtrail"
  kms_master_key_id = var.logs_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "cloudtrail_topic" {
  count = var.cloudtrail_enabled ? 1 : 0

  statement {
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.cloudtrail[0].arn]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sns:Publish", "sns:Subscribe"]
    resources = [aws_sns_topic.cloudtrail[0].arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "cloudtrail" {
  count = var.cloudtrail_enabled ? 1 : 0

  arn    = aws_sns_topic.cloudtrail[0].arn
  policy = data.aws_iam_policy_document.cloudtrail_topic[0].json
}

resource "aws_cloudtrail" "this" {
  count = var.cloudtrail_enabled ? 1 : 0

  name                          = "${var.name_prefix}-trail"
  s3_bucket_name                = var.logs_bucket_name
  s3_key_prefix                 = "cloudtrail"
  kms_key_id                    = var.logs_kms_key_arn
  enable_log_file_validation    = true
  include_global_service_events = var.cloudtrail_management_events
  is_multi_region_trail         = var.cloudtrail_management_events
  sns_topic_name                = aws_sns_topic.cloudtrail[0].name
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail[0].arn

  event_selector {
    read_write_type           = "All"
    include_management_events = var.cloudtrail_management_events

    data_resource {
      type   = "AWS::S3::Object"
      values = ["${var.documents_bucket_arn}/"]
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.cloudtrail, aws_sns_topic_policy.cloudtrail]
}

resource "aws_cloudwatch_log_metric_filter" "unauthorized_api_calls" {
  count = var.cloudtrail_enabled ? 1 : 0

  name           = "${var.name_prefix}-unauthorized-api-calls"
  log_group_name = aws_cloudwatch_log_group.cloudtrail[0].name
  # Denied calls, except S3 requests authenticated by a presigned URL's query
  # string (AuthenticationMethod QueryString): a client holding an expired
  # download link is not an intrusion and must not page anyone.
  pattern = "{ (($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\")) && (($.eventSource != \"s3.amazonaws.com\") || ($.additionalEventData.AuthenticationMethod != \"QueryString\")) }"

  metric_transformation {
    name          = "UnauthorizedApiCalls"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "unauthorized_api_calls" {
  count = var.cloudtrail_enabled ? 1 : 0

  alarm_name          = "${var.name_prefix}-unauthorized-api-calls"
  alarm_description   = "AWS API calls were denied (CloudTrail): a role lacks a permission or something probes the account."
  namespace           = local.namespace
  metric_name         = "UnauthorizedApiCalls"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.thresholds.unauthorized_aws_calls
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_targets
  ok_actions          = local.alarm_targets
  tags                = var.tags
}
