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
    condition     = module.state_bucket.name == "docproc-tfstate-123456789012" && output.bucket == module.state_bucket.name
    error_message = "the default name includes the account id"
  }
  assert {
    condition     = aws_kms_key.state.enable_key_rotation
    error_message = "state must be encrypted with a rotating key"
  }
  assert {
    condition     = toset([for r in aws_s3_bucket_lifecycle_configuration.state.rule : r.id]) == toset(["expire-old-state-versions"]) && one(aws_s3_bucket_lifecycle_configuration.state.rule).noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "old state versions expire after noncurrent_version_days"
  }
}

run "named_state_bucket" {
  command = plan
  variables {
    bucket_name = "acme-docproc-state"
  }
  assert {
    condition     = output.bucket == "acme-docproc-state"
    error_message = "bucket_name names the state bucket"
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
