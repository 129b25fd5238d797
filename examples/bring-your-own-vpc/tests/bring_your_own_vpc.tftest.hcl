# Plans the example into a made-up existing VPC, against a mocked AWS provider.
# No zone lookups happen in an existing VPC, so no zone data is mocked.
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
  # Policy documents render to valid JSON.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  # Small stand-ins for the zips scripts/build-lambdas writes.
  artifacts_dir           = "../../modules/compute/tests/fixtures"
  vpc_id                  = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  private_route_table_ids = ["rtb-0ccccccccccccccc3", "rtb-0ddddddddddddddd4"]
}

run "uses_the_existing_vpc_and_subnets" {
  command = plan

  assert {
    condition     = output.vpc_id == "vpc-0a1b2c3d4e5f60718"
    error_message = "the platform must run in the given VPC"
  }
  assert {
    condition     = output.private_subnet_ids == tolist(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])
    error_message = "the platform must use the given subnets"
  }
  assert {
    condition     = alltrue([for n in values(output.platform.function_names) : startswith(n, "example-docproc-")])
    error_message = "every function name must start with the prefix"
  }
  assert {
    condition     = length(aws_vpc_security_group_egress_rule.lambda_to_shared_endpoints) == 0
    error_message = "no shared endpoints given, no extra egress"
  }
}

run "reaches_shared_endpoints" {
  command = plan
  variables {
    interface_endpoint_services        = ["execute-api", "sns", "xray", "kms"]
    shared_endpoint_security_group_ids = ["sg-0eeeeeeeeeeeeeee5"]
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.lambda_to_shared_endpoints["sg-0eeeeeeeeeeeeeee5"].referenced_security_group_id == "sg-0eeeeeeeeeeeeeee5"
    error_message = "the functions need HTTPS egress to the shared endpoints"
  }
  assert {
    condition     = alltrue([for r in aws_vpc_security_group_egress_rule.lambda_to_shared_endpoints : r.from_port == 443 && r.to_port == 443 && r.ip_protocol == "tcp"])
    error_message = "egress to shared endpoints must be HTTPS only"
  }
}

run "rejects_a_single_subnet" {
  command = plan
  variables {
    private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
  }
  expect_failures = [var.private_subnet_ids]
}

run "rejects_malformed_vpc_id" {
  command = plan
  variables {
    vpc_id = "default"
  }
  expect_failures = [var.vpc_id]
}
