# Plans the example against a mocked AWS provider. scripts/check-examples runs
# it on a copy whose git:: source points at this checkout's modules/storage
# (GitHub is not reachable from every machine that runs the checks).
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

run "plans_the_storage_module" {
  command = plan

  assert {
    condition     = alltrue([for t in values(output.table_names) : startswith(t, "example-docproc-")])
    error_message = "table names must start with the prefix"
  }
  assert {
    condition     = output.table_names.permissions == "example-docproc-permissions"
    error_message = "the permissions table is <prefix>-permissions"
  }
}

run "rejects_malformed_prefix" {
  command = plan
  variables {
    name_prefix = "Example_Docproc"
  }
  expect_failures = [var.name_prefix]
}
