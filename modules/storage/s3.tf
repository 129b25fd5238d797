# The documents bucket (SSE-KMS, versioned, private, TLS-only) and the log
# bucket that receives its access logs and CloudTrail. What every docproc
# bucket shares is modules/secure-bucket; each bucket's own policy statements
# and lifecycle rules are here.

locals {
  documents_bucket = "${var.name_prefix}-documents-${var.bucket_suffix}"
  logs_bucket      = "${var.name_prefix}-logs-${var.bucket_suffix}"

  # The log bucket's `name` depends on its policy: S3 checks that the
  # target's policy admits the logging service.
  documents_access_log  = { bucket = module.logs_bucket.name, prefix = "s3-access/${local.documents_bucket}/" }
  documents_object_lock = var.object_lock_enabled ? { mode = "GOVERNANCE", days = var.object_lock_days } : null
}

# --- Log bucket ---------------------------------------------------------------

module "logs_bucket" {
  # checkov:skip=CKV2_AWS_62:Nothing consumes events from the log bucket.
  # checkov:skip=CKV_AWS_144:Logs are replicated by the organisation's log archive if it has one; not per platform.
  # checkov:skip=CKV_AWS_145:S3 server access log delivery only supports SSE-S3 target buckets; CloudTrail files are KMS-encrypted on top.
  # checkov:skip=CKV_AWS_18:This is the server access log target; logging its requests into itself would log every log delivery.
  # checkov:skip=CKV2_AWS_61:The lifecycle rules are aws_s3_bucket_lifecycle_configuration.logs below (checkov does not follow the module's output).
  source = "./modules/secure-bucket"

  bucket        = local.logs_bucket
  force_destroy = var.force_destroy
  # S3 server access logging only delivers to SSE-S3 buckets, so the log
  # bucket uses AES256 (no key); CloudTrail files in it are additionally
  # KMS-encrypted.
  kms_key_arn = null
  policy_json = data.aws_iam_policy_document.logs_bucket.json
  tags        = var.tags
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = module.logs_bucket.name

  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_log_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# Added to the module's TLS-only deny.
data "aws_iam_policy_document" "logs_bucket" {
  statement {
    sid = "S3ServerAccessLogs"
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    actions   = ["s3:PutObject"]
    resources = ["${module.logs_bucket.arn}/s3-access/${local.documents_bucket}/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid = "CloudTrailAclCheck"
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    actions   = ["s3:GetBucketAcl"]
    resources = [module.logs_bucket.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid = "CloudTrailWrite"
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
    actions   = ["s3:PutObject"]
    resources = ["${module.logs_bucket.arn}/cloudtrail/AWSLogs/${local.account_id}/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- Documents bucket -----------------------------------------------------------

module "documents_bucket" {
  # checkov:skip=CKV2_AWS_62:Event notifications are configured by the compute module (aws_s3_bucket_notification), next to the processor they invoke.
  # checkov:skip=CKV_AWS_144:Cross-region replication is an organisation-level disaster-recovery choice; versioning, Object Lock (prod) and PITR cover loss here.
  # checkov:skip=CKV2_AWS_61:The lifecycle rules are aws_s3_bucket_lifecycle_configuration.documents below (checkov does not follow the module's output).
  source = "./modules/secure-bucket"

  bucket        = local.documents_bucket
  force_destroy = var.force_destroy
  kms_key_arn   = aws_kms_key.data.arn
  policy_json   = data.aws_iam_policy_document.documents_bucket.json
  access_log    = local.documents_access_log
  object_lock   = local.documents_object_lock
  tags          = var.tags
}

resource "aws_s3_bucket_lifecycle_configuration" "documents" {
  bucket = module.documents_bucket.name

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "tier-documents"
    status = "Enabled"
    filter {
      prefix = "incoming/"
    }
    transition {
      days          = var.processed_transition_days
      storage_class = "STANDARD_IA"
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_expiration_days
    }
  }

  # After the module's versioning, which the noncurrent-version rule needs.
  depends_on = [module.documents_bucket]
}

# Added to the module's TLS-only deny.
data "aws_iam_policy_document" "documents_bucket" {
  statement {
    sid    = "DenyUploadsWithoutDocprocKey"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:PutObject"]
    resources = ["${module.documents_bucket.arn}/*"]
    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [aws_kms_key.data.arn]
    }
  }

  statement {
    sid    = "DenyUnencryptedUploads"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:PutObject"]
    resources = ["${module.documents_bucket.arn}/*"]
    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }
}
