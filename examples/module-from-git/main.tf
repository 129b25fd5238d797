# One docproc module consumed from another repository, pinned to a release tag.
# Replace <owner> with the GitHub account or organisation that hosts your copy
# of docproc; move ref only after reading CHANGELOG.md for that release.

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

module "storage" {
  # checkov:skip=CKV_TF_1:A release tag is the form this example teaches (CKV_TF_2 passes); where tags are not trusted, pin the tag's commit instead (?ref=<commit sha>).
  source = "git::https://github.com/<owner>/docproc.git//modules/storage?ref=v0.1.0"

  name_prefix         = var.name_prefix
  bucket_suffix       = data.aws_caller_identity.current.account_id
  deletion_protection = var.deletion_protection
}
