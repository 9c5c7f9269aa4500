# Outputs of modules/region.

output "bootstrap_script" {
  description = "The rendered bootstrap (bash): cloud-init user data, or a script to run on the host."
  value       = local.bootstrap
  sensitive   = true # holds the secure mode's keys when var.security is enabled
  precondition {
    condition     = (var.meridiand_url == "") != (var.git_repo == "")
    error_message = "Set exactly one of meridiand_url and git_repo."
  }
  precondition {
    # EC2 rejects user data over 16 KiB.
    condition     = length(local.bootstrap) <= 16384
    error_message = "The rendered bootstrap is over 16 KiB (the EC2 user data limit)."
  }
}

output "region" {
  description = "Region name."
  value       = var.region
}

output "api_endpoint" {
  description = "DynamoDB API endpoint (endpoint_url for SDKs, --endpoint-url for the AWS CLI)."
  value       = "${nonsensitive(var.security.enabled) ? "https" : "http"}://${var.public_host}:${var.ports.api}"
}

output "admin_url" {
  description = "meridiand admin API base URL (/healthz, /varz, /regionz, /tablez, /conflictz)."
  value       = "${nonsensitive(var.security.enabled) ? "https" : "http"}://${var.public_host}:${var.ports.admin}"
}

output "run_dir" {
  description = "Directory with pid files, logs and the stop script (service_manager \"none\")."
  value       = var.dirs.run
}
