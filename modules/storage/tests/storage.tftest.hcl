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
    condition     = aws_s3_bucket.documents.bucket == "prod-docproc-documents-123456789012" && aws_s3_bucket.logs.bucket == "prod-docproc-logs-123456789012"
    error_message = "bucket names must start with the prefix"
  }
  assert {
    condition     = aws_s3_bucket_versioning.documents.versioning_configuration[0].status == "Enabled"
    error_message = "documents must be versioned"
  }
  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.documents, aws_s3_bucket_public_access_block.logs] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "public access must be blocked on every bucket"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.documents.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.documents.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" && one(aws_s3_bucket_server_side_encryption_configuration.documents.rule).bucket_key_enabled
    error_message = "documents must use SSE-KMS with bucket keys"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.documents_bucket.statement :
    s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])])
    error_message = "the documents bucket policy must deny plain HTTP"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.documents_bucket.statement :
    s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "s3:x-amz-server-side-encryption" && contains(c.values, "aws:kms")])])
    error_message = "the documents bucket policy must deny unencrypted uploads"
  }
  assert {
    condition     = toset([for r in aws_s3_bucket_lifecycle_configuration.documents.rule : r.id]) == toset(["abort-incomplete-uploads", "tier-documents", "expire-noncurrent-versions"])
    error_message = "lifecycle must abort uploads, tier documents and expire old versions"
  }
  assert {
    condition     = aws_s3_bucket_logging.documents.target_prefix == "s3-access/prod-docproc-documents-123456789012/"
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
    condition     = length(aws_s3_bucket_object_lock_configuration.documents) == 0
    error_message = "Object Lock is off by default"
  }
  assert {
    condition     = !aws_s3_bucket.documents.force_destroy && !aws_s3_bucket.logs.force_destroy
    error_message = "buckets with documents must not be force-destroyed by default"
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
    condition     = aws_s3_bucket.documents.object_lock_enabled && aws_s3_bucket_object_lock_configuration.documents[0].rule[0].default_retention[0].days == 365
    error_message = "Object Lock must be configured when enabled"
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
