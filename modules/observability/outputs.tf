output "function_log_group_names" {
  description = "Log group name per function key."
  value       = { for k, g in aws_cloudwatch_log_group.function : k => g.name }
}

output "api_access_log_group_arn" {
  description = "ARN of the API access log group."
  value       = aws_cloudwatch_log_group.api_access.arn
}

output "alarm_topic_arn" {
  description = "SNS topic receiving every alarm."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_actions" {
  description = "What every alarm notifies, on ALARM and on OK: the env's topic and the given ones."
  value       = local.alarm_targets
}

output "alarm_names" {
  description = "Names of every alarm."
  value       = concat([for a in aws_cloudwatch_metric_alarm.this : a.alarm_name], [aws_cloudwatch_metric_alarm.api_latency.alarm_name], aws_cloudwatch_metric_alarm.unauthorized_api_calls[*].alarm_name)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "cloudtrail_arn" {
  description = "ARN of the trail, or null when disabled."
  value       = try(aws_cloudtrail.this[0].arn, null)
}
