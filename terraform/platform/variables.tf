variable "environment" {
  description = "Environment name; every resource name starts with it."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "artifacts_dir" {
  description = "Directory with the Lambda zips built by scripts/build-lambdas (build/lambda/<arch>)."
  type        = string
}

variable "architecture" {
  description = "Lambda architecture; must match the zips."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "availability_zone_count" {
  description = "Number of availability zones (private subnets) to use."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 3
    error_message = "availability_zone_count must be 2 or 3."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "functions" {
  description = "Per-function sizing (see modules/compute). null keeps the module defaults."
  type = map(object({
    memory_mb            = number
    timeout_seconds      = number
    ephemeral_storage_mb = optional(number, 512)
    reserved_concurrency = optional(number)
  }))
  default = null
}

variable "max_document_bytes" {
  description = "Largest document accepted (presigned uploads)."
  type        = number
  default     = 5368709120
}

variable "log_retention_days" {
  description = "Retention of every log group."
  type        = number
  default     = 365
}

variable "deletion_protection" {
  description = "Protect tables from deletion."
  type        = bool
  default     = true
}

variable "object_lock_enabled" {
  description = "S3 Object Lock on the documents bucket (set at creation only)."
  type        = bool
  default     = false
}

variable "api_endpoint_type" {
  description = "REGIONAL or PRIVATE (through the execute-api VPC endpoint)."
  type        = string
  default     = "REGIONAL"
}

variable "api_throttle" {
  description = "Stage-wide throttling."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 100, burst_limit = 200 }
}

variable "usage_plans" {
  description = "Usage plan per tier (null keeps the module defaults)."
  type = map(object({
    rate_limit   = number
    burst_limit  = number
    quota_limit  = number
    quota_period = string
  }))
  default = null
}

variable "authorizer_cache_ttl_seconds" {
  description = "Authorizer decision cache per key."
  type        = number
  default     = 300
}

variable "waf_rate_limit" {
  description = "WAF requests per 5 minutes per IP."
  type        = number
  default     = 2000
}

variable "alarm_email" {
  description = "E-mail subscribed to alarms (null for none)."
  type        = string
  default     = null
}

variable "alarm_thresholds" {
  description = "Alarm thresholds (see modules/observability)."
  type        = any
  default     = {}
}

variable "cloudtrail_enabled" {
  description = "Create the CloudTrail trail."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
