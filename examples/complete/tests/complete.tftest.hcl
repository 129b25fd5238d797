# Plans the example as a user would run it, against a mocked AWS provider.
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
  # Names map to different zone IDs in each account; use1-az3 has no Lambda.
  mock_data "aws_availability_zones" {
    defaults = {
      names    = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
      zone_ids = ["use1-az4", "use1-az3", "use1-az1", "use1-az2"]
    }
  }
  mock_data "aws_vpc_endpoint_service" {
    defaults = { availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"] }
  }
  # Policy documents render to valid JSON.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  # Small stand-ins for the zips scripts/build-lambdas writes.
  artifacts_dir = "../../modules/compute/tests/fixtures"
}

run "plans_with_the_defaults" {
  command = plan

  assert {
    condition     = output.platform.name_prefix == "example-docproc"
    error_message = "the prefix is <environment>-docproc"
  }
  assert {
    condition     = length(output.function_names) == 4 && alltrue([for n in values(output.function_names) : startswith(n, "example-docproc-")])
    error_message = "every function name must start with the prefix"
  }
  assert {
    condition     = alltrue([for t in [output.platform.documents_table, output.platform.audit_table, output.platform.permissions_table] : startswith(t, "example-docproc-")])
    error_message = "table names must start with the prefix"
  }
  assert {
    condition     = length(output.private_subnet_ids) == 2
    error_message = "the platform creates its own VPC with two private subnets by default"
  }
}

run "names_follow_the_environment" {
  command = plan
  variables {
    environment = "qa"
  }
  assert {
    condition     = alltrue([for n in values(output.function_names) : startswith(n, "qa-docproc-")]) && output.platform.permissions_table == "qa-docproc-permissions"
    error_message = "names must follow the environment"
  }
}

run "rejects_malformed_environment" {
  command = plan
  variables {
    environment = "My Env"
  }
  expect_failures = [var.environment]
}
