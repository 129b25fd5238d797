# The four docproc functions from prebuilt zips, their queues and wiring.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.id

  environment = {
    api = {
      DOCUMENTS_TABLE       = var.tables.documents_name
      AUDIT_TABLE           = var.tables.audit_name
      DOCUMENTS_BUCKET      = var.documents_bucket_name
      DOCUMENTS_KMS_KEY_ARN = var.data_kms_key_arn
      INLINE_MAX_BYTES      = tostring(var.inline_max_bytes)
      UPLOAD_MAX_BYTES      = tostring(var.max_document_bytes)
      # S3 refuses uploads without an integrity checksum to a bucket with
      # Object Lock default retention: presigned POSTs must then carry Content-MD5.
      UPLOAD_CONTENT_MD5_REQUIRED = tostring(var.upload_content_md5_required)
    }
    authorizer = {
      PERMISSIONS_TABLE = var.tables.permissions_name
    }
    processor = {
      DOCUMENTS_TABLE       = var.tables.documents_name
      AUDIT_TABLE           = var.tables.audit_name
      DOCUMENTS_BUCKET      = var.documents_bucket_name
      DOCUMENTS_KMS_KEY_ARN = var.data_kms_key_arn
      MAX_DOCUMENT_BYTES    = tostring(var.max_document_bytes)
      # Deletes send x-amz-bypass-governance-retention under governance-mode
      # Object Lock (the role grants s3:BypassGovernanceRetention to match).
      S3_BYPASS_GOVERNANCE_RETENTION = tostring(var.documents_object_lock_mode == "GOVERNANCE")
    }
    notifier = {
      STATUS_TOPIC_ARN = aws_sns_topic.status.arn
    }
  }
}

# Each function's package: a local zip, or a published one in S3 with the
# digest its release recorded (Lambda's CodeSha256 is the same base64 SHA-256).
locals {
  packages = {
    for f in keys(var.functions) : f => var.artifacts_dir != null ? {
      filename          = "${var.artifacts_dir}/${f}.zip"
      s3_bucket         = null
      s3_key            = null
      s3_object_version = null
      sha256_base64     = filebase64sha256("${var.artifacts_dir}/${f}.zip")
      } : {
      # try(): with neither source set, the preconditions below say so.
      filename          = null
      s3_bucket         = try(var.artifacts_s3.bucket, null)
      s3_key            = try("${var.artifacts_s3.key_prefix}${f}.zip", null)
      s3_object_version = try(var.artifacts_s3.object_versions[f], null)
      sha256_base64     = try(var.artifacts_s3.code_sha256_base64[f], null)
    }
  }
}

resource "aws_lambda_function" "this" {
  for_each = var.functions

  # checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the zips are reproducible and their hashes reviewed in the plan.
  # checkov:skip=CKV_AWS_116:Synchronous (api, authorizer) and stream (notifier) invocations have no async DLQ; the processor uses an on-failure destination (aws_lambda_function_event_invoke_config).
  function_name                  = "${var.name_prefix}-${each.key}"
  description                    = "docproc ${each.key}"
  role                           = aws_iam_role.function[each.key].arn
  filename                       = local.packages[each.key].filename
  s3_bucket                      = local.packages[each.key].s3_bucket
  s3_key                         = local.packages[each.key].s3_key
  s3_object_version              = local.packages[each.key].s3_object_version
  source_code_hash               = local.packages[each.key].sha256_base64
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_seconds
  reserved_concurrent_executions = each.value.reserved_concurrency
  kms_key_arn                    = var.data_kms_key_arn

  ephemeral_storage {
    size = each.value.ephemeral_storage_mb
  }

  environment {
    variables = local.environment[each.key]
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [var.security_group_id]
  }

  tracing_config {
    mode = "Active"
  }

  lifecycle {
    precondition {
      condition     = (var.artifacts_dir == null) != (var.artifacts_s3 == null)
      error_message = "Set exactly one of artifacts_dir (local zips) and artifacts_s3 (published zips)."
    }
    precondition {
      condition     = local.packages[each.key].sha256_base64 != null
      error_message = "artifacts_s3.code_sha256_base64 has no digest for ${each.key}."
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = var.log_group_names[each.key]
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function]
}

# --- Dead-letter queues -----------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  for_each = toset(["processor", "notifier"])

  name                              = "${var.name_prefix}-${each.key}-dlq"
  message_retention_seconds         = var.dlq_retention_seconds
  kms_master_key_id                 = var.data_kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

data "aws_iam_policy_document" "dlq" {
  for_each = aws_sqs_queue.dlq

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sqs:*"]
    resources = [each.value.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  for_each = aws_sqs_queue.dlq

  queue_url = each.value.id
  policy    = data.aws_iam_policy_document.dlq[each.key].json
}

# --- Processor: S3 events, async retries, on-failure destination ---------------------

resource "aws_lambda_function_event_invoke_config" "processor" {
  function_name                = aws_lambda_function.this["processor"].function_name
  maximum_retry_attempts       = var.processor_retry_attempts
  maximum_event_age_in_seconds = 21600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq["processor"].arn
    }
  }
}

resource "aws_lambda_permission" "s3_invokes_processor" {
  statement_id   = "AllowDocumentsBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["processor"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = var.documents_bucket_arn
  source_account = local.account_id
}

resource "aws_s3_bucket_notification" "documents" {
  bucket = var.documents_bucket_name

  lambda_function {
    id                  = "${var.name_prefix}-processor"
    lambda_function_arn = aws_lambda_function.this["processor"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "incoming/"
  }

  depends_on = [aws_lambda_permission.s3_invokes_processor]
}

# --- Notifier: documents stream → status topic -----------------------------------

resource "aws_sns_topic" "status" {
  name              = "${var.name_prefix}-status"
  kms_master_key_id = var.data_kms_key_arn
  tags              = var.tags
}

# Only this account may publish or subscribe: the notifier publishes;
# consumers subscribe with their own account's credentials.
data "aws_iam_policy_document" "status_topic" {
  statement {
    sid = "OwnAccountOnly"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.status.arn]
  }

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.status.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "status" {
  arn    = aws_sns_topic.status.arn
  policy = data.aws_iam_policy_document.status_topic.json
}

resource "aws_lambda_event_source_mapping" "notifier" {
  event_source_arn                   = var.tables.documents_stream_arn
  function_name                      = aws_lambda_function.this["notifier"].arn
  starting_position                  = "LATEST"
  batch_size                         = 100
  maximum_batching_window_in_seconds = 1
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.stream_retry_attempts
  maximum_record_age_in_seconds      = var.stream_max_record_age_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  # Only inserts and updates that carry a status reach the function; the
  # function itself skips updates whose status did not change (filters
  # cannot compare the old and new images).
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["INSERT", "MODIFY"]
        dynamodb  = { NewImage = { status = { S = [{ exists = true }] } } }
      })
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.dlq["notifier"].arn
    }
  }
}
