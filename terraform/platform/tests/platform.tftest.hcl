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
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  environment   = "staging"
  artifacts_dir = "../../modules/compute/tests/fixtures"
  alarm_email   = "oncall@example.com"
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
  assert {
    condition     = tolist(local.usable_zone_ids) == tolist(["use1-az1", "use1-az2", "use1-az4"])
    error_message = "zones are picked by zone ID, never use1-az3 (no Lambda)"
  }
}

run "zones_must_offer_every_interface_endpoint" {
  command = plan
  override_data {
    target = data.aws_vpc_endpoint_service.interface["sns"]
    values = { availability_zones = ["us-east-1a", "us-east-1c"] }
  }
  assert {
    condition     = tolist(local.usable_zone_ids) == tolist(["use1-az1", "use1-az4"])
    error_message = "a zone without one of the interface endpoint services must not be used"
  }
}

run "private_api_needs_client_cidrs" {
  command = plan
  variables {
    api_endpoint_type = "PRIVATE"
  }
  expect_failures = [var.private_api_client_cidrs]
}

# Alarms that notify nobody page nobody: staging and prod need a destination
# (an address or a topic they are given); dev may go without.
run "staging_and_prod_need_an_alarm_destination" {
  command = plan
  variables {
    alarm_email = ""
  }
  expect_failures = [var.alarm_email]
}

run "prod_needs_an_alarm_destination" {
  command = plan
  variables {
    environment = "prod"
    alarm_email = null
  }
  expect_failures = [var.alarm_email]
}

run "a_given_topic_is_a_destination" {
  command = plan
  variables {
    alarm_email      = null
    alarm_topic_arns = ["arn:aws:sns:us-east-1:123456789012:oncall"]
  }
  assert {
    condition     = contains(module.observability.alarm_actions, "arn:aws:sns:us-east-1:123456789012:oncall")
    error_message = "every alarm must notify the given topic"
  }
}

run "dev_may_go_without" {
  command = plan
  variables {
    environment = "dev"
    alarm_email = null
  }
}

# What CI passes when the repository variable is unset: an empty string is none.
run "an_empty_address_is_none" {
  command = plan
  variables {
    environment = "dev"
    alarm_email = ""
  }
}

run "rejects_malformed_environment" {
  command = plan
  variables {
    environment = "QA env"
  }
  expect_failures = [var.environment]
}

run "second_stack_with_its_own_prefix" {
  command = plan
  variables {
    environment = "qa"
    name_prefix = "qa-docproc-eu"
  }
  assert {
    condition     = output.name_prefix == "qa-docproc-eu" && startswith(module.storage.documents_table_name, "qa-docproc-eu-")
    error_message = "a team's own prefix names every resource"
  }
}

run "rejects_prefix_without_environment" {
  command = plan
  variables {
    name_prefix = "docproc-eu"
  }
  expect_failures = [var.name_prefix]
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

# A VPC the team already has: no VPC, subnet or zone lookup; the endpoints and
# every function go into the given subnets.
run "bring_your_own_network" {
  command = plan
  variables {
    existing_network = {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ddddddddddddddd4"]
      route_table_ids    = ["rtb-0ccccccccccccccc3"]
    }
  }
  assert {
    condition     = length(data.aws_availability_zones.candidates) == 0 && length(data.aws_vpc_endpoint_service.interface) == 0
    error_message = "an existing network's subnets are already in their zones: no zone lookup"
  }
  assert {
    condition     = output.vpc_id == "vpc-0a1b2c3d4e5f60718" && output.private_subnet_ids == tolist(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ddddddddddddddd4"])
    error_message = "the platform must use the given VPC and subnets"
  }
  assert {
    condition     = length(module.compute.function_subnet_ids) == 4 && alltrue([for s in values(module.compute.function_subnet_ids) : s == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ddddddddddddddd4"])])
    error_message = "every function must run in the given subnets"
  }
  assert {
    condition     = length(module.network.interface_endpoint_ids) == 6
    error_message = "the interface endpoints are still docproc's own, in the given subnets (asserted in modules/network)"
  }
}

run "bring_your_own_network_excludes_pinned_zones" {
  command = plan
  variables {
    availability_zone_ids = ["use1-az1", "use1-az2"]
    existing_network = {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
      route_table_ids    = ["rtb-0ccccccccccccccc3"]
    }
  }
  expect_failures = [var.existing_network]
}
