output "name" {
  description = "Name of the bucket, known at plan time. It depends on the bucket policy: whatever takes it (a trail, S3 server access logs delivered into the bucket, lifecycle rules) is created after the policy is in place."
  value       = var.bucket

  depends_on = [aws_s3_bucket_policy.this]
}

output "arn" {
  description = "ARN of the bucket, for the caller's policy statements."
  value       = local.bucket.arn
}
