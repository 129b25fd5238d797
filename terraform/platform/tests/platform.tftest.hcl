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

variables {
  environment   = "staging"
  artifacts_dir = "../../modules/compute/tests/fixtures"
}

run "composes_the_whole_platform" {
  command = plan

  assert {
    condition     = output.name_prefix == "staging-docproc" && module.compute.function_names["processor"] == "staging-docproc-processor"
    error_message = "every name starts with the environment"
  }
  assert {
    condition     = length(module.network.private_subnet_ids) == 2
    error_message = "two zones by default"
  }
  assert {
    condition     = output.documents_table == "staging-docproc-documents" && output.permissions_table == "staging-docproc-permissions"
    error_message = "tables are named per environment"
  }
}

run "prod_shape" {
  command = plan
  variables {
    environment             = "prod"
    availability_zone_count = 3
  }
  assert {
    condition     = length(module.network.private_subnet_ids) == 3
    error_message = "prod spans three zones"
  }
}

run "rejects_unknown_environment" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    architecture = "sparc"
  }
  expect_failures = [var.architecture]
}

run "rejects_one_zone" {
  command = plan
  variables {
    availability_zone_count = 1
  }
  expect_failures = [var.availability_zone_count]
}
