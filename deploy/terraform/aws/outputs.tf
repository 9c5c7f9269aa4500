# Outputs of deploy/terraform/aws.

output "api_endpoints" {
  description = "Region name -> DynamoDB API endpoint (SDK endpoint_url)."
  value = {
    (module.region_r1.region) = module.region_r1.api_endpoint
    (module.region_r2.region) = module.region_r2.api_endpoint
    (module.region_r3.region) = module.region_r3.api_endpoint
  }
}

output "admin_urls" {
  description = "Region name -> meridiand admin API (/healthz ...); reachable from admin_cidrs only."
  value = {
    (module.region_r1.region) = module.region_r1.admin_url
    (module.region_r2.region) = module.region_r2.admin_url
    (module.region_r3.region) = module.region_r3.admin_url
  }
}

output "instances" {
  description = "Region name -> EC2 instance id and public (Elastic) IP."
  value = {
    (var.regions[0]) = { instance_id = module.host_r1.instance_id, public_ip = aws_eip.r1.public_ip }
    (var.regions[1]) = { instance_id = module.host_r2.instance_id, public_ip = aws_eip.r2.public_ip }
    (var.regions[2]) = { instance_id = module.host_r3.instance_id, public_ip = aws_eip.r3.public_ip }
  }
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
