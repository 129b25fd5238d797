output "platform" {
  description = "Everything the platform exposes (the docproc CLI reads this): API URL, table and bucket names, usage plans, queues, topics."
  value       = module.platform
}

output "api_invoke_url" {
  description = "Base URL of the REST API stage: POST $api_invoke_url/documents."
  value       = module.platform.api_invoke_url
}

output "rest_api_id" {
  description = "REST API ID."
  value       = module.platform.rest_api_id
}

output "documents_bucket" {
  description = "Documents bucket name."
  value       = module.platform.documents_bucket
}

output "documents_table" {
  description = "Documents table name."
  value       = module.platform.documents_table
}

output "permissions_table" {
  description = "API key permissions table name."
  value       = module.platform.permissions_table
}

output "status_topic_arn" {
  description = "SNS topic that receives every document status change."
  value       = module.platform.status_topic_arn
}

output "docproc_version" {
  description = "docproc release deployed."
  value       = module.platform.docproc_version
}
