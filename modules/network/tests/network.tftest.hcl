mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { id = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  # Policy documents render to valid JSON; their statements stay as configured
  # and are asserted directly.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix           = "dev-docproc"
  availability_zone_ids = ["use1-az1", "use1-az2"]
  s3_bucket_arns        = ["arn:aws:s3:::dev-docproc-documents-123456789012"]
  dynamodb_table_arns   = ["arn:aws:dynamodb:us-east-1:123456789012:table/dev-docproc-documents"]
  flow_log_kms_key_arn  = "arn:aws:kms:us-east-1:123456789012:key/abcd"
}

run "private_only_network" {
  command = plan

  assert {
    condition     = length(aws_subnet.private) == 2 && alltrue([for s in aws_subnet.private : s.map_public_ip_on_launch == false])
    error_message = "expected one private subnet per zone, none mapping public IPs"
  }
  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.dynamodb.vpc_endpoint_type == "Gateway"
    error_message = "S3 and DynamoDB must use gateway endpoints"
  }
  assert {
    condition     = aws_vpc_endpoint.s3.service_name == "com.amazonaws.us-east-1.s3"
    error_message = "S3 endpoint service name must use the current region"
  }
  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled && e.vpc_endpoint_type == "Interface"])
    error_message = "interface endpoints need private DNS"
  }
  assert {
    condition     = contains(keys(aws_vpc_endpoint.interface), "execute-api") && contains(keys(aws_vpc_endpoint.interface), "sns")
    error_message = "execute-api and sns endpoints are required"
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.lambda_to_endpoints.from_port == 443 && aws_vpc_security_group_egress_rule.lambda_to_endpoints.to_port == 443
    error_message = "Lambda egress must be HTTPS only"
  }
  assert {
    condition     = alltrue([for r in aws_vpc_security_group_egress_rule.lambda_to_gateway_endpoints : r.from_port == 443 && r.ip_protocol == "tcp"])
    error_message = "egress to gateway prefix lists must be HTTPS only"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_from_lambda.from_port == 443
    error_message = "endpoints accept HTTPS only"
  }
  assert {
    condition     = aws_flow_log.this[0].traffic_type == "ALL" && aws_cloudwatch_log_group.flow_logs[0].kms_key_id == var.flow_log_kms_key_arn
    error_message = "flow logs must capture all traffic into a KMS-encrypted log group"
  }
  assert {
    condition     = toset(flatten(data.aws_iam_policy_document.s3_endpoint.statement[*].resources)) == toset(["arn:aws:s3:::dev-docproc-documents-123456789012", "arn:aws:s3:::dev-docproc-documents-123456789012/*"])
    error_message = "the S3 endpoint policy must be limited to docproc's bucket"
  }
  assert {
    condition     = alltrue([for r in flatten(data.aws_iam_policy_document.dynamodb_endpoint.statement[*].resources) : startswith(r, "arn:aws:dynamodb:us-east-1:123456789012:table/dev-docproc-documents")])
    error_message = "the DynamoDB endpoint policy must be limited to docproc's tables"
  }
  assert {
    condition     = aws_vpc.this[0].tags["Name"] == "dev-docproc-vpc"
    error_message = "names must start with the prefix"
  }
}

run "three_zones_for_prod" {
  command = plan
  variables {
    name_prefix           = "prod-docproc"
    availability_zone_ids = ["use1-az1", "use1-az2", "use1-az4"]
  }
  assert {
    condition     = length(aws_subnet.private) == 3 && length(distinct([for s in aws_subnet.private : s.cidr_block])) == 3
    error_message = "three distinct subnets expected"
  }
}

run "rejects_malformed_name_prefix" {
  command = plan
  variables {
    name_prefix = "Prod_Docproc"
  }
  expect_failures = [var.name_prefix]
}

run "rejects_small_vpc" {
  command = plan
  variables {
    cidr_block = "10.0.0.0/24"
  }
  expect_failures = [var.cidr_block]
}

run "rejects_single_zone" {
  command = plan
  variables {
    availability_zone_ids = ["use1-az1"]
  }
  expect_failures = [var.availability_zone_ids]
}

run "rejects_bad_service_name" {
  command = plan
  variables {
    interface_endpoint_services = ["Execute API"]
  }
  expect_failures = [var.interface_endpoint_services]
}

run "rejects_bad_bucket_arn" {
  command = plan
  variables {
    s3_bucket_arns = ["my-bucket"]
  }
  expect_failures = [var.s3_bucket_arns]
}

run "rejects_bad_table_arn" {
  command = plan
  variables {
    dynamodb_table_arns = ["documents"]
  }
  expect_failures = [var.dynamodb_table_arns]
}

run "rejects_bad_kms_arn" {
  command = plan
  variables {
    flow_log_kms_key_arn = "alias/logs"
  }
  expect_failures = [var.flow_log_kms_key_arn]
}

run "rejects_unsupported_retention" {
  command = plan
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_zone_names" {
  command = plan
  variables {
    availability_zone_ids = ["us-east-1a", "us-east-1b"]
  }
  expect_failures = [var.availability_zone_ids]
}

run "subnets_by_zone_id" {
  command = plan
  assert {
    condition     = [for s in aws_subnet.private : s.availability_zone_id] == ["use1-az1", "use1-az2"]
    error_message = "subnets must be placed by zone ID"
  }
}

run "private_api_clients_reach_the_execute_api_endpoint" {
  command = plan
  variables {
    private_api_client_cidrs = ["10.50.0.0/16"]
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_from_api_clients["10.50.0.0/16"].from_port == 443
    error_message = "PRIVATE API clients need HTTPS to the endpoints"
  }
  assert {
    condition     = data.aws_iam_policy_document.execute_api_endpoint.statement[0].sid == "InvokeThisAccountsApis" && data.aws_iam_policy_document.execute_api_endpoint.statement[0].actions == toset(["execute-api:Invoke"])
    error_message = "the execute-api endpoint must admit anonymous API-key clients, for Invoke only"
  }
}

# A VPC the caller already has: docproc adds its endpoints and security groups
# to the given subnets and route tables, and creates nothing VPC-wide.
run "existing_network" {
  command = plan
  variables {
    availability_zone_ids = null
    flow_log_kms_key_arn  = null
    existing_network = {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
      route_table_ids    = ["rtb-0ccccccccccccccc3"]
    }
  }
  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_subnet.private) == 0 && length(aws_route_table.private) == 0 && length(aws_route_table_association.private) == 0
    error_message = "no VPC, subnet or route table may be created in an existing network"
  }
  assert {
    condition     = length(aws_default_security_group.this) == 0 && length(aws_flow_log.this) == 0 && length(aws_cloudwatch_log_group.flow_logs) == 0 && length(aws_iam_role.flow_logs) == 0
    error_message = "an existing VPC's default security group and flow logs are its owner's"
  }
  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.vpc_id == "vpc-0a1b2c3d4e5f60718" && e.subnet_ids == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])])
    error_message = "interface endpoints must go into the given subnets"
  }
  assert {
    condition     = alltrue([for e in [aws_vpc_endpoint.s3, aws_vpc_endpoint.dynamodb] : e.vpc_id == "vpc-0a1b2c3d4e5f60718" && e.route_table_ids == toset(["rtb-0ccccccccccccccc3"])])
    error_message = "gateway endpoints must be added to the given route tables"
  }
  assert {
    condition     = aws_security_group.lambda.vpc_id == "vpc-0a1b2c3d4e5f60718" && aws_security_group.endpoints.vpc_id == "vpc-0a1b2c3d4e5f60718"
    error_message = "security groups belong to the given VPC"
  }
  assert {
    condition     = output.vpc_id == "vpc-0a1b2c3d4e5f60718" && output.private_subnet_ids == tolist(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"])
    error_message = "outputs must name the given VPC and subnets"
  }
}

run "rejects_existing_network_with_one_subnet" {
  command = plan
  variables {
    availability_zone_ids = null
    existing_network = {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
      route_table_ids    = ["rtb-0ccccccccccccccc3"]
    }
  }
  expect_failures = [var.existing_network]
}

run "rejects_malformed_existing_ids" {
  command = plan
  variables {
    availability_zone_ids = null
    existing_network = {
      vpc_id             = "my-vpc"
      private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
      route_table_ids    = []
    }
  }
  expect_failures = [var.existing_network]
}

run "rejects_zones_with_existing_network" {
  command = plan
  variables {
    existing_network = {
      vpc_id             = "vpc-0a1b2c3d4e5f60718"
      private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
      route_table_ids    = ["rtb-0ccccccccccccccc3"]
    }
  }
  expect_failures = [var.availability_zone_ids]
}

run "zones_required_without_existing_network" {
  command = plan
  variables {
    availability_zone_ids = null
  }
  expect_failures = [var.availability_zone_ids]
}

run "flow_log_key_required_without_existing_network" {
  command = plan
  variables {
    flow_log_kms_key_arn = null
  }
  expect_failures = [var.flow_log_kms_key_arn]
}
