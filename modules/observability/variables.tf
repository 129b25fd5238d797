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

variable "function_keys" {
  description = "The functions that get a log group (their names are <name_prefix>-<key>)."
  type        = list(string)
  default     = ["api", "authorizer", "processor", "notifier"]
}

variable "function_names" {
  description = "Deployed function names by key (api, authorizer, processor, notifier), for alarms."
  type        = map(string)

  validation {
    condition     = contains(keys(var.function_names), "notifier")
    error_message = "function_names must include the notifier (its stream iterator age is alarmed)."
  }
}

variable "dlq_names" {
  description = "Dead-letter queue names (processor, notifier), for depth alarms."
  type        = map(string)
}

variable "table_names" {
  description = "DynamoDB table names by short key (documents, audit, permissions), for throttle and system-error alarms."
  type        = map(string)

  validation {
    condition     = alltrue([for k in keys(var.table_names) : can(regex("^[a-z][a-z0-9-]{0,30}$", k))])
    error_message = "table_names keys must be short lowercase names (they become part of alarm names)."
  }
}

variable "table_operations" {
  description = "DynamoDB operations docproc calls; the throttle and system-error alarms sum each table's per-operation metrics (AWS publishes ThrottledRequests and SystemErrors per TableName and Operation)."
  type        = list(string)
  # TransactWriteItems: every audit append (event, anchor and dedupe claim
  # in one transaction) is metered under that operation, not PutItem.
  default = ["GetItem", "PutItem", "UpdateItem", "Query", "Scan", "TransactWriteItems"]

  validation {
    condition     = length(var.table_operations) > 0 && length(var.table_operations) <= 9 && alltrue([for o in var.table_operations : contains(["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "GetRecords"], o)])
    error_message = "table_operations must be 1-9 DynamoDB operation names (an alarm sums at most 10 metrics)."
  }
}

variable "api_name" {
  description = "REST API name (ApiName dimension)."
  type        = string
}

variable "api_stage" {
  description = "REST API stage name (Stage dimension)."
  type        = string
}

variable "logs_kms_key_arn" {
  description = "KMS key for every log group, the alarm topic and CloudTrail."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs supports (e.g. 30, 90, 365, 731)."
  }
}

variable "logs_bucket_name" {
  description = "Bucket receiving CloudTrail files (its policy must allow CloudTrail)."
  type        = string
}

variable "documents_bucket_arn" {
  description = "Documents bucket; CloudTrail records its object-level (data) events."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.documents_bucket_arn))
    error_message = "documents_bucket_arn must be an S3 bucket ARN."
  }
}

variable "cloudtrail_enabled" {
  description = "Create this environment's trail (the documents bucket's data events, and management events unless cloudtrail_management_events is false)."
  type        = bool
  default     = true
}

variable "cloudtrail_management_events" {
  description = "Record management events in a multi-region trail. Set false where an account or organization trail already records them: the trail then records only the documents bucket's data events, in this region."
  type        = bool
  default     = true
}

variable "alarm_topic_arns" {
  description = "SNS topics you are given (an on-call or incident tool's) that every alarm also notifies, on ALARM and on every transition to OK (a new alarm sends one OK once it has data). At most 4 (an alarm takes 5 actions, one is the env's own topic), in the platform's Region; each topic's policy must let cloudwatch.amazonaws.com publish, and an encrypted topic needs a customer managed key that lets CloudWatch use it (alias/aws/sns cannot)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.alarm_topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", arn))])
    error_message = "alarm_topic_arns must be SNS topic ARNs."
  }
  validation {
    condition     = length(var.alarm_topic_arns) <= 4
    error_message = "At most 4 alarm_topic_arns: CloudWatch takes at most 5 actions per alarm state, and one is the env's own topic."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (null for none)."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "thresholds" {
  description = "Alarm thresholds."
  nullable    = false
  type = object({
    function_errors        = optional(number, 1)
    function_throttles     = optional(number, 1)
    dlq_messages           = optional(number, 1)
    iterator_age_ms        = optional(number, 60000)
    api_5xx                = optional(number, 5)
    api_4xx                = optional(number, 100)
    api_latency_p99_ms     = optional(number, 3000)
    denials_per_5min       = optional(number, 50)
    rejected_per_5min      = optional(number, 20)
    unauthorized_aws_calls = optional(number, 1)
  })
  default = {}

  validation {
    condition     = alltrue([for v in values(var.thresholds) : v >= 0])
    error_message = "thresholds must not be negative."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
