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

variable "artifacts_dir" {
  description = "Directory holding the prebuilt zips (api.zip, authorizer.zip, processor.zip, notifier.zip) from scripts/build-lambdas. Terraform never builds code. Set this or artifacts_s3."
  type        = string
  default     = null

  validation {
    condition     = var.artifacts_dir == null || length(trimspace(coalesce(var.artifacts_dir, " "))) > 0
    error_message = "artifacts_dir must point at the directory scripts/build-lambdas writes (build/lambda/<arch>)."
  }
}

variable "artifacts_s3" {
  description = <<-EOT
    The zips a release publishes, copied to an S3 bucket in the functions' region (Lambda reads
    packages only from there; the bucket may be in another account): <key_prefix><function>.zip,
    optional object versions, and each zip's base64 SHA-256 (the release's sha256-base64.json),
    so no Rust toolchain is needed and a changed package shows in the plan. Set this or artifacts_dir.
  EOT
  type = object({
    bucket             = string
    key_prefix         = string
    code_sha256_base64 = map(string)
    object_versions    = optional(map(string), {})
  })
  default = null

  validation {
    condition = var.artifacts_s3 == null || alltrue([
      for h in values(try(var.artifacts_s3.code_sha256_base64, {})) : can(regex("^[A-Za-z0-9+/]{43}=$", h))
    ])
    error_message = "artifacts_s3.code_sha256_base64 values must be base64 SHA-256 digests (44 characters, as `openssl dgst -sha256 -binary | base64` prints)."
  }
  validation {
    condition     = var.artifacts_s3 == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", try(var.artifacts_s3.bucket, "")))
    error_message = "artifacts_s3.bucket must be an S3 bucket name."
  }
}

variable "architecture" {
  description = "Instruction set of the functions; must match the zips."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "functions" {
  description = "Per-function sizing. reserved_concurrency null leaves the function unreserved."
  nullable    = false
  type = map(object({
    memory_mb            = number
    timeout_seconds      = number
    ephemeral_storage_mb = optional(number, 512)
    reserved_concurrency = optional(number)
  }))
  default = {
    api        = { memory_mb = 512, timeout_seconds = 29, reserved_concurrency = 50 }
    authorizer = { memory_mb = 256, timeout_seconds = 10, reserved_concurrency = 50 }
    processor  = { memory_mb = 1769, timeout_seconds = 300, ephemeral_storage_mb = 10240, reserved_concurrency = 20 }
    notifier   = { memory_mb = 256, timeout_seconds = 60, reserved_concurrency = 5 }
  }

  validation {
    condition     = length(setsubtract(["api", "authorizer", "processor", "notifier"], keys(var.functions))) == 0 && length(keys(var.functions)) == 4
    error_message = "functions must have exactly the keys api, authorizer, processor and notifier."
  }
  validation {
    condition     = alltrue([for f in values(var.functions) : f.memory_mb >= 128 && f.memory_mb <= 10240 && f.timeout_seconds >= 1 && f.timeout_seconds <= 900 && f.ephemeral_storage_mb >= 512 && f.ephemeral_storage_mb <= 10240])
    error_message = "memory_mb must be 128-10240, timeout_seconds 1-900 and ephemeral_storage_mb 512-10240."
  }
  validation {
    condition     = var.functions["api"].timeout_seconds <= 29 && var.functions["authorizer"].timeout_seconds <= 29
    error_message = "api and authorizer timeouts must fit API Gateway's 29 second integration timeout."
  }
}

variable "upload_content_md5_required" {
  description = "Require a Content-MD5 on presigned uploads (set when the documents bucket has Object Lock default retention: S3 then refuses uploads without an integrity checksum)."
  type        = bool
  default     = false
}

variable "documents_object_lock_mode" {
  description = "The documents bucket's Object Lock default retention mode: null (no Object Lock) or \"GOVERNANCE\". With GOVERNANCE the processor may bypass it (s3:BypassGovernanceRetention on incoming/ and quarantine/ only) to remove versions it refused or rejected; COMPLIANCE is refused because then S3 denies those removals for the whole retention period."
  type        = string
  default     = null

  validation {
    condition     = var.documents_object_lock_mode == null || var.documents_object_lock_mode == "GOVERNANCE"
    error_message = "documents_object_lock_mode must be null or \"GOVERNANCE\" (under COMPLIANCE the processor could not remove refused or rejected versions)."
  }
}

variable "account_concurrency_limit" {
  description = "The account's Lambda concurrent-executions limit in this region (Service Quotas; new accounts may have far less than the usual 1000). Lambda keeps 100 of it unreserved, so all reserved concurrency must fit in the rest: `docproc preflight` reads the real value."
  type        = number
  default     = 1000

  validation {
    condition     = var.account_concurrency_limit >= 100
    error_message = "account_concurrency_limit must be at least 100 (Lambda always keeps 100 unreserved)."
  }
  validation {
    condition     = sum(concat([0], [for f in values(var.functions) : coalesce(f.reserved_concurrency, 0)])) + 100 <= var.account_concurrency_limit
    error_message = "The functions' reserved concurrency plus the 100 executions Lambda keeps unreserved exceed account_concurrency_limit: lower reserved_concurrency or request a higher limit."
  }
}

variable "max_document_bytes" {
  description = "Largest document accepted through presigned uploads; the processor's ephemeral storage must hold it."
  type        = number
  default     = 5368709120

  validation {
    condition     = var.max_document_bytes >= 1048576 && var.max_document_bytes <= 5368709120
    error_message = "max_document_bytes must be between 1 MiB and 5 GiB (S3's single POST limit)."
  }
  validation {
    # The processor streams each document to ephemeral storage before parsing it.
    condition     = var.max_document_bytes + 67108864 <= var.functions["processor"].ephemeral_storage_mb * 1048576
    error_message = "the processor's ephemeral_storage_mb must hold max_document_bytes plus 64 MiB of headroom."
  }
}

variable "inline_max_bytes" {
  description = "Largest document accepted inline (base64 in the request body)."
  type        = number
  default     = 4194304

  validation {
    condition     = var.inline_max_bytes >= 1024 && var.inline_max_bytes <= 4194304
    error_message = "inline_max_bytes must be between 1 KiB and 4 MiB (the Lambda payload limit after base64)."
  }
}

variable "subnet_ids" {
  description = "Private subnets the functions run in."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (two availability zones)."
  }
}

variable "security_group_id" {
  description = "Security group of the functions (HTTPS egress to VPC endpoints only)."
  type        = string
}

variable "data_kms_key_arn" {
  description = "KMS key for Lambda environments, queues, the status topic and the data the functions touch."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.data_kms_key_arn))
    error_message = "data_kms_key_arn must be a KMS key ARN."
  }
}

variable "documents_bucket_name" {
  description = "Name of the documents bucket."
  type        = string
}

variable "documents_bucket_arn" {
  description = "ARN of the documents bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.documents_bucket_arn))
    error_message = "documents_bucket_arn must be an S3 bucket ARN."
  }
}

variable "tables" {
  description = "Table names and ARNs the functions use."
  type = object({
    documents_name       = string
    documents_arn        = string
    documents_stream_arn = string
    audit_name           = string
    audit_arn            = string
    permissions_name     = string
    permissions_arn      = string
  })
}

variable "log_group_names" {
  description = "CloudWatch log group per function (created by the observability module)."
  type        = map(string)

  validation {
    condition     = length(setsubtract(["api", "authorizer", "processor", "notifier"], keys(var.log_group_names))) == 0
    error_message = "log_group_names must name a log group for api, authorizer, processor and notifier."
  }
}

variable "log_level" {
  description = "Application log level of the functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "processor_retry_attempts" {
  description = "Retries of a failed asynchronous processor invocation before it goes to the dead-letter queue."
  type        = number
  default     = 2

  validation {
    condition     = var.processor_retry_attempts >= 0 && var.processor_retry_attempts <= 2
    error_message = "processor_retry_attempts must be 0, 1 or 2 (Lambda's range)."
  }
}

variable "stream_retry_attempts" {
  description = "Retries of a failed stream batch before its records go to the notifier's dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.stream_retry_attempts >= 0 && var.stream_retry_attempts <= 10000
    error_message = "stream_retry_attempts must be between 0 and 10000."
  }
}

variable "stream_max_record_age_seconds" {
  description = "Oldest stream record the notifier still processes before dead-lettering it."
  type        = number
  default     = 3600

  validation {
    condition     = var.stream_max_record_age_seconds >= 60 && var.stream_max_record_age_seconds <= 604800
    error_message = "stream_max_record_age_seconds must be between 60 and 604800."
  }
}

variable "dlq_retention_seconds" {
  description = "How long dead-lettered events are kept (the maximum, 14 days, by default)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_retention_seconds >= 86400 && var.dlq_retention_seconds <= 1209600
    error_message = "dlq_retention_seconds must be between 1 and 14 days."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
