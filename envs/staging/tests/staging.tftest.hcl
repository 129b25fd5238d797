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
  artifacts_dir = "../../modules/compute/tests/fixtures"
  alarm_email   = "oncall@example.com"
}

run "staging_is_production_shaped" {
  command = plan
  assert {
    condition     = module.platform.name_prefix == "staging-docproc"
    error_message = "staging names start with staging-"
  }
}
