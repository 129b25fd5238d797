# The state bucket's hardening moved into modules/storage/modules/secure-bucket
# after 0.1.0: existing state follows these addresses, nothing is replaced.

moved {
  from = aws_s3_bucket.state
  to   = module.state_bucket.aws_s3_bucket.protected[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.state
  to   = module.state_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.state
  to   = module.state_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.state
  to   = module.state_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.state
  to   = module.state_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_policy.state
  to   = module.state_bucket.aws_s3_bucket_policy.this
}
