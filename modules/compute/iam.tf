# One role per function, each with only the actions and resource ARNs it
# needs. The only wildcards are where AWS accepts no narrower resource; each
# is commented.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = var.functions

  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

locals {
  bucket_arn        = var.documents_bucket_arn
  log_group_arn     = { for k, v in var.log_group_names : k => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${v}" }
  documents_indexes = "${var.tables.documents_arn}/index/*"

  # Statements every function gets: logging, tracing, VPC networking, the data key.
  common_statements = {
    for name in keys(var.functions) : name => [
      {
        sid       = "WriteOwnLogs"
        actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = ["${local.log_group_arn[name]}:*"]
      },
      {
        # X-Ray trace ingestion has no resource-level permissions: AWS requires "*".
        sid       = "XRayTraces"
        actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        resources = ["*"]
      },
      {
        # Lambda's VPC networking, as AWSLambdaVPCAccessExecutionRole grants it:
        # the Describe actions support no resource-level permissions, and the
        # interfaces Lambda creates have IDs unknown until it does.
        sid       = "VpcNetworkInterfaces"
        actions   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        resources = ["*"]
      },
      {
        sid       = "UseDataKey"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.data_kms_key_arn]
      },
    ]
  }

  function_statements = {
    api = [
      {
        sid       = "DocumentsTable"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan"]
        resources = [var.tables.documents_arn, local.documents_indexes]
      },
      {
        # Appends read the trail's anchor (GetItem) and write event, anchor
        # and dedupe claim in one TransactWriteItems, authorized as PutItem.
        sid       = "AuditTable"
        actions   = ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"]
        resources = [var.tables.audit_arn]
      },
      {
        # Inline uploads and presigned POSTs (signed with this role) write incoming/ only.
        sid       = "UploadIncoming"
        actions   = ["s3:PutObject"]
        resources = ["${local.bucket_arn}/incoming/*"]
      },
      {
        # Presigned downloads (signed with this role) read the exact version that
        # was scanned; GetObject with a versionId needs s3:GetObjectVersion.
        sid       = "ReadDocumentVersions"
        actions   = ["s3:GetObject", "s3:GetObjectVersion"]
        resources = ["${local.bucket_arn}/incoming/*", "${local.bucket_arn}/quarantine/*"]
      },
      {
        # A retried inline upload stores nothing when the first attempt
        # did: ListObjectVersions needs s3:ListBucketVersions on the bucket,
        # narrowed by s3:prefix.
        sid        = "ListIncomingVersions"
        actions    = ["s3:ListBucketVersions"]
        resources  = [local.bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["incoming/*"] }]
      },
    ]
    authorizer = [
      {
        sid       = "LookUpKeys"
        actions   = ["dynamodb:GetItem"]
        resources = [var.tables.permissions_arn]
      },
    ]
    processor = concat([
      {
        sid       = "DocumentsTable"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = [var.tables.documents_arn]
      },
      {
        # Appends read the trail's anchor (GetItem) and write event, anchor
        # and dedupe claim in one TransactWriteItems, authorized as PutItem.
        sid       = "AuditTable"
        actions   = ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"]
        resources = [var.tables.audit_arn]
      },
      {
        # Quarantine removes the exact version it scanned, and refused uploads
        # are removed by theirs (DeleteObject with a versionId needs
        # s3:DeleteObjectVersion); without one a versioned bucket would only
        # stack a delete marker on top of newer uploads.
        sid       = "ReadAndRemoveIncoming"
        actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObject", "s3:DeleteObjectVersion"]
        resources = ["${local.bucket_arn}/incoming/*"]
      },
      {
        # Copies made by deliveries that lost the race to record a verdict
        # are removed by their version ids.
        sid       = "WriteQuarantine"
        actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]
        resources = ["${local.bucket_arn}/quarantine/*"]
      },
      {
        # The first complete version under a key is judged, and stray copies
        # are found, by ListObjectVersions (s3:ListBucketVersions on the
        # bucket, narrowed by s3:prefix).
        sid        = "ListDocumentVersions"
        actions    = ["s3:ListBucketVersions"]
        resources  = [local.bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["incoming/*", "quarantine/*"] }]
      },
      {
        sid       = "DeadLetters"
        actions   = ["sqs:SendMessage"]
        resources = [aws_sqs_queue.dlq["processor"].arn]
      },
      ], var.documents_object_lock_mode == "GOVERNANCE" ? [
      {
        # Under governance-mode default retention every version is locked;
        # removing refused and rejected ones needs this permission and the
        # x-amz-bypass-governance-retention header the processor sends.
        sid       = "BypassGovernanceRetention"
        actions   = ["s3:BypassGovernanceRetention"]
        resources = ["${local.bucket_arn}/incoming/*", "${local.bucket_arn}/quarantine/*"]
      },
    ] : [])
    notifier = [
      {
        sid       = "ReadDocumentsStream"
        actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
        resources = [var.tables.documents_stream_arn]
      },
      {
        sid       = "PublishStatusChanges"
        actions   = ["sns:Publish"]
        resources = [aws_sns_topic.status.arn]
      },
      {
        sid       = "DeadLetters"
        actions   = ["sqs:SendMessage"]
        resources = [aws_sqs_queue.dlq["notifier"].arn]
      },
    ]
  }
}

data "aws_iam_policy_document" "function" {
  for_each = var.functions

  dynamic "statement" {
    for_each = concat(local.common_statements[each.key], local.function_statements[each.key])
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
      dynamic "condition" {
        for_each = try(statement.value.conditions, [])
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = var.functions

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}
