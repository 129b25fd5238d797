# Tables: documents (streamed to the notifier, GSIs for listing), audit
# (hash-chained events per document), permissions (API keys by SHA-256).
# All on-demand, point-in-time recovery, encrypted with the data key.

resource "aws_dynamodb_table" "documents" {
  name                        = "${var.name_prefix}-documents"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "document_id"
  deletion_protection_enabled = var.deletion_protection
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "document_id"
    type = "S"
  }
  attribute {
    name = "client_id"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "created_at"
    type = "S"
  }

  global_secondary_index {
    name            = "by_client"
    hash_key        = "client_id"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "by_status"
    hash_key        = "status"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "audit" {
  name                        = "${var.name_prefix}-audit"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "document_id"
  range_key                   = "seq"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "document_id"
    type = "S"
  }
  attribute {
    name = "seq"
    type = "N"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = var.audit_ttl_enabled
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "permissions" {
  name                        = "${var.name_prefix}-permissions"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "key_hash"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "key_hash"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }

  tags = var.tags
}
