# Outputs of deploy/terraform/local.

output "api_endpoints" {
  description = "Region name -> DynamoDB API endpoint (SDK endpoint_url)."
  value       = { for r, m in module.region : r => m.api_endpoint }
}

output "admin_urls" {
  description = "Region name -> meridiand admin API (/healthz, /varz, /regionz, ...)."
  value       = { for r, m in module.region : r => m.admin_url }
}

output "stop_commands" {
  description = "Region name -> script that stops the region (terraform destroy runs them)."
  value       = { for r, h in module.host : r => h.stop_command }
}
