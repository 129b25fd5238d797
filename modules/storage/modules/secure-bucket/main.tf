# One S3 bucket with the hardening every docproc bucket shares: ACLs
# disabled, public access blocked, versioning on, default encryption (SSE-KMS
# with bucket keys, or SSE-S3 where no key is given) and a bucket policy that
# denies plain HTTP, merged with the caller's statements. Optional: server
# access logging to another bucket and Object Lock default retention.
# Lifecycle rules differ for each bucket and stay with the caller.

# `prevent_destroy` only takes a literal, so a protected bucket is a second
# resource block; exactly one of the two exists.
resource "aws_s3_bucket" "this" {
  count = var.prevent_destroy ? 0 : 1

  bucket              = var.bucket
  force_destroy       = var.force_destroy
  object_lock_enabled = var.object_lock != null
  tags                = var.tags
}

resource "aws_s3_bucket" "protected" {
  count = var.prevent_destroy ? 1 : 0

  bucket              = var.bucket
  force_destroy       = var.force_destroy
  object_lock_enabled = var.object_lock != null
  tags                = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

# The bucket that exists, for its ARN. The configuration resources below name
# both blocks instead: checkov links a bucket to its public access block,
# versioning, encryption and logging only through direct references.
locals {
  bucket = one(concat(aws_s3_bucket.this, aws_s3_bucket.protected))
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

# A KMS key may only be named with aws:kms; without one the bucket uses
# SSE-S3 (AES256), e.g. as a server access log target.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn == null ? null : true
  }
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log == null ? 0 : 1

  bucket        = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  target_bucket = var.access_log.bucket
  target_prefix = var.access_log.prefix
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock == null ? 0 : 1

  bucket = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  rule {
    default_retention {
      mode = var.object_lock.mode
      days = var.object_lock.days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:*"]
    resources = [local.bucket.arn, "${local.bucket.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# The TLS deny comes first, then the caller's statements in their order.
# Sids must be unique across source documents, so a caller statement cannot
# replace the deny: reusing its Sid fails the plan.
data "aws_iam_policy_document" "this" {
  source_policy_documents = compact([data.aws_iam_policy_document.tls_only.json, var.policy_json])
}

resource "aws_s3_bucket_policy" "this" {
  bucket = var.prevent_destroy ? aws_s3_bucket.protected[0].id : aws_s3_bucket.this[0].id
  policy = data.aws_iam_policy_document.this.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
