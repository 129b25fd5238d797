variable "name_prefix" {
  description = "Prefix for every resource name, starting with the environment, e.g. \"prod-docproc\" or \"prod-docproc-eu\"."
  type        = string

  validation {
    # Lowercase and short enough for every name built from it (S3 buckets,
    # IAM roles, alarm names); the composition makes it "<environment>-docproc".
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)+$", var.name_prefix)) && length(var.name_prefix) <= 32
    error_message = "name_prefix must be lowercase words joined by hyphens, starting with the environment (e.g. prod-docproc), at most 32 characters."
  }
}

variable "stage_name" {
  description = "Name of the API stage."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,64}$", var.stage_name))
    error_message = "stage_name must be 1-64 letters, digits or underscores."
  }
}

variable "endpoint_type" {
  description = "REGIONAL (public HTTPS endpoint) or PRIVATE (reachable only through the execute-api VPC endpoint)."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "PRIVATE"], var.endpoint_type)
    error_message = "endpoint_type must be REGIONAL or PRIVATE."
  }
}

variable "vpc_endpoint_id" {
  description = "The execute-api interface endpoint allowed to call a PRIVATE API (required when endpoint_type is PRIVATE)."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_endpoint_id == null || can(regex("^vpce-[0-9a-f]+$", var.vpc_endpoint_id))
    error_message = "vpc_endpoint_id must be a VPC endpoint id (vpce-...)."
  }
  validation {
    condition     = var.endpoint_type != "PRIVATE" || var.vpc_endpoint_id != null
    error_message = "A PRIVATE API needs vpc_endpoint_id (the execute-api interface endpoint)."
  }
}

variable "allowed_source_cidrs" {
  description = "For a REGIONAL API: client CIDRs allowed by the resource policy (default: anyone with a valid key)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.allowed_source_cidrs) > 0 && alltrue([for c in var.allowed_source_cidrs : can(cidrnetmask(c))])
    error_message = "allowed_source_cidrs must be a non-empty list of IPv4 CIDRs."
  }
}

variable "api_function" {
  description = "The API handler function (name and invoke ARN)."
  type        = object({ name = string, invoke_arn = string })
}

variable "authorizer_function" {
  description = "The authorizer function (name and invoke ARN)."
  type        = object({ name = string, invoke_arn = string })
}

variable "authorizer_cache_ttl_seconds" {
  description = "How long API Gateway caches an authorizer decision per key; bounds how fast a revoked key stops working."
  type        = number
  default     = 300

  validation {
    condition     = var.authorizer_cache_ttl_seconds >= 0 && var.authorizer_cache_ttl_seconds <= 3600
    error_message = "authorizer_cache_ttl_seconds must be between 0 and 3600."
  }
}

variable "throttle" {
  description = "Stage-wide method throttling (steady requests per second and burst)."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 100, burst_limit = 200 }

  validation {
    condition     = var.throttle.rate_limit > 0 && var.throttle.burst_limit >= 1
    error_message = "throttle.rate_limit must be positive and throttle.burst_limit at least 1."
  }
}

variable "usage_plans" {
  description = "Usage plan per tier: per-key throttling and quota."
  nullable    = false
  type = map(object({
    rate_limit   = number
    burst_limit  = number
    quota_limit  = number
    quota_period = string
  }))
  default = {
    standard = { rate_limit = 10, burst_limit = 20, quota_limit = 10000, quota_period = "DAY" }
    premium  = { rate_limit = 50, burst_limit = 100, quota_limit = 100000, quota_period = "DAY" }
  }

  validation {
    condition     = length(var.usage_plans) > 0 && alltrue([for p in values(var.usage_plans) : contains(["DAY", "WEEK", "MONTH"], p.quota_period) && p.rate_limit > 0 && p.burst_limit >= 1 && p.quota_limit >= 1])
    error_message = "each usage plan needs positive limits and a quota_period of DAY, WEEK or MONTH."
  }
  validation {
    condition     = alltrue([for k in keys(var.usage_plans) : can(regex("^[a-z][a-z0-9-]{0,30}$", k))])
    error_message = "usage plan (tier) names must be lowercase letters, digits or hyphens."
  }
}

variable "waf_rate_limit" {
  description = "WAF rate-based rule: requests per 5 minutes per client IP before it answers 429 (rate_limited)."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 100 and 2,000,000,000."
  }
}

variable "manage_account_cloudwatch_role" {
  description = "Create the region's account-level API Gateway CloudWatch Logs role (aws_api_gateway_account), which stage logging requires. Set false when the account already has one (one per account and region; this overwrites it)."
  type        = bool
  default     = true
}

variable "access_log_group_arn" {
  description = "CloudWatch log group (KMS-encrypted) receiving the stage's JSON access logs."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:.+$", var.access_log_group_arn))
    error_message = "access_log_group_arn must be a CloudWatch Logs log group ARN."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key for the WAF and execution log groups."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the WAF and execution log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs supports (e.g. 30, 90, 365, 731)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
