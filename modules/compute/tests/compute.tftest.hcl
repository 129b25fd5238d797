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
  # Known ARNs at plan time, so the function policies can be asserted.
  mock_resource "aws_sqs_queue" {
    override_during = plan
    defaults        = { arn = "arn:aws:sqs:us-east-1:123456789012:staging-docproc-dlq" }
  }
  mock_resource "aws_sns_topic" {
    override_during = plan
    defaults        = { arn = "arn:aws:sns:us-east-1:123456789012:staging-docproc-status" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix           = "staging-docproc"
  artifacts_dir         = "tests/fixtures"
  subnet_ids            = ["subnet-a", "subnet-b"]
  security_group_id     = "sg-lambda"
  data_kms_key_arn      = "arn:aws:kms:us-east-1:123456789012:key/data"
  documents_bucket_name = "staging-docproc-documents-123456789012"
  documents_bucket_arn  = "arn:aws:s3:::staging-docproc-documents-123456789012"
  tables = {
    documents_name       = "staging-docproc-documents"
    documents_arn        = "arn:aws:dynamodb:us-east-1:123456789012:table/staging-docproc-documents"
    documents_stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/staging-docproc-documents/stream/2026-01-01T00:00:00.000"
    audit_name           = "staging-docproc-audit"
    audit_arn            = "arn:aws:dynamodb:us-east-1:123456789012:table/staging-docproc-audit"
    permissions_name     = "staging-docproc-permissions"
    permissions_arn      = "arn:aws:dynamodb:us-east-1:123456789012:table/staging-docproc-permissions"
  }
  log_group_names = {
    api        = "/aws/lambda/staging-docproc-api"
    authorizer = "/aws/lambda/staging-docproc-authorizer"
    processor  = "/aws/lambda/staging-docproc-processor"
    notifier   = "/aws/lambda/staging-docproc-notifier"
  }
}

run "functions_are_hardened" {
  command = plan

  assert {
    condition     = toset(keys(aws_lambda_function.this)) == toset(["api", "authorizer", "processor", "notifier"])
    error_message = "four functions expected"
  }
  assert {
    condition = alltrue([for f in aws_lambda_function.this :
      f.runtime == "provided.al2023" && f.handler == "bootstrap" && tolist(f.architectures) == tolist(["arm64"]) &&
    f.kms_key_arn == var.data_kms_key_arn && f.tracing_config[0].mode == "Active" && f.logging_config[0].log_format == "JSON"])
    error_message = "functions must run provided.al2023 on arm64 with encrypted environments, X-Ray and JSON logs"
  }
  assert {
    condition     = alltrue([for f in aws_lambda_function.this : toset(f.vpc_config[0].subnet_ids) == toset(var.subnet_ids) && f.vpc_config[0].security_group_ids == toset(["sg-lambda"])])
    error_message = "functions must run in the private subnets"
  }
  assert {
    condition     = aws_lambda_function.this["api"].function_name == "staging-docproc-api" && aws_lambda_function.this["api"].source_code_hash == filebase64sha256("tests/fixtures/api.zip")
    error_message = "names start with the prefix; the code hash comes from the zip"
  }
  assert {
    condition     = aws_lambda_function.this["processor"].ephemeral_storage[0].size == 10240 && aws_lambda_function.this["processor"].reserved_concurrent_executions == 20
    error_message = "the processor needs ephemeral storage for the largest document and reserved concurrency"
  }
  assert {
    condition     = contains(keys(aws_lambda_function.this["notifier"].environment[0].variables), "STATUS_TOPIC_ARN") && aws_lambda_function.this["authorizer"].environment[0].variables["PERMISSIONS_TABLE"] == "staging-docproc-permissions"
    error_message = "environment variables wire the functions to their resources"
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_retry_attempts == 2 && length(aws_lambda_function_event_invoke_config.processor.destination_config[0].on_failure) == 1
    error_message = "the processor retries async invocations and dead-letters failures"
  }
  assert {
    condition = (aws_lambda_event_source_mapping.notifier.bisect_batch_on_function_error &&
      aws_lambda_event_source_mapping.notifier.maximum_retry_attempts == 5 &&
      aws_lambda_event_source_mapping.notifier.maximum_record_age_in_seconds == 3600 &&
    toset(aws_lambda_event_source_mapping.notifier.function_response_types) == toset(["ReportBatchItemFailures"]))
    error_message = "the stream mapping must bisect, bound retries and age, and report partial failures"
  }
  assert {
    condition     = tolist(jsondecode(one(one(aws_lambda_event_source_mapping.notifier.filter_criteria).filter).pattern).eventName) == tolist(["INSERT", "MODIFY"])
    error_message = "the stream filter must pass inserts and modifications only"
  }
  assert {
    condition     = aws_s3_bucket_notification.documents.lambda_function[0].filter_prefix == "incoming/" && toset(aws_s3_bucket_notification.documents.lambda_function[0].events) == toset(["s3:ObjectCreated:*"])
    error_message = "only objects created under incoming/ trigger the processor"
  }
  assert {
    condition     = alltrue([for q in aws_sqs_queue.dlq : q.kms_master_key_id == var.data_kms_key_arn && q.message_retention_seconds == 1209600])
    error_message = "dead-letter queues must be KMS-encrypted and keep messages 14 days"
  }
  assert {
    condition     = aws_sns_topic.status.kms_master_key_id == var.data_kms_key_arn && aws_sns_topic.status.name == "staging-docproc-status"
    error_message = "the status topic must be encrypted"
  }
}

run "iam_is_least_privilege" {
  command = plan

  # The only "*" resources are the ones AWS requires, each documented.
  assert {
    condition = alltrue(flatten([for name, doc in data.aws_iam_policy_document.function : [
      for s in doc.statement : contains(s.resources, "*") ? contains(["XRayTraces", "VpcNetworkInterfaces"], s.sid) : true
    ]]))
    error_message = "a policy uses Resource \"*\" outside the documented exceptions"
  }
  assert {
    condition = alltrue(flatten([for name, doc in data.aws_iam_policy_document.function : [
      for s in doc.statement : alltrue([for a in s.actions : !strcontains(a, "*")])
    ]]))
    error_message = "actions must be named, never wildcards"
  }
  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.function["authorizer"].statement : s.actions if s.sid == "LookUpKeys"])) == toset(["dynamodb:GetItem"])
    error_message = "the authorizer may only read keys"
  }
  assert {
    condition     = !contains(flatten(data.aws_iam_policy_document.function["api"].statement[*].actions), "s3:DeleteObject")
    error_message = "the API never deletes objects"
  }
  assert {
    condition     = toset(flatten([for s in data.aws_iam_policy_document.function["processor"].statement : s.resources if s.sid == "WriteQuarantine"])) == toset(["arn:aws:s3:::staging-docproc-documents-123456789012/quarantine/*"])
    error_message = "the processor writes only to the quarantine prefix"
  }
}

run "x86_64_for_local_runs" {
  command = plan
  variables {
    architecture = "x86_64"
  }
  assert {
    condition     = alltrue([for f in aws_lambda_function.this : tolist(f.architectures) == tolist(["x86_64"])])
    error_message = "architecture must follow the variable"
  }
}

run "rejects_malformed_name_prefix" {
  command = plan
  variables {
    name_prefix = "Prod_Docproc"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_empty_artifacts_dir" {
  command = plan
  variables {
    artifacts_dir = " "
  }
  expect_failures = [var.artifacts_dir]
}

# Under compliance-mode Object Lock nobody can remove a version before its
# retention ends: the processor could not remove refused or rejected uploads.
run "rejects_compliance_mode_object_lock" {
  command = plan
  variables {
    documents_object_lock_mode = "COMPLIANCE"
  }
  expect_failures = [var.documents_object_lock_mode]
}

run "governance_mode_object_lock_is_bypassed_by_the_processor_only" {
  command = plan
  variables {
    documents_object_lock_mode = "GOVERNANCE"
  }
  assert {
    condition     = aws_lambda_function.this["processor"].environment[0].variables.S3_BYPASS_GOVERNANCE_RETENTION == "true"
    error_message = "under governance-mode Object Lock the processor must send the bypass header"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.this["api"].environment[0].variables), "S3_BYPASS_GOVERNANCE_RETENTION")
    error_message = "only the processor bypasses governance retention"
  }
}

run "rejects_unknown_architecture" {
  command = plan
  variables {
    architecture = "riscv64"
  }
  expect_failures = [var.architecture]
}

run "rejects_missing_function" {
  command = plan
  variables {
    functions = {
      api        = { memory_mb = 256, timeout_seconds = 29 }
      authorizer = { memory_mb = 256, timeout_seconds = 10 }
      processor  = { memory_mb = 1024, timeout_seconds = 300, ephemeral_storage_mb = 10240 }
      extra      = { memory_mb = 128, timeout_seconds = 10 }
    }
  }
  expect_failures = [var.functions]
}

run "rejects_out_of_range_sizes" {
  command = plan
  variables {
    functions = {
      api        = { memory_mb = 64, timeout_seconds = 29 }
      authorizer = { memory_mb = 256, timeout_seconds = 10 }
      processor  = { memory_mb = 1024, timeout_seconds = 300, ephemeral_storage_mb = 10240 }
      notifier   = { memory_mb = 128, timeout_seconds = 60 }
    }
  }
  expect_failures = [var.functions]
}

run "rejects_api_timeout_beyond_gateway_limit" {
  command = plan
  variables {
    functions = {
      api        = { memory_mb = 256, timeout_seconds = 60 }
      authorizer = { memory_mb = 256, timeout_seconds = 10 }
      processor  = { memory_mb = 1024, timeout_seconds = 300, ephemeral_storage_mb = 10240 }
      notifier   = { memory_mb = 128, timeout_seconds = 60 }
    }
  }
  expect_failures = [var.functions]
}

run "rejects_documents_larger_than_s3_post" {
  command = plan
  variables {
    max_document_bytes = 6000000000
  }
  expect_failures = [var.max_document_bytes]
}

run "rejects_scratch_space_smaller_than_documents" {
  command = plan
  variables {
    max_document_bytes = 5368709120
    functions = {
      api        = { memory_mb = 256, timeout_seconds = 29 }
      authorizer = { memory_mb = 256, timeout_seconds = 10 }
      processor  = { memory_mb = 1024, timeout_seconds = 300, ephemeral_storage_mb = 2048 }
      notifier   = { memory_mb = 128, timeout_seconds = 60 }
    }
  }
  expect_failures = [var.max_document_bytes]
}

run "rejects_inline_limit_above_payload_limit" {
  command = plan
  variables {
    inline_max_bytes = 8388608
  }
  expect_failures = [var.inline_max_bytes]
}

run "rejects_single_subnet" {
  command = plan
  variables {
    subnet_ids = ["subnet-a"]
  }
  expect_failures = [var.subnet_ids]
}

run "rejects_bad_kms_arn" {
  command = plan
  variables {
    data_kms_key_arn = "alias/data"
  }
  expect_failures = [var.data_kms_key_arn]
}

run "rejects_bad_bucket_arn" {
  command = plan
  variables {
    documents_bucket_arn = "documents"
  }
  expect_failures = [var.documents_bucket_arn]
}

run "rejects_missing_log_group" {
  command = plan
  variables {
    log_group_names = { api = "/aws/lambda/x" }
  }
  expect_failures = [var.log_group_names]
}

run "rejects_unknown_log_level" {
  command = plan
  variables {
    log_level = "VERBOSE"
  }
  expect_failures = [var.log_level]
}

run "rejects_too_many_async_retries" {
  command = plan
  variables {
    processor_retry_attempts = 3
  }
  expect_failures = [var.processor_retry_attempts]
}

run "rejects_negative_stream_retries" {
  command = plan
  variables {
    stream_retry_attempts = -2
  }
  expect_failures = [var.stream_retry_attempts]
}

run "rejects_short_record_age" {
  command = plan
  variables {
    stream_max_record_age_seconds = 10
  }
  expect_failures = [var.stream_max_record_age_seconds]
}

run "rejects_dlq_retention_out_of_range" {
  command = plan
  variables {
    dlq_retention_seconds = 60
  }
  expect_failures = [var.dlq_retention_seconds]
}

run "rejects_reserved_concurrency_beyond_account_limit" {
  command = plan
  # 125 reserved + 100 that Lambda always keeps unreserved > 200.
  variables {
    account_concurrency_limit = 200
  }
  expect_failures = [var.account_concurrency_limit]
}

run "reserved_concurrency_fits_with_100_unreserved" {
  command = plan
  variables {
    account_concurrency_limit = 225
  }
  assert {
    condition     = sum([for f in aws_lambda_function.this : f.reserved_concurrent_executions]) == 125
    error_message = "125 reserved fits a limit of 225 exactly"
  }
}

run "object_lock_requires_checksummed_uploads" {
  command = plan
  variables {
    upload_content_md5_required = true
  }
  assert {
    condition     = aws_lambda_function.this["api"].environment[0].variables["UPLOAD_CONTENT_MD5_REQUIRED"] == "true"
    error_message = "with Object Lock default retention S3 refuses uploads without a checksum: the API must require Content-MD5"
  }
}

run "published_packages_from_s3" {
  command = plan

  variables {
    artifacts_dir = null
    artifacts_s3 = {
      bucket     = "acme-artifacts-us-east-1"
      key_prefix = "docproc/v0.2.0/arm64/"
      code_sha256_base64 = {
        api        = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        authorizer = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        processor  = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        notifier   = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
      }
      object_versions = { processor = "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo" }
    }
  }

  assert {
    condition = alltrue([for k, f in aws_lambda_function.this :
      f.filename == null && f.s3_bucket == "acme-artifacts-us-east-1" && f.s3_key == "docproc/v0.2.0/arm64/${k}.zip" &&
    f.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="])
    error_message = "published zips come from <key_prefix><function>.zip with the release's digest"
  }
  assert {
    condition     = aws_lambda_function.this["processor"].s3_object_version == "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo" && aws_lambda_function.this["api"].s3_object_version == null
    error_message = "object versions pin the packages they are given for"
  }
}

run "rejects_both_package_sources" {
  command = plan

  variables {
    artifacts_s3 = {
      bucket             = "acme-artifacts-us-east-1"
      key_prefix         = "docproc/"
      code_sha256_base64 = { api = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
    }
  }
  expect_failures = [aws_lambda_function.this]
}

run "rejects_a_function_without_a_digest" {
  command = plan

  variables {
    artifacts_dir = null
    artifacts_s3 = {
      bucket             = "acme-artifacts-us-east-1"
      key_prefix         = "docproc/"
      code_sha256_base64 = { api = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }
    }
  }
  expect_failures = [aws_lambda_function.this]
}

run "rejects_hex_digests" {
  command = plan

  variables {
    artifacts_dir = null
    artifacts_s3 = {
      bucket             = "acme-artifacts-us-east-1"
      key_prefix         = "docproc/"
      code_sha256_base64 = { api = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }
    }
  }
  expect_failures = [var.artifacts_s3]
}

run "rejects_no_package_source" {
  command = plan

  variables {
    artifacts_dir = null
  }
  expect_failures = [aws_lambda_function.this]
}
