variable "region" {
  description = "AWS region to deploy into. The platform's default zone candidates are us-east-1's; elsewhere also set candidate_zone_ids on the module."
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
