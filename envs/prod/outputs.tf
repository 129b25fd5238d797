output "platform" {
  description = "Everything the platform exposes: API URL, table and bucket names, usage plans, queues, topics."
  value       = module.platform
}
