# Remote state for docproc's environments: one versioned, KMS-encrypted,
# TLS-only bucket that Terraform refuses to destroy (the secure-bucket module
# of modules/storage). Locking uses S3 itself (`use_lockfile = true` in each
# env's backend), so no DynamoDB lock table is needed.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  bucket = coalesce(var.bucket_name, "docproc-tfstate-${data.aws_caller_identity.current.account_id}")
}

# An explicit key policy (the same as KMS's default): the account administers
# the key and IAM policies decide who may use it; no service uses it on its
# own behalf (S3 encrypts state with the caller's permissions).
data "aws_iam_policy_document" "state_key" {
  # checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only.
  # checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only.
  # checkov:skip=CKV_AWS_356:A key policy's Resource "*" means this key only.
  statement {
    sid = "AccountAdministration"
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
    actions   = ["kms:*"]
    resources = ["*"]
  }
}

resource "aws_kms_key" "state" {
  description             = "docproc Terraform state"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/docproc-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

module "state_bucket" {
  # checkov:skip=CKV_AWS_18:Access to state is recorded by CloudTrail; a second log bucket for the state bucket is not worth its cost.
  # checkov:skip=CKV_AWS_144:Cross-region replication of state is an organisation-level choice; versioning protects against loss.
  # checkov:skip=CKV2_AWS_62:Nothing consumes events from the state bucket.
  # checkov:skip=CKV2_AWS_61:The lifecycle rule is aws_s3_bucket_lifecycle_configuration.state below (checkov does not follow the module's output).
  source = "../../modules/storage/modules/secure-bucket"

  bucket          = local.bucket
  kms_key_arn     = aws_kms_key.state.arn
  prevent_destroy = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = module.state_bucket.name
  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}
