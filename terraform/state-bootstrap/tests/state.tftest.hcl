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
  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

run "state_bucket_is_locked_down" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "docproc-tfstate-123456789012"
    error_message = "the default name includes the account id"
  }
  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled" && aws_kms_key.state.enable_key_rotation
    error_message = "state must be versioned and encrypted with a rotating key"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.state.block_public_policy && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    error_message = "state must never be public"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.state.statement :
    s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport"])])
    error_message = "state must be TLS-only"
  }
}

run "rejects_bad_region" {
  command = plan
  variables {
    region = "mars-1"
  }
  expect_failures = [var.region]
}

run "rejects_bad_bucket_name" {
  command = plan
  variables {
    bucket_name = "Bad_Name"
  }
  expect_failures = [var.bucket_name]
}

run "rejects_short_version_retention" {
  command = plan
  variables {
    noncurrent_version_days = 1
  }
  expect_failures = [var.noncurrent_version_days]
}
