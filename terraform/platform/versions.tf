terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}

locals {
  # Kept equal to rust/Cargo.toml's workspace version (rust/crates/core/tests/release_version.rs).
  docproc_version = "0.1.0"
}
