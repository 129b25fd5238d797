# The buckets' shared hardening moved into modules/secure-bucket after 0.1.0:
# existing state follows these addresses, nothing is replaced.

moved {
  from = aws_s3_bucket.logs
  to   = module.logs_bucket.aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.logs
  to   = module.logs_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.logs
  to   = module.logs_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.logs
  to   = module.logs_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.logs
  to   = module.logs_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_policy.logs
  to   = module.logs_bucket.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket.documents
  to   = module.documents_bucket.aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.documents
  to   = module.documents_bucket.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.documents
  to   = module.documents_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_versioning.documents
  to   = module.documents_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.documents
  to   = module.documents_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_policy.documents
  to   = module.documents_bucket.aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket_logging.documents
  to   = module.documents_bucket.aws_s3_bucket_logging.this[0]
}

moved {
  from = aws_s3_bucket_object_lock_configuration.documents
  to   = module.documents_bucket.aws_s3_bucket_object_lock_configuration.this
}
