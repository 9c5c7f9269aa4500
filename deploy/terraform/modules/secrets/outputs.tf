# Outputs of modules/secrets.

output "security" {
  description = "Region name -> the `security` input of its modules/region."
  value       = local.security
  sensitive   = true
}

output "ca_pem" {
  description = "The cluster CA certificate (clients' --ca-bundle / verify=)."
  value       = tls_self_signed_cert.ca.cert_pem
}

output "access_key_id" {
  description = "The root access key id (no policy: every action)."
  value       = local.access_key_id
}

output "secret_access_key" {
  description = "The root access key's secret."
  value       = random_password.secret_access_key.result
  sensitive   = true
}
