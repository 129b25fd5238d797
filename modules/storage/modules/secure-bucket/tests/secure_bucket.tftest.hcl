mock_provider "aws" {
  # Known ARN and name at plan time, so the policy documents are read and
  # their merge can be asserted.
  mock_resource "aws_s3_bucket" {
    override_during = plan
    defaults = {
      id  = "staging-docproc-documents-123456789012"
      arn = "arn:aws:s3:::staging-docproc-documents-123456789012"
    }
  }
  # Policy documents render to valid JSON; their statements stay as configured
  # and are asserted directly.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  bucket      = "staging-docproc-documents-123456789012"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/data"
  policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"CallerStatement\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::staging-docproc-documents-123456789012/*\"}]}"
}

run "hardened_with_sse_kms" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this[0].bucket == var.bucket && length(aws_s3_bucket.protected) == 0
    error_message = "one unprotected bucket with the given name"
  }
  assert {
    condition     = !aws_s3_bucket.this[0].force_destroy && !aws_s3_bucket.this[0].object_lock_enabled
    error_message = "no force_destroy and no Object Lock by default"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled"
  }
  assert {
    condition = alltrue([aws_s3_bucket_public_access_block.this.block_public_acls, aws_s3_bucket_public_access_block.this.block_public_policy,
    aws_s3_bucket_public_access_block.this.ignore_public_acls, aws_s3_bucket_public_access_block.this.restrict_public_buckets])
    error_message = "public access must be blocked"
  }
  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "the bucket must be versioned"
  }
  assert {
    condition = alltrue([
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms",
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn,
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled,
    ])
    error_message = "a key means SSE-KMS with that key and bucket keys"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.tls_only.statement :
      s.effect == "Deny" && s.sid == "DenyInsecureTransport" && contains(s.actions, "s3:*")
      && toset(s.resources) == toset(["arn:aws:s3:::staging-docproc-documents-123456789012", "arn:aws:s3:::staging-docproc-documents-123456789012/*"])
    && anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && c.values == tolist(["false"])])])
    error_message = "the policy must deny plain HTTP on the bucket and its objects"
  }
  assert {
    condition     = data.aws_iam_policy_document.this.source_policy_documents == tolist([data.aws_iam_policy_document.tls_only.json, var.policy_json])
    error_message = "the bucket policy is the TLS deny followed by the caller's statements"
  }
  assert {
    condition     = aws_s3_bucket_policy.this.policy == data.aws_iam_policy_document.this.json
    error_message = "the merged document is the bucket policy"
  }
  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0 && length(aws_s3_bucket_object_lock_configuration.this) == 0
    error_message = "access logging and Object Lock are off by default"
  }
  assert {
    condition     = output.name == var.bucket && output.arn == "arn:aws:s3:::staging-docproc-documents-123456789012"
    error_message = "outputs name the bucket"
  }
}

run "sse_s3_without_a_key" {
  command = plan
  variables {
    kms_key_arn = null
    policy_json = null
  }
  assert {
    condition = alltrue([
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256",
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == null,
      one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled == null,
    ])
    error_message = "without a key the bucket uses SSE-S3 and names no key"
  }
  assert {
    condition     = data.aws_iam_policy_document.this.source_policy_documents == tolist([data.aws_iam_policy_document.tls_only.json])
    error_message = "without caller statements the policy is the TLS deny alone"
  }
}

run "protected_bucket" {
  command = plan
  variables {
    prevent_destroy = true
  }
  assert {
    condition     = length(aws_s3_bucket.this) == 0 && aws_s3_bucket.protected[0].bucket == var.bucket
    error_message = "prevent_destroy selects the protected bucket block"
  }
}

run "access_logs_and_object_lock" {
  command = plan
  variables {
    force_destroy = true
    access_log    = { bucket = "staging-docproc-logs-123456789012", prefix = "s3-access/staging-docproc-documents-123456789012/" }
    object_lock   = { mode = "GOVERNANCE", days = 365 }
    tags          = { environment = "staging" }
  }
  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "staging-docproc-logs-123456789012" && aws_s3_bucket_logging.this[0].target_prefix == "s3-access/staging-docproc-documents-123456789012/"
    error_message = "access logs go to the target bucket under the prefix"
  }
  assert {
    condition     = aws_s3_bucket.this[0].object_lock_enabled && aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0].mode == "GOVERNANCE" && aws_s3_bucket_object_lock_configuration.this[0].rule[0].default_retention[0].days == 365
    error_message = "Object Lock is enabled on the bucket with the default retention"
  }
  assert {
    condition     = aws_s3_bucket.this[0].force_destroy && aws_s3_bucket.this[0].tags == tomap({ environment = "staging" })
    error_message = "force_destroy and tags follow the variables"
  }
}

run "rejects_bad_bucket_name" {
  command = plan
  variables {
    bucket = "Bad_Bucket"
  }
  expect_failures = [var.bucket]
}

run "rejects_a_key_alias" {
  command = plan
  variables {
    kms_key_arn = "alias/docproc-data"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_a_policy_without_statements" {
  command = plan
  variables {
    policy_json = "{\"Version\":\"2012-10-17\"}"
  }
  expect_failures = [var.policy_json]
}

run "rejects_a_log_prefix_without_a_slash" {
  command = plan
  variables {
    access_log = { bucket = "staging-docproc-logs-123456789012", prefix = "s3-access" }
  }
  expect_failures = [var.access_log]
}

run "rejects_an_unknown_object_lock_mode" {
  command = plan
  variables {
    object_lock = { mode = "LEGAL_HOLD", days = 30 }
  }
  expect_failures = [var.object_lock]
}

run "rejects_zero_object_lock_days" {
  command = plan
  variables {
    object_lock = { mode = "GOVERNANCE", days = 0 }
  }
  expect_failures = [var.object_lock]
}
