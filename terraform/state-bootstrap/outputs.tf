output "bucket" {
  description = "State bucket name: pass it to each env's `terraform init -backend-config=\"bucket=...\"`."
  value       = module.state_bucket.name
}

output "kms_key_arn" {
  description = "KMS key encrypting the state."
  value       = aws_kms_key.state.arn
}
