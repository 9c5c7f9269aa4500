# Outputs of modules/aws-host.

output "instance_id" {
  description = "EC2 instance id."
  value       = aws_instance.region.id
}

output "private_ip" {
  description = "The instance's private address."
  value       = aws_instance.region.private_ip
}

output "security_group_id" {
  description = "The region's security group."
  value       = aws_security_group.region.id
}
