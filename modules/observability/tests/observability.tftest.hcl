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
  name_prefix          = "prod-docproc"
  function_names       = { api = "prod-docproc-api", authorizer = "prod-docproc-authorizer", processor = "prod-docproc-processor", notifier = "prod-docproc-notifier" }
  dlq_names            = { processor = "prod-docproc-processor-dlq", notifier = "prod-docproc-notifier-dlq" }
  table_names          = { documents = "prod-docproc-documents", audit = "prod-docproc-audit", permissions = "prod-docproc-permissions" }
  api_name             = "prod-docproc-api"
  api_stage            = "v1"
  logs_kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/logs"
  log_retention_days   = 731
  logs_bucket_name     = "prod-docproc-logs-123456789012"
  documents_bucket_arn = "arn:aws:s3:::prod-docproc-documents-123456789012"
  alarm_email          = "oncall@example.com"
}

run "everything_is_watched" {
  command = plan

  assert {
    condition     = alltrue([for g in concat(values(aws_cloudwatch_log_group.function), [aws_cloudwatch_log_group.api_access], aws_cloudwatch_log_group.cloudtrail) : g.kms_key_id == var.logs_kms_key_arn && g.retention_in_days == 731])
    error_message = "every log group must be KMS-encrypted with the environment's retention"
  }
  assert {
    condition     = aws_cloudwatch_log_group.function["processor"].name == "/aws/lambda/prod-docproc-processor"
    error_message = "function log groups follow the Lambda naming"
  }
  assert {
    condition = alltrue([for k in concat([for f in keys(var.function_names) : "${f}-errors"], [for f in keys(var.function_names) : "${f}-throttles"],
    ["processor-dlq-depth", "notifier-dlq-depth", "stream-iterator-age", "api-5xx", "api-4xx", "authorizer-denial-spike", "rejected-documents"]) : contains(keys(aws_cloudwatch_metric_alarm.this), k)])
    error_message = "an alarm is missing"
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.table)) == toset(["documents-throttled", "documents-system-errors", "audit-throttled", "audit-system-errors", "permissions-throttled", "permissions-system-errors"])
    error_message = "each table needs a throttle and a system-error alarm, named by its short key (the prefix appears once)"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.table["documents-throttled"].alarm_name == "prod-docproc-documents-throttled"
    error_message = "alarm names carry the prefix once"
  }
  assert {
    # AWS publishes ThrottledRequests per TableName and Operation only. (The
    # expression query has no metric; `expression` is null, not "", on the
    # others, so the metric block tells them apart.)
    condition = alltrue([for q in aws_cloudwatch_metric_alarm.table["audit-throttled"].metric_query : length(q.metric) == 0 ? true :
    one(q.metric).metric_name == "ThrottledRequests" && one(q.metric).dimensions["TableName"] == "prod-docproc-audit" && contains(var.table_operations, one(q.metric).dimensions["Operation"])])
    error_message = "table alarms must sum per-operation metrics with the TableName and Operation dimensions"
  }
  assert {
    # Audit appends are TransactWriteItems calls (rust/crates/aws/src/dynamo.rs):
    # without that operation, audit throttling never alarms.
    condition = anytrue([for q in aws_cloudwatch_metric_alarm.table["audit-throttled"].metric_query : length(q.metric) == 0 ? false :
    one(q.metric).dimensions["Operation"] == "TransactWriteItems"])
    error_message = "the audit table's throttle alarm must sum TransactWriteItems, the operation every audit append is"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["processor-dlq-depth"].dimensions["QueueName"] == "prod-docproc-processor-dlq" && aws_cloudwatch_metric_alarm.this["stream-iterator-age"].dimensions["FunctionName"] == "prod-docproc-notifier"
    error_message = "alarms must watch the right resources"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.api_latency.extended_statistic == "p99" && length(aws_cloudwatch_metric_alarm.unauthorized_api_calls) == 1
    error_message = "latency and unauthorized-call alarms are required"
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.authorizer_denials.pattern == "{ $.fields.outcome = \"deny\" }" && aws_cloudwatch_log_metric_filter.rejected_documents.metric_transformation[0].name == "RejectedDocuments"
    error_message = "metric filters must match the functions' JSON logs"
  }
  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.logs_kms_key_arn && aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com"
    error_message = "the alarm topic is encrypted and e-mails the on-call address"
  }
  assert {
    condition     = aws_cloudtrail.this[0].enable_log_file_validation && aws_cloudtrail.this[0].kms_key_id == var.logs_kms_key_arn && aws_cloudtrail.this[0].is_multi_region_trail
    error_message = "the trail must validate and encrypt its files"
  }
  assert {
    condition     = one(one(aws_cloudtrail.this[0].event_selector).data_resource).values == tolist(["arn:aws:s3:::prod-docproc-documents-123456789012/"])
    error_message = "the trail records the documents bucket's data events"
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 4
    error_message = "the dashboard shows functions, API, documents and queues"
  }
}

run "no_trail_no_email" {
  command = plan
  variables {
    cloudtrail_enabled = false
    alarm_email        = null
  }
  assert {
    condition     = length(aws_cloudtrail.this) == 0 && length(aws_sns_topic_subscription.email) == 0
    error_message = "both are optional"
  }
}

run "data_events_only_trail_where_an_account_trail_exists" {
  command = plan
  variables {
    cloudtrail_management_events = false
  }
  assert {
    condition     = !aws_cloudtrail.this[0].is_multi_region_trail && !one(aws_cloudtrail.this[0].event_selector).include_management_events && length(one(aws_cloudtrail.this[0].event_selector).data_resource) == 1
    error_message = "without management events the trail records the documents bucket's data events in this region only"
  }
}

run "unauthorized_filter_ignores_presigned_url_failures" {
  command = plan
  assert {
    condition     = strcontains(aws_cloudwatch_log_metric_filter.unauthorized_api_calls[0].pattern, "$.additionalEventData.AuthenticationMethod != \"QueryString\"")
    error_message = "expired presigned URLs (query-string authentication) must not page"
  }
}

run "rejects_malformed_name_prefix" {
  command = plan
  variables {
    name_prefix = "Prod_Docproc"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_functions_without_notifier" {
  command = plan
  variables {
    function_names = { api = "prod-docproc-api" }
  }
  expect_failures = [var.function_names]
}

run "rejects_bad_kms_arn" {
  command = plan
  variables {
    logs_kms_key_arn = "alias/logs"
  }
  expect_failures = [var.logs_kms_key_arn]
}

run "rejects_unsupported_retention" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_bad_bucket_arn" {
  command = plan
  variables {
    documents_bucket_arn = "documents"
  }
  expect_failures = [var.documents_bucket_arn]
}

# Every alarm notifies the env's topic and the topics it was given, when it
# fires and when it clears (the unauthorized-calls alarm had no ok_actions).
run "alarms_notify_given_topics_when_firing_and_clearing" {
  command = apply
  variables {
    alarm_topic_arns = ["arn:aws:sns:us-east-1:123456789012:oncall"]
  }
  # The mock's random ARNs fail the provider's ARN checks at apply.
  override_resource {
    target = aws_sns_topic.alarms
    values = { arn = "arn:aws:sns:us-east-1:123456789012:prod-docproc-alarms" }
  }
  override_resource {
    target = aws_sns_topic.cloudtrail
    values = { arn = "arn:aws:sns:us-east-1:123456789012:prod-docproc-cloudtrail" }
  }
  override_resource {
    target = aws_cloudwatch_log_group.cloudtrail
    values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/prod-docproc" }
  }
  override_resource {
    target = aws_iam_role.cloudtrail
    values = { arn = "arn:aws:iam::123456789012:role/prod-docproc-cloudtrail-logs" }
  }
  assert {
    condition = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.this), values(aws_cloudwatch_metric_alarm.table), aws_cloudwatch_metric_alarm.unauthorized_api_calls, [aws_cloudwatch_metric_alarm.api_latency]) :
    toset(a.alarm_actions) == toset(["arn:aws:sns:us-east-1:123456789012:prod-docproc-alarms", "arn:aws:sns:us-east-1:123456789012:oncall"]) && toset(a.ok_actions) == toset(a.alarm_actions)])
    error_message = "every alarm must notify its topic and the given ones, on alarm and on OK"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.unauthorized_api_calls) == 1
    error_message = "the trail's alarm is part of the set"
  }
}

run "rejects_a_topic_that_is_not_an_sns_arn" {
  command = plan
  variables {
    alarm_topic_arns = ["arn:aws:sqs:us-east-1:123456789012:oncall"]
  }
  expect_failures = [var.alarm_topic_arns]
}

run "rejects_more_topics_than_an_alarm_takes" {
  command = plan
  variables {
    alarm_topic_arns = [for i in range(5) : "arn:aws:sns:us-east-1:123456789012:oncall-${i}"]
  }
  expect_failures = [var.alarm_topic_arns]
}

run "rejects_bad_email" {
  command = plan
  variables {
    alarm_email = "not-an-address"
  }
  expect_failures = [var.alarm_email]
}

run "rejects_negative_threshold" {
  command = plan
  variables {
    thresholds = { api_5xx = -1 }
  }
  expect_failures = [var.thresholds]
}
