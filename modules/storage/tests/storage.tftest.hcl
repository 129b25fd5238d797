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
  name_prefix   = "prod-docproc"
  bucket_suffix = "123456789012"
}

run "secure_by_default" {
  command = plan

  assert {
    condition     = module.documents_bucket.name == "prod-docproc-documents-123456789012" && module.logs_bucket.name == "prod-docproc-logs-123456789012"
    error_message = "bucket names must start with the prefix"
  }
  assert {
    condition     = output.documents_bucket_name == module.documents_bucket.name && output.logs_bucket_name == module.logs_bucket.name
    error_message = "the outputs name the buckets"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.documents_bucket.statement :
    s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "s3:x-amz-server-side-encryption" && contains(c.values, "aws:kms")])])
    error_message = "the documents bucket policy must deny unencrypted uploads"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.documents_bucket.statement :
    s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "s3:x-amz-server-side-encryption-aws-kms-key-id"])])
    error_message = "the documents bucket policy must deny uploads under another key"
  }
  assert {
    condition     = toset([for s in data.aws_iam_policy_document.logs_bucket.statement : s.sid]) == toset(["S3ServerAccessLogs", "CloudTrailAclCheck", "CloudTrailWrite"])
    error_message = "the log bucket admits S3 server access logs and CloudTrail"
  }
  assert {
    condition = alltrue(flatten([for d in [data.aws_iam_policy_document.documents_bucket, data.aws_iam_policy_document.logs_bucket] :
    [for s in d.statement : s.sid != "DenyInsecureTransport"]]))
    error_message = "the TLS-only deny is the secure-bucket module's; a caller statement may not reuse its Sid"
  }
  assert {
    condition     = toset([for r in aws_s3_bucket_lifecycle_configuration.documents.rule : r.id]) == toset(["abort-incomplete-uploads", "tier-documents", "expire-noncurrent-versions"])
    error_message = "lifecycle must abort uploads, tier documents and expire old versions"
  }
  assert {
    condition     = local.documents_access_log.prefix == "s3-access/prod-docproc-documents-123456789012/" && local.documents_access_log.bucket == module.logs_bucket.name
    error_message = "documents access logs go to the log bucket"
  }
  assert {
    condition     = aws_kms_key.data.enable_key_rotation && aws_kms_key.logs.enable_key_rotation
    error_message = "KMS keys must rotate"
  }
  assert {
    condition = alltrue([for t in [aws_dynamodb_table.documents, aws_dynamodb_table.audit, aws_dynamodb_table.permissions] :
    t.billing_mode == "PAY_PER_REQUEST" && t.point_in_time_recovery[0].enabled && t.server_side_encryption[0].enabled && t.deletion_protection_enabled])
    error_message = "tables must be on-demand, with PITR, customer-key encryption and deletion protection"
  }
  assert {
    condition     = aws_dynamodb_table.documents.stream_enabled && aws_dynamodb_table.documents.stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "the documents table must stream new and old images"
  }
  assert {
    condition     = toset([for g in aws_dynamodb_table.documents.global_secondary_index : g.name]) == toset(["by_client", "by_status"])
    error_message = "the documents table needs the by_client and by_status indexes"
  }
  assert {
    condition     = aws_dynamodb_table.permissions.hash_key == "key_hash" && aws_dynamodb_table.audit.range_key == "seq"
    error_message = "keys are looked up by hash; audit events are ordered by seq"
  }
  assert {
    condition     = local.documents_object_lock == null
    error_message = "Object Lock is off by default"
  }
}

run "object_lock_for_prod" {
  command = plan
  variables {
    object_lock_enabled = true
    object_lock_days    = 365
    deletion_protection = false
  }
  assert {
    condition     = local.documents_object_lock == { mode = "GOVERNANCE", days = 365 }
    error_message = "Object Lock (governance mode) must be configured when enabled"
  }
  assert {
    condition     = !aws_dynamodb_table.documents.deletion_protection_enabled
    error_message = "deletion protection follows the variable"
  }
}

run "rejects_malformed_name_prefix" {
  command = plan
  variables {
    name_prefix = "Prod_Docproc"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_bad_bucket_suffix" {
  command = plan
  variables {
    bucket_suffix = "UPPER_case"
  }
  expect_failures = [var.bucket_suffix]
}

run "rejects_object_lock_days_out_of_range" {
  command = plan
  variables {
    object_lock_days = 0
  }
  expect_failures = [var.object_lock_days]
}

run "rejects_early_transition" {
  command = plan
  variables {
    processed_transition_days = 7
  }
  expect_failures = [var.processed_transition_days]
}

run "rejects_zero_noncurrent_days" {
  command = plan
  variables {
    noncurrent_expiration_days = 0
  }
  expect_failures = [var.noncurrent_expiration_days]
}

run "rejects_short_log_expiry" {
  command = plan
  variables {
    access_log_expiration_days = 30
  }
  expect_failures = [var.access_log_expiration_days]
}

run "rejects_kms_window_out_of_range" {
  command = plan
  variables {
    kms_deletion_window_days = 3
  }
  expect_failures = [var.kms_deletion_window_days]
}
