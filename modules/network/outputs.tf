output "vpc_id" {
  description = "ID of the VPC (the one created, or existing_network's)."
  value       = local.vpc_id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone (the ones created, or existing_network's)."
  value       = local.private_subnet_ids
}

output "lambda_security_group_id" {
  description = "Security group for the docproc Lambdas (HTTPS egress to endpoints only)."
  value       = aws_security_group.lambda.id
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints."
  value       = aws_security_group.endpoints.id
}

output "execute_api_endpoint_id" {
  description = "ID of the execute-api interface endpoint (for a PRIVATE REST API), or null when not created."
  value       = try(aws_vpc_endpoint.interface["execute-api"].id, null)
}

output "interface_endpoint_ids" {
  description = "Interface endpoint IDs by service short name."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

output "gateway_endpoint_ids" {
  description = "Gateway endpoint IDs for S3 and DynamoDB."
  value       = { s3 = aws_vpc_endpoint.s3.id, dynamodb = aws_vpc_endpoint.dynamodb.id }
}
