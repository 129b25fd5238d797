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

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "availability_zone_ids" {
  description = "Availability zone IDs (e.g. use1-az1) for the private subnets (2 or 3). IDs, not names: names map to different zones in each account, and service support (Lambda, interface endpoints) is published per zone ID."
  type        = list(string)

  validation {
    condition     = length(var.availability_zone_ids) >= 2 && length(var.availability_zone_ids) <= 3 && length(distinct(var.availability_zone_ids)) == length(var.availability_zone_ids)
    error_message = "availability_zone_ids must list 2 or 3 distinct zone IDs."
  }
  validation {
    condition     = alltrue([for z in var.availability_zone_ids : can(regex("^[a-z]{2,}[0-9]+-az[0-9]+$", z))])
    error_message = "availability_zone_ids must be zone IDs such as use1-az1 (not zone names such as us-east-1a)."
  }
}

variable "private_api_client_cidrs" {
  description = "For a PRIVATE API: client CIDRs (inside or peered with this VPC) allowed to reach the execute-api endpoint on 443. Empty keeps the endpoints reachable from the Lambdas only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.private_api_client_cidrs : can(cidrnetmask(c))])
    error_message = "private_api_client_cidrs must be IPv4 CIDRs."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface endpoints (short names such as \"execute-api\", \"sns\")."
  type        = list(string)
  default     = ["execute-api", "sns", "xray", "logs", "kms", "sts"]

  validation {
    condition     = alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoint_services must be AWS service short names (lowercase letters, digits, dots and hyphens)."
  }
}

variable "s3_bucket_arns" {
  description = "Buckets the S3 gateway endpoint policy allows (docproc's documents bucket)."
  type        = list(string)

  validation {
    condition     = length(var.s3_bucket_arns) > 0 && alltrue([for a in var.s3_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", a))])
    error_message = "s3_bucket_arns must be bucket ARNs (arn:aws:s3:::name)."
  }
}

variable "dynamodb_table_arns" {
  description = "Tables the DynamoDB gateway endpoint policy allows (with their indexes and streams)."
  type        = list(string)

  validation {
    condition     = length(var.dynamodb_table_arns) > 0 && alltrue([for a in var.dynamodb_table_arns : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", a))])
    error_message = "dynamodb_table_arns must be DynamoDB table ARNs."
  }
}

variable "flow_log_kms_key_arn" {
  description = "KMS key ARN encrypting the VPC flow log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the flow log group, in days."
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
