output "documents_bucket_name" {
  description = "Name of the documents bucket."
  value       = module.storage.documents_bucket_name
}

output "table_names" {
  description = "Names of the documents, audit and permissions tables."
  value = {
    documents   = module.storage.documents_table_name
    audit       = module.storage.audit_table_name
    permissions = module.storage.permissions_table_name
  }
}

output "data_kms_key_arn" {
  description = "ARN of the KMS key encrypting documents and tables (grant your own functions use of it)."
  value       = module.storage.data_kms_key_arn
}
