output "platform" {
  description = "Everything the platform exposes (save `terraform output -json` and pass it to the docproc CLI with --outputs)."
  value       = module.platform
}

output "api_invoke_url" {
  description = "Base URL of the REST API stage: POST $api_invoke_url/documents."
  value       = module.platform.api_invoke_url
}

output "vpc_id" {
  description = "The existing VPC docproc runs in."
  value       = module.platform.vpc_id
}

output "private_subnet_ids" {
  description = "The existing subnets the functions and interface endpoints run in."
  value       = module.platform.private_subnet_ids
}

output "lambda_security_group_id" {
  description = "Security group of the functions: admit it (HTTPS) wherever the VPC's own resources, such as shared endpoints, must accept their traffic."
  value       = module.platform.lambda_security_group_id
}
