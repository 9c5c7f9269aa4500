# modules/aws-host: the EC2 side of one Meridian region: a Debian 12 instance running the
# bootstrap from modules/region as cloud-init user data, its security group, and the
# association with an Elastic IP the caller allocated beforehand (so every region's
# address is known before any instance exists). The caller passes the aws provider of
# the region: providers = { aws = aws.<alias> }.
terraform {
  required_version = ">= 1.3.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
