output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API (the ApiName CloudWatch dimension)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "Base URL of the stage (HTTPS)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "usage_plan_ids" {
  description = "Usage plan ID per tier; `docproc keys create --tier` attaches keys to these."
  value       = { for k, p in aws_api_gateway_usage_plan.this : k => p.id }
}

output "web_acl_arn" {
  description = "ARN of the stage's WAF web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "routes" {
  description = "Every route by operation id (as in docs/openapi.yaml): HTTP method, resource path and request model (null without a body)."
  value = {
    for k, r in local.routes : k => {
      method = r.method
      path   = local.resource_paths[r.resource]
      model  = r.model
    }
  }
}

output "request_models" {
  description = "The JSON Schema (draft 4) of each request model API Gateway validates bodies against, by name."
  value       = local.models
}
