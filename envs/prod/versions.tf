terraform {
  required_version = ">= 1.11"

  # Partial configuration: pass the state bucket at init, e.g.
  #   terraform -chdir=envs/prod init -backend-config="bucket=$(terraform -chdir=terraform/state-bootstrap output -raw bucket)"
  backend "s3" {
    key          = "docproc/prod.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}
