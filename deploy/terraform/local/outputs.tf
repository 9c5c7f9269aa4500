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

output "ca_pem" {
  description = "Secure mode: the cluster CA (AWS CLI --ca-bundle, boto3 verify=); empty otherwise."
  value       = var.secure ? module.secrets[0].ca_pem : ""
}

output "access_key_id" {
  description = "Secure mode: the root access key id; empty otherwise."
  value       = var.secure ? module.secrets[0].access_key_id : ""
}

output "secret_access_key" {
  description = "Secure mode: the root access key's secret (terraform output -raw secret_access_key)."
  value       = var.secure ? module.secrets[0].secret_access_key : ""
  sensitive   = true
}
