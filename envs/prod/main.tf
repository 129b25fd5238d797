# prod: three AZs, long retention, deletion protection, Object Lock.
module "platform" {
  source = "../../terraform/platform"

  environment             = "prod"
  artifacts_dir           = var.artifacts_dir
  availability_zone_count = 3
  vpc_cidr                = "10.42.0.0/16"
  log_retention_days      = 731
  deletion_protection     = true
  object_lock_enabled     = true
  alarm_email             = var.alarm_email
  alarm_topic_arns        = var.alarm_topic_arns
  api_throttle            = { rate_limit = 200, burst_limit = 400 }
  waf_rate_limit          = 2000

  functions = {
    api        = { memory_mb = 512, timeout_seconds = 29, reserved_concurrency = 50 }
    authorizer = { memory_mb = 256, timeout_seconds = 10, reserved_concurrency = 50 }
    processor  = { memory_mb = 1769, timeout_seconds = 300, ephemeral_storage_mb = 10240, reserved_concurrency = 20 }
    notifier   = { memory_mb = 256, timeout_seconds = 60, reserved_concurrency = 5 }
  }
  max_document_bytes = 5368709120

  usage_plans = {
    standard = { rate_limit = 10, burst_limit = 20, quota_limit = 10000, quota_period = "DAY" }
    premium  = { rate_limit = 50, burst_limit = 100, quota_limit = 100000, quota_period = "DAY" }
  }
}
