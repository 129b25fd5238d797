variable "region" {
  description = "AWS region of the existing VPC."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "environment" {
  description = "Environment name; every resource name starts with \"<environment>-docproc\"."
  type        = string
  default     = "example"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,15}$", var.environment))
    error_message = "environment must be a short lowercase word such as dev, staging or prod."
  }
}

variable "artifacts_dir" {
  description = "Directory with the Lambda zips from scripts/build-lambdas, relative to this directory (arm64, the platform's default architecture)."
  type        = string
  default     = "../../build/lambda/arm64"

  validation {
    condition     = length(trimspace(var.artifacts_dir)) > 0
    error_message = "artifacts_dir must point at the directory scripts/build-lambdas writes (build/lambda/<arch>)."
  }
}

variable "vpc_id" {
  description = "ID of the existing VPC (DNS support and DNS hostnames enabled, for the interface endpoints' private DNS)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Two or three private subnets of that VPC, in distinct availability zones, dedicated to docproc: the Lambdas and interface endpoints go in them."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && length(var.private_subnet_ids) <= 3 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must list 2 or 3 subnet IDs such as subnet-0123456789abcdef0."
  }
}

variable "private_route_table_ids" {
  description = "Route tables of those subnets, dedicated to docproc: the S3 and DynamoDB gateway endpoints (whose policies admit only docproc's bucket and tables) are added to them."
  type        = list(string)

  validation {
    condition     = length(var.private_route_table_ids) >= 1 && alltrue([for r in var.private_route_table_ids : can(regex("^rtb-[0-9a-f]{8,17}$", r))])
    error_message = "private_route_table_ids must list route table IDs such as rtb-0123456789abcdef0."
  }
}

variable "interface_endpoint_services" {
  description = "Services docproc creates interface endpoints for in the VPC. Leave out a service the VPC already has an endpoint with private DNS for (only one per VPC can have it) and list that endpoint's security group in shared_endpoint_security_group_ids."
  type        = list(string)
  default     = ["execute-api", "sns", "xray", "logs", "kms", "sts"]

  validation {
    condition     = alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoint_services must be AWS service short names (lowercase letters, digits, dots and hyphens)."
  }
}

variable "shared_endpoint_security_group_ids" {
  description = "Security groups of interface endpoints the VPC already has (for the services left out of interface_endpoint_services): the functions get HTTPS egress to them. Those groups must also admit HTTPS from the lambda_security_group_id output."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.shared_endpoint_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))])
    error_message = "shared_endpoint_security_group_ids must be security group IDs such as sg-0123456789abcdef0."
  }
}
