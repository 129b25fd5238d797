# The whole docproc platform for one environment. envs/<env> call this with
# their own values, backend and provider; nothing here differs by environment.

data "aws_caller_identity" "current" {}

# Zones are chosen by zone ID (names map to different zones in each account):
# availability_zone_ids when given, else the first candidate_zone_ids (an
# allowlist, so a zone AWS adds later never moves the subnets) that are
# available and offer every interface endpoint service. An existing network's
# subnets are already in their zones: nothing is chosen then.
data "aws_availability_zones" "candidates" {
  count = local.choose_zones ? 1 : 0

  state = "available"

  filter {
    name   = "zone-id"
    values = var.candidate_zone_ids
  }
}

data "aws_vpc_endpoint_service" "interface" {
  for_each = local.choose_zones ? toset(var.interface_endpoint_services) : toset([])

  service      = each.value
  service_type = "Interface"
}

locals {
  name_prefix = coalesce(var.name_prefix, "${var.environment}-docproc")
  tags        = merge({ Project = "docproc", Environment = var.environment, ManagedBy = "terraform" }, var.tags)
  account_id  = data.aws_caller_identity.current.account_id
  bucket_arn  = "arn:aws:s3:::${local.name_prefix}-documents-${local.account_id}"

  choose_zones    = var.availability_zone_ids == null && var.existing_network == null
  zone_name_by_id = local.choose_zones ? zipmap(data.aws_availability_zones.candidates[0].zone_ids, data.aws_availability_zones.candidates[0].names) : {}
  usable_zone_ids = [
    for id in var.candidate_zone_ids : id
    if contains(keys(local.zone_name_by_id), id) && alltrue([for svc in data.aws_vpc_endpoint_service.interface : contains(svc.availability_zones, lookup(local.zone_name_by_id, id, ""))])
  ]
  zone_ids = var.availability_zone_ids != null ? var.availability_zone_ids : slice(local.usable_zone_ids, 0, min(var.availability_zone_count, length(local.usable_zone_ids)))
}

check "enough_zones" {
  assert {
    condition     = var.existing_network != null || length(local.zone_ids) >= var.availability_zone_count
    error_message = "Only ${length(local.zone_ids)} candidate zones (${join(", ", local.zone_ids)}) offer every interface endpoint service; lower availability_zone_count, widen candidate_zone_ids or trim interface_endpoint_services."
  }
}

module "storage" {
  source = "../../modules/storage"

  name_prefix         = local.name_prefix
  bucket_suffix       = local.account_id
  deletion_protection = var.deletion_protection
  # Unprotected environments are disposable: destroy may empty their buckets.
  force_destroy       = !var.deletion_protection
  object_lock_enabled = var.object_lock_enabled
  tags                = local.tags
}

module "network" {
  source = "../../modules/network"

  name_prefix                 = local.name_prefix
  existing_network            = var.existing_network
  cidr_block                  = var.vpc_cidr
  availability_zone_ids       = var.existing_network == null ? local.zone_ids : null
  interface_endpoint_services = var.interface_endpoint_services
  private_api_client_cidrs    = var.private_api_client_cidrs
  s3_bucket_arns              = [module.storage.documents_bucket_arn]
  dynamodb_table_arns         = module.storage.table_arns
  flow_log_kms_key_arn        = module.storage.logs_kms_key_arn
  log_retention_days          = var.log_retention_days
  tags                        = local.tags
}

module "observability" {
  source = "../../modules/observability"

  name_prefix          = local.name_prefix
  function_names       = module.compute.function_names
  dlq_names            = module.compute.dlq_names
  table_names          = { documents = module.storage.documents_table_name, audit = module.storage.audit_table_name, permissions = module.storage.permissions_table_name }
  api_name             = module.api.rest_api_name
  api_stage            = module.api.stage_name
  logs_kms_key_arn     = module.storage.logs_kms_key_arn
  log_retention_days   = var.log_retention_days
  logs_bucket_name     = module.storage.logs_bucket_name
  documents_bucket_arn = module.storage.documents_bucket_arn
  cloudtrail_enabled   = var.cloudtrail_enabled
  # One account or organization trail is enough for management events.
  cloudtrail_management_events = var.cloudtrail_management_events
  alarm_email                  = var.alarm_email == "" ? null : var.alarm_email
  alarm_topic_arns             = var.alarm_topic_arns
  thresholds                   = var.alarm_thresholds
  tags                         = local.tags
}

module "compute" {
  source = "../../modules/compute"

  name_prefix               = local.name_prefix
  artifacts_dir             = var.artifacts_dir
  artifacts_s3              = var.artifacts_s3
  architecture              = var.architecture
  functions                 = var.functions
  account_concurrency_limit = var.account_concurrency_limit
  # Object Lock default retention makes S3 require a checksum on every upload.
  upload_content_md5_required = var.object_lock_enabled
  documents_object_lock_mode  = module.storage.documents_object_lock_mode
  max_document_bytes          = var.max_document_bytes
  subnet_ids                  = module.network.private_subnet_ids
  security_group_id           = module.network.lambda_security_group_id
  data_kms_key_arn            = module.storage.data_kms_key_arn
  documents_bucket_name       = module.storage.documents_bucket_name
  documents_bucket_arn        = module.storage.documents_bucket_arn
  log_group_names             = module.observability.function_log_group_names
  tags                        = local.tags

  tables = {
    documents_name       = module.storage.documents_table_name
    documents_arn        = module.storage.documents_table_arn
    documents_stream_arn = module.storage.documents_stream_arn
    audit_name           = module.storage.audit_table_name
    audit_arn            = module.storage.audit_table_arn
    permissions_name     = module.storage.permissions_table_name
    permissions_arn      = module.storage.permissions_table_arn
  }
}

module "api" {
  source = "../../modules/api"

  name_prefix                    = local.name_prefix
  endpoint_type                  = var.api_endpoint_type
  vpc_endpoint_id                = var.api_endpoint_type == "PRIVATE" ? module.network.execute_api_endpoint_id : null
  api_function                   = { name = module.compute.function_names["api"], invoke_arn = module.compute.invoke_arns["api"] }
  authorizer_function            = { name = module.compute.function_names["authorizer"], invoke_arn = module.compute.invoke_arns["authorizer"] }
  authorizer_cache_ttl_seconds   = var.authorizer_cache_ttl_seconds
  throttle                       = var.api_throttle
  usage_plans                    = var.usage_plans
  waf_rate_limit                 = var.waf_rate_limit
  access_log_group_arn           = module.observability.api_access_log_group_arn
  logs_kms_key_arn               = module.storage.logs_kms_key_arn
  log_retention_days             = var.log_retention_days
  manage_account_cloudwatch_role = var.manage_api_gateway_account
  tags                           = local.tags
}
