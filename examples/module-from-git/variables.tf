variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, starting with the environment (e.g. \"dev-docproc\")."
  type        = string
  default     = "example-docproc"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)+$", var.name_prefix)) && length(var.name_prefix) <= 32
    error_message = "name_prefix must be lowercase words joined by hyphens, starting with the environment (e.g. dev-docproc), at most 32 characters."
  }
}

variable "deletion_protection" {
  description = "Protect the tables and keys from deletion; false lets `terraform destroy` remove a trial (its buckets must be emptied first)."
  type        = bool
  default     = true
}
