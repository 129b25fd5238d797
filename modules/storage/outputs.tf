output "data_kms_key_arn" {
  description = "ARN of the KMS key for documents, tables, queues, topics and Lambda environments."
  value       = aws_kms_key.data.arn
}

output "logs_kms_key_arn" {
  description = "ARN of the KMS key for CloudWatch Logs, CloudTrail and alarm notifications."
  value       = aws_kms_key.logs.arn
}

output "documents_bucket_name" {
  description = "Name of the documents bucket."
  value       = module.documents_bucket.name
}

output "documents_bucket_arn" {
  description = "ARN of the documents bucket."
  value       = module.documents_bucket.arn
}

output "logs_bucket_name" {
  description = "Name of the log bucket (S3 access logs, CloudTrail)."
  # The module's `name` depends on the bucket policy, so consumers
  # (CloudTrail, which checks the policy when the trail is created) are
  # ordered after it.
  value = module.logs_bucket.name
}

output "logs_bucket_arn" {
  description = "ARN of the log bucket."
  value       = module.logs_bucket.arn
}

output "documents_table_name" {
  description = "Name of the documents table."
  value       = aws_dynamodb_table.documents.name
}

output "documents_table_arn" {
  description = "ARN of the documents table."
  value       = aws_dynamodb_table.documents.arn
}

output "documents_stream_arn" {
  description = "ARN of the documents table's stream (NEW_AND_OLD_IMAGES)."
  value       = aws_dynamodb_table.documents.stream_arn
}

output "audit_table_name" {
  description = "Name of the audit table."
  value       = aws_dynamodb_table.audit.name
}

output "audit_table_arn" {
  description = "ARN of the audit table."
  value       = aws_dynamodb_table.audit.arn
}

output "permissions_table_name" {
  description = "Name of the permissions (API keys) table."
  value       = aws_dynamodb_table.permissions.name
}

output "permissions_table_arn" {
  description = "ARN of the permissions table."
  value       = aws_dynamodb_table.permissions.arn
}

output "table_arns" {
  description = "ARNs of every docproc table."
  value       = [aws_dynamodb_table.documents.arn, aws_dynamodb_table.audit.arn, aws_dynamodb_table.permissions.arn]
}

output "documents_object_lock_mode" {
  description = "The documents bucket's Object Lock default retention mode (\"GOVERNANCE\"), or null without Object Lock. The processor removes refused and rejected versions by bypassing governance retention."
  value       = try(local.documents_object_lock.mode, null)
}
