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

variable "bucket_suffix" {
  description = "Suffix making the bucket names globally unique (e.g. the account id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{3,20}$", var.bucket_suffix))
    error_message = "bucket_suffix must be 3-20 lowercase letters, digits or hyphens."
  }
}

variable "deletion_protection" {
  description = "Protect tables and keys from deletion (prod)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets (disposable environments only)."
  type        = bool
  default     = false
}

variable "object_lock_enabled" {
  description = "Enable S3 Object Lock (governance mode) on the documents bucket. Can only be set at bucket creation."
  type        = bool
  default     = false
}

variable "object_lock_days" {
  description = "Default Object Lock retention in days when object_lock_enabled is true."
  type        = number
  default     = 30

  validation {
    condition     = var.object_lock_days >= 1 && var.object_lock_days <= 3650
    error_message = "object_lock_days must be between 1 and 3650."
  }
}

variable "processed_transition_days" {
  description = "Days after which current document versions move to STANDARD_IA."
  type        = number
  default     = 30

  validation {
    condition     = var.processed_transition_days >= 30
    error_message = "processed_transition_days must be at least 30 (the STANDARD_IA minimum)."
  }
}

variable "noncurrent_expiration_days" {
  description = "Days after which noncurrent object versions are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_expiration_days >= 1
    error_message = "noncurrent_expiration_days must be at least 1."
  }
}

variable "access_log_expiration_days" {
  description = "Days after which access and CloudTrail logs in the log bucket expire."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_expiration_days >= 90
    error_message = "access_log_expiration_days must be at least 90."
  }
}

variable "audit_ttl_enabled" {
  description = "Expire audit events through the `expires_at` TTL attribute (off keeps the trail forever)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
