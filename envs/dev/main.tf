# dev: small, cheap, easy to tear down.
module "platform" {
  source = "../../terraform/platform"

  environment             = "dev"
  artifacts_dir           = var.artifacts_dir
  availability_zone_count = 2
  vpc_cidr                = "10.40.0.0/16"
  log_retention_days      = 30
  deletion_protection     = false
  alarm_email             = var.alarm_email
  alarm_topic_arns        = var.alarm_topic_arns
  api_throttle            = { rate_limit = 20, burst_limit = 40 }
  waf_rate_limit          = 500

  functions = {
    api        = { memory_mb = 256, timeout_seconds = 29, reserved_concurrency = 5 }
    authorizer = { memory_mb = 128, timeout_seconds = 10, reserved_concurrency = 5 }
    processor  = { memory_mb = 1024, timeout_seconds = 300, ephemeral_storage_mb = 2048, reserved_concurrency = 2 }
    notifier   = { memory_mb = 128, timeout_seconds = 60, reserved_concurrency = 1 }
  }
  max_document_bytes = 1073741824

  usage_plans = {
    standard = { rate_limit = 5, burst_limit = 10, quota_limit = 1000, quota_period = "DAY" }
  }
}
