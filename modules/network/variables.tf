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

variable "existing_network" {
  description = "Place docproc in a VPC you already have instead of creating one: the VPC, two or three private subnets in distinct zones (the Lambdas and interface endpoints go in them) and the route tables of those subnets (the S3 and DynamoDB gateway endpoints are added to them). Use subnets and route tables dedicated to docproc: the gateway endpoint policies admit only docproc's bucket and tables. The VPC needs DNS support and DNS hostnames. docproc then creates no VPC, subnet, route table or flow log and leaves the default security group alone. null creates a private-only VPC."
  type = object({
    vpc_id             = string
    private_subnet_ids = list(string)
    route_table_ids    = list(string)
  })
  default = null

  validation {
    condition     = var.existing_network == null ? true : can(regex("^vpc-[0-9a-f]{8,17}$", var.existing_network.vpc_id))
    error_message = "existing_network.vpc_id must be a VPC ID (vpc-0123456789abcdef0)."
  }
  validation {
    condition = var.existing_network == null ? true : (
      length(var.existing_network.private_subnet_ids) >= 2 && length(var.existing_network.private_subnet_ids) <= 3 &&
      length(distinct(var.existing_network.private_subnet_ids)) == length(var.existing_network.private_subnet_ids) &&
      alltrue([for s in var.existing_network.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    )
    error_message = "existing_network.private_subnet_ids must list 2 or 3 distinct subnet IDs (subnet-0123456789abcdef0), one per availability zone."
  }
  validation {
    condition = var.existing_network == null ? true : (
      length(var.existing_network.route_table_ids) >= 1 &&
      length(distinct(var.existing_network.route_table_ids)) == length(var.existing_network.route_table_ids) &&
      alltrue([for r in var.existing_network.route_table_ids : can(regex("^rtb-[0-9a-f]{8,17}$", r))])
    )
    error_message = "existing_network.route_table_ids must list the distinct route table IDs (rtb-0123456789abcdef0) of the private subnets."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC docproc creates (unused with existing_network)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be a valid IPv4 CIDR of /20 or larger."
  }
}

variable "availability_zone_ids" {
  description = "Availability zone IDs (e.g. use1-az1) for the private subnets (2 or 3); required unless existing_network is set (whose subnets already have their zones). IDs, not names: names map to different zones in each account, and service support (Lambda, interface endpoints) is published per zone ID."
  type        = list(string)
  default     = null

  validation {
    condition     = var.availability_zone_ids == null ? var.existing_network != null : length(var.availability_zone_ids) >= 2 && length(var.availability_zone_ids) <= 3 && length(distinct(var.availability_zone_ids)) == length(var.availability_zone_ids)
    error_message = "availability_zone_ids must list 2 or 3 distinct zone IDs (required unless existing_network is set)."
  }
  validation {
    condition     = var.availability_zone_ids == null ? true : alltrue([for z in var.availability_zone_ids : can(regex("^[a-z]{2,}[0-9]+-az[0-9]+$", z))])
    error_message = "availability_zone_ids must be zone IDs such as use1-az1 (not zone names such as us-east-1a)."
  }
  validation {
    condition     = var.availability_zone_ids == null || var.existing_network == null
    error_message = "availability_zone_ids and existing_network are exclusive: the existing subnets are already in their zones."
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
  description = "KMS key ARN encrypting the VPC flow log group; required unless existing_network is set (an existing VPC's flow logs are its owner's)."
  type        = string
  default     = null

  validation {
    condition     = var.flow_log_kms_key_arn == null ? var.existing_network != null : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be a KMS key ARN (required unless existing_network is set)."
  }
}

variable "log_retention_days" {
  description = "Retention of the flow log group, in days (unused with existing_network)."
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
