# A private-only VPC: no internet or NAT gateway. Lambdas reach AWS through
# gateway endpoints (S3, DynamoDB) and interface endpoints (everything else).
# With existing_network, the endpoints and security groups go into a VPC the
# caller already has, and the VPC, subnets, route tables and flow logs are the
# caller's.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # `id` is the region name on provider 5.x and 6.x alike (`name` is deprecated in 6.x).
  region = data.aws_region.current.id

  # Resources that gained a count with existing_network keep their state:
  # Terraform moves an object to index [0] when count is added to its resource.
  create_vpc         = var.existing_network == null
  vpc_id             = local.create_vpc ? aws_vpc.this[0].id : var.existing_network.vpc_id
  private_subnet_ids = local.create_vpc ? aws_subnet.private[*].id : var.existing_network.private_subnet_ids
  route_table_ids    = local.create_vpc ? aws_route_table.private[*].id : var.existing_network.route_table_ids
  # The function roles (modules/compute names them "<name_prefix>-<function>").
  function_roles = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${var.name_prefix}-*"
}

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })
}

# Lock down the default security group: nothing may use it. An existing VPC's
# default group is its owner's: adopting it would remove its rules.
resource "aws_default_security_group" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-default-deny" })
}

resource "aws_subnet" "private" {
  count = local.create_vpc ? length(var.availability_zone_ids) : 0

  vpc_id                  = aws_vpc.this[0].id
  availability_zone_id    = var.availability_zone_ids[count.index]
  cidr_block              = cidrsubnet(var.cidr_block, 4, count.index)
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name_prefix}-private-${var.availability_zone_ids[count.index]}", Tier = "private" })
}

resource "aws_route_table" "private" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route_table_association" "private" {
  count = length(aws_subnet.private)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

# --- Gateway endpoints, with policies limited to docproc's data -------------

data "aws_iam_policy_document" "s3_endpoint" {
  statement {
    sid = "DocprocBucketsOnly"
    # "With gateway endpoints, the Principal element must be set to *": a
    # policy naming the account admits only its root user, not its roles,
    # which are admitted by aws:PrincipalArn (PrivateLink guide, "Principals
    # for gateway endpoints"). Only docproc's function roles use these.
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = [local.function_roles]
    }
    # Every S3 action a function role has must be here too: requests through
    # the endpoint need both (checked over each env by the fidelity suite).
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucket", "s3:ListBucketVersions", "s3:BypassGovernanceRetention"]
    resources = concat(var.s3_bucket_arns, [for b in var.s3_bucket_arns : "${b}/*"])
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.route_table_ids
  policy            = data.aws_iam_policy_document.s3_endpoint.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}

data "aws_iam_policy_document" "dynamodb_endpoint" {
  statement {
    sid = "DocprocTablesOnly"
    # Roles by aws:PrincipalArn, as for S3 above.
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = [local.function_roles]
    }
    actions = [
      "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:Scan",
      "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
    ]
    resources = concat(var.dynamodb_table_arns, [for t in var.dynamodb_table_arns : "${t}/*"])
  }
}

resource "aws_vpc_endpoint" "dynamodb" {
  vpc_id            = local.vpc_id
  service_name      = "com.amazonaws.${local.region}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = local.route_table_ids
  policy            = data.aws_iam_policy_document.dynamodb_endpoint.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-dynamodb" })
}

# --- Interface endpoints ----------------------------------------------------

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-endpoints"
  description = "Interface endpoints: HTTPS from the docproc Lambdas only"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-endpoints" })
}

resource "aws_security_group" "lambda" {
  # checkov:skip=CKV2_AWS_5:Attached to the Lambda functions by the compute module, which checkov cannot see from here.
  name        = "${var.name_prefix}-lambda"
  description = "docproc Lambdas: HTTPS egress to VPC endpoints only"
  vpc_id      = local.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-lambda" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_lambda" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from docproc Lambdas"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda.id
}

# A PRIVATE API's clients reach it through the execute-api endpoint, so they
# need HTTPS to the endpoints' security group too.
resource "aws_vpc_security_group_ingress_rule" "endpoints_from_api_clients" {
  for_each = toset(var.private_api_client_cidrs)

  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from PRIVATE API clients"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_endpoints" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "HTTPS to interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_gateway_endpoints" {
  for_each = {
    s3       = aws_vpc_endpoint.s3.prefix_list_id
    dynamodb = aws_vpc_endpoint.dynamodb.prefix_list_id
  }

  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to the ${each.key} gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = each.value
}

# Interface endpoints only carry requests signed by this account's principals,
# so a compromised function cannot move data to another account through them.
data "aws_iam_policy_document" "interface_endpoint" {
  # checkov:skip=CKV_AWS_1:An endpoint policy, not an identity policy: it admits only this account's principals, whose own roles are least-privilege.
  # checkov:skip=CKV_AWS_49:An endpoint policy, not an identity policy: it admits only this account's principals, whose own roles are least-privilege.
  statement {
    sid = "OwnAccountPrincipalsOnly"
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    actions   = ["*"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# API-key clients of a PRIVATE API call anonymously (the key is not an AWS
# identity), so an endpoint policy that admits only this account's principals
# would refuse them: the execute-api endpoint also lets anyone invoke this
# account's APIs, and each API's resource policy then admits only calls
# through this endpoint.
data "aws_iam_policy_document" "execute_api_endpoint" {
  # checkov:skip=CKV_AWS_1:An endpoint policy, not an identity policy.
  # checkov:skip=CKV_AWS_49:An endpoint policy, not an identity policy.
  source_policy_documents = [data.aws_iam_policy_document.interface_endpoint.json]

  statement {
    sid = "InvokeThisAccountsApis"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["execute-api:Invoke"]
    resources = ["arn:${data.aws_partition.current.partition}:execute-api:${local.region}:${data.aws_caller_identity.current.account_id}:*"]
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoint_services)

  # Written out rather than local.vpc_id: `docproc preflight` counts interface
  # endpoints per VPC by the aws_vpc this expression references.
  vpc_id              = local.create_vpc ? aws_vpc.this[0].id : var.existing_network.vpc_id
  service_name        = "com.amazonaws.${local.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.private_subnet_ids
  security_group_ids  = [aws_security_group.endpoints.id]
  policy              = each.value == "execute-api" && length(var.private_api_client_cidrs) > 0 ? data.aws_iam_policy_document.execute_api_endpoint.json : data.aws_iam_policy_document.interface_endpoint.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.value}" })
}

# --- Flow logs --------------------------------------------------------------

resource "aws_cloudwatch_log_group" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  # checkov:skip=CKV_AWS_338:Retention is the environment's log_retention_days: prod keeps 731 days; dev (30) and staging (90) keep less by decision (README, Security scan).
  name              = "/aws/vpc/${var.name_prefix}-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.flow_log_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  count = local.create_vpc ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  name               = "${var.name_prefix}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume[0].json
  tags               = var.tags
}

data "aws_iam_policy_document" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = local.create_vpc ? 1 : 0

  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs[0].json
}

resource "aws_flow_log" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id          = aws_vpc.this[0].id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn    = aws_iam_role.flow_logs[0].arn
  tags            = merge(var.tags, { Name = "${var.name_prefix}-flow-logs" })
}
