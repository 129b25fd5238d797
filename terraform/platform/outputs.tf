output "docproc_version" {
  description = "docproc release this platform was built from (the Rust workspace version; a release tags it vX.Y.Z)."
  value       = local.docproc_version
}

output "name_prefix" {
  description = "Prefix of every resource name."
  value       = local.name_prefix
}

output "api_invoke_url" {
  description = "Base URL of the REST API stage."
  value       = module.api.invoke_url
}

output "rest_api_id" {
  description = "REST API ID."
  value       = module.api.rest_api_id
}

output "api_stage" {
  description = "REST API stage name."
  value       = module.api.stage_name
}

output "usage_plan_ids" {
  description = "Usage plan ID per tier (for `docproc keys create --tier`)."
  value       = module.api.usage_plan_ids
}

output "documents_bucket" {
  description = "Documents bucket name."
  value       = module.storage.documents_bucket_name
}

output "documents_table" {
  description = "Documents table name."
  value       = module.storage.documents_table_name
}

output "audit_table" {
  description = "Audit table name."
  value       = module.storage.audit_table_name
}

output "permissions_table" {
  description = "Permissions (API keys) table name."
  value       = module.storage.permissions_table_name
}

output "data_kms_key_arn" {
  description = "Data KMS key ARN."
  value       = module.storage.data_kms_key_arn
}

output "function_names" {
  description = "Lambda function names."
  value       = module.compute.function_names
}

output "dlq_urls" {
  description = "Dead-letter queue URLs (processor, notifier)."
  value       = module.compute.dlq_urls
}

output "status_topic_arn" {
  description = "SNS topic with one message per document status change."
  value       = module.compute.status_topic_arn
}

output "alarm_topic_arn" {
  description = "SNS topic receiving alarms."
  value       = module.observability.alarm_topic_arn
}

output "private_subnet_ids" {
  description = "Private subnets the functions run in (one per availability zone)."
  value       = module.network.private_subnet_ids
}

output "vpc_id" {
  description = "VPC the functions and endpoints are in (created, or existing_network's)."
  value       = module.network.vpc_id
}

output "lambda_security_group_id" {
  description = "Security group of the functions: in an existing network, reference it where other resources (e.g. shared endpoints) must accept their traffic."
  value       = module.network.lambda_security_group_id
}

output "authorizer_cache_ttl_seconds" {
  description = "How long API Gateway caches an authorizer decision per key: the upper bound on how long a revoked or disabled key keeps working."
  value       = var.authorizer_cache_ttl_seconds
}
