variable "environment" {
  description = "Environment name (dev, staging, prod or your own); every resource name starts with it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.environment))
    error_message = "environment must be a short lowercase word such as dev, staging or prod."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; null makes it \"<environment>-docproc\". Set it to run a second stack of one environment in the same account (e.g. \"prod-docproc-eu\")."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^${var.environment}-[a-z0-9-]+$", coalesce(var.name_prefix, "x")))
    error_message = "name_prefix must start with the environment followed by a hyphen."
  }
}

variable "artifacts_dir" {
  description = "Directory with the Lambda zips built by scripts/build-lambdas (build/lambda/<arch>). Set this or artifacts_s3."
  type        = string
  default     = null
}

variable "artifacts_s3" {
  description = "Published Lambda zips in an S3 bucket of this region: bucket, key_prefix (<key_prefix><function>.zip), code_sha256_base64 per function (a release's sha256-base64.json) and optional object_versions. Set this or artifacts_dir (see modules/compute)."
  type = object({
    bucket             = string
    key_prefix         = string
    code_sha256_base64 = map(string)
    object_versions    = optional(map(string), {})
  })
  default = null
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
  description = "Number of availability zones (private subnets) to use (unused with existing_network)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2 && var.availability_zone_count <= 3
    error_message = "availability_zone_count must be 2 or 3."
  }
}

variable "existing_network" {
  description = "Place docproc in a VPC you already have (see modules/network): its ID, 2 or 3 private subnets in distinct zones and their route tables, all dedicated to docproc. No VPC, subnet, route table or flow log is created; the endpoints and security groups go into them. null creates a private-only VPC."
  type = object({
    vpc_id             = string
    private_subnet_ids = list(string)
    route_table_ids    = list(string)
  })
  default = null

  validation {
    condition     = var.existing_network == null || var.availability_zone_ids == null
    error_message = "existing_network and availability_zone_ids are exclusive: the existing subnets are already in their zones."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC docproc creates (unused with existing_network)."
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

variable "account_concurrency_limit" {
  description = "The account's Lambda concurrent-executions limit in this region (see modules/compute; `docproc preflight` reads the real value)."
  type        = number
  default     = 1000
}

variable "candidate_zone_ids" {
  description = "Zone IDs docproc may place subnets in, in order of preference (used when availability_zone_ids is null). The default is us-east-1 without use1-az3, where Lambda is not supported."
  type        = list(string)
  default     = ["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"]

  validation {
    condition     = length(var.candidate_zone_ids) >= 2 && alltrue([for z in var.candidate_zone_ids : can(regex("^[a-z]{2,}[0-9]+-az[0-9]+$", z))])
    error_message = "candidate_zone_ids must list at least two zone IDs such as use1-az1."
  }
}

variable "availability_zone_ids" {
  description = "Pin the subnets to these zone IDs (2 or 3) instead of choosing among candidate_zone_ids; `docproc preflight` checks that each offers every service used."
  type        = list(string)
  default     = null
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface endpoints (short names). Zones are chosen among those where every one of them is offered."
  type        = list(string)
  default     = ["execute-api", "sns", "xray", "logs", "kms", "sts"]
}

variable "private_api_client_cidrs" {
  description = "For api_endpoint_type PRIVATE: client CIDRs allowed to reach the execute-api endpoint (required then)."
  type        = list(string)
  default     = []

  validation {
    condition     = var.api_endpoint_type != "PRIVATE" || length(var.private_api_client_cidrs) > 0
    error_message = "A PRIVATE API needs private_api_client_cidrs: API-key clients reach it through the execute-api endpoint, which otherwise admits only the Lambdas."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the region's account-level API Gateway CloudWatch Logs role, which stage logging needs. One per account and region: set false where another stack (or another docproc environment in the same account) already owns it."
  type        = bool
  default     = true
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
  description = "E-mail subscribed to alarms. The staging and prod environments need it or alarm_topic_arns (alarms that notify nobody page nobody); others may leave it null. An empty string counts as null."
  type        = string
  default     = null

  validation {
    condition     = !contains(["staging", "prod"], var.environment) || (var.alarm_email == null ? "" : var.alarm_email) != "" || length(var.alarm_topic_arns) > 0
    error_message = "staging and prod need an alarm destination: set alarm_email (an on-call address) or alarm_topic_arns (SNS topics you are given)."
  }
}

variable "alarm_topic_arns" {
  description = "SNS topics you are given that every alarm also notifies (see modules/observability)."
  type        = list(string)
  default     = []
}

variable "alarm_thresholds" {
  description = "Alarm thresholds (see modules/observability)."
  type        = any
  default     = {}
}

variable "cloudtrail_enabled" {
  description = "Create this environment's trail (documents bucket data events; management events too unless cloudtrail_management_events is false)."
  type        = bool
  default     = true
}

variable "cloudtrail_management_events" {
  description = "Record management events in this environment's multi-region trail. Set false where an account or organization trail already records them (one such trail per account is enough)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
