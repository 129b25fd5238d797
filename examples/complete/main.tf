# The whole docproc platform with only its required inputs: the composition
# envs/<env> call, with every other setting at its default (private-only VPC in
# two zones, REGIONAL API behind WAF, deletion protection on, CloudTrail on).

provider "aws" {
  region = var.region
}

module "platform" {
  source = "../../terraform/platform"

  environment   = var.environment
  artifacts_dir = var.artifacts_dir
}
