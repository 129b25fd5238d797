output "platform" {
  description = "Everything the platform exposes (save `terraform output -json` and pass it to the docproc CLI with --outputs)."
  value       = module.platform
}

output "api_invoke_url" {
  description = "Base URL of the REST API stage: POST $api_invoke_url/documents."
  value       = module.platform.api_invoke_url
}

output "documents_bucket" {
  description = "Documents bucket name."
  value       = module.platform.documents_bucket
}

output "function_names" {
  description = "Lambda function names by role (api, authorizer, processor, notifier)."
  value       = module.platform.function_names
}

output "private_subnet_ids" {
  description = "Private subnets of the VPC the platform created, one per availability zone."
  value       = module.platform.private_subnet_ids
}
