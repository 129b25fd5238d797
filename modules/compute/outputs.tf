output "function_names" {
  description = "Function names by role (api, authorizer, processor, notifier)."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "function_arns" {
  description = "Function ARNs by role."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "function_subnet_ids" {
  description = "Subnets each function runs in (its VPC configuration), by role."
  value       = { for k, f in aws_lambda_function.this : k => f.vpc_config[0].subnet_ids }
}

output "invoke_arns" {
  description = "Invoke ARNs (for API Gateway integrations) by role."
  value       = { for k, f in aws_lambda_function.this : k => f.invoke_arn }
}

output "role_arns" {
  description = "Execution role ARNs by function."
  value       = { for k, r in aws_iam_role.function : k => r.arn }
}

output "dlq_urls" {
  description = "Dead-letter queue URLs (processor, notifier)."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.id }
}

output "dlq_arns" {
  description = "Dead-letter queue ARNs (processor, notifier)."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.arn }
}

output "dlq_names" {
  description = "Dead-letter queue names (processor, notifier)."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.name }
}

output "status_topic_arn" {
  description = "SNS topic receiving one message per document status change."
  value       = aws_sns_topic.status.arn
}

output "stream_mapping_uuid" {
  description = "UUID of the documents-stream event source mapping."
  value       = aws_lambda_event_source_mapping.notifier.uuid
}
