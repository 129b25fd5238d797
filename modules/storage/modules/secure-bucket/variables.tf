variable "bucket" {
  description = "Name of the bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key for default encryption (SSE-KMS with bucket keys). null: SSE-S3 (AES256), for buckets that receive S3 server access logs."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be the full ARN of a KMS key (arn:<partition>:kms:<region>:<account>:key/<id>), not a key id or alias."
  }
}

variable "policy_json" {
  description = "A policy document (JSON) whose statements are added to the bucket policy after the TLS-only deny; their Sids must differ from \"DenyInsecureTransport\". null: the deny alone."
  type        = string
  default     = null

  validation {
    condition     = var.policy_json == null || can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be a JSON policy document with a Statement."
  }
}

variable "access_log" {
  description = "S3 server access logging: the target bucket (its policy must admit logging.s3.amazonaws.com) and the key prefix for this bucket's logs. null: no access logs."
  type = object({
    bucket = string
    prefix = string
  })
  default = null

  validation {
    condition     = var.access_log == null || can(regex("^[^/].*/$", var.access_log.prefix))
    error_message = "access_log.prefix must be a non-empty key prefix ending in \"/\", so that each source bucket's logs are kept apart."
  }
}

variable "object_lock" {
  description = "Object Lock default retention (mode GOVERNANCE or COMPLIANCE, days); versioning is already on, as Object Lock requires. Once on, AWS does not let Object Lock be turned off. null: no Object Lock."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || contains(["GOVERNANCE", "COMPLIANCE"], try(var.object_lock.mode, ""))
    error_message = "object_lock.mode must be GOVERNANCE or COMPLIANCE."
  }

  validation {
    condition     = var.object_lock == null || try(var.object_lock.days >= 1 && floor(var.object_lock.days) == var.object_lock.days, false)
    error_message = "object_lock.days must be a whole number of at least 1."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the bucket with its objects (disposable environments only)."
  type        = bool
  default     = false
}

variable "prevent_destroy" {
  description = "Refuse any plan that destroys the bucket (Terraform `prevent_destroy`), e.g. for remote state."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
