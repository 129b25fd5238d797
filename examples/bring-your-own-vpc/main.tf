# The docproc platform in a VPC the user already has: no VPC, subnet, route
# table or flow log is created. docproc adds its security groups, the S3 and
# DynamoDB gateway endpoints (on the given route tables) and its interface
# endpoints (in the given subnets), and runs its functions there.

provider "aws" {
  region = var.region
}

module "platform" {
  source = "../../terraform/platform"

  environment   = var.environment
  artifacts_dir = var.artifacts_dir

  existing_network = {
    vpc_id             = var.vpc_id
    private_subnet_ids = var.private_subnet_ids
    route_table_ids    = var.private_route_table_ids
  }
  interface_endpoint_services = var.interface_endpoint_services
}

# The functions' security group allows HTTPS to docproc's own endpoints only;
# endpoints the VPC already shares need their own egress rule.
resource "aws_vpc_security_group_egress_rule" "lambda_to_shared_endpoints" {
  for_each = toset(var.shared_endpoint_security_group_ids)

  security_group_id            = module.platform.lambda_security_group_id
  description                  = "HTTPS to the VPC's shared interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}
