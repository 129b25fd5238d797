# staging: production-shaped, smaller limits.
module "platform" {
  source = "../../terraform/platform"

  environment             = "staging"
  artifacts_dir           = var.artifacts_dir
  availability_zone_count = 2
  vpc_cidr                = "10.41.0.0/16"
  log_retention_days      = 90
  deletion_protection     = true
  alarm_email             = var.alarm_email
  alarm_topic_arns        = var.alarm_topic_arns
  api_throttle            = { rate_limit = 50, burst_limit = 100 }
  waf_rate_limit          = 1000

  functions = {
    api        = { memory_mb = 512, timeout_seconds = 29, reserved_concurrency = 10 }
    authorizer = { memory_mb = 256, timeout_seconds = 10, reserved_concurrency = 10 }
    processor  = { memory_mb = 1769, timeout_seconds = 300, ephemeral_storage_mb = 6144, reserved_concurrency = 5 }
    notifier   = { memory_mb = 256, timeout_seconds = 60, reserved_concurrency = 2 }
  }
  max_document_bytes = 5368709120
}
