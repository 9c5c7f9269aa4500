# modules/secrets: the key material of a secure Meridian cluster (docs/security.md), made
# by Terraform's tls and random providers: what deploy/local/cluster up --secure makes with
# openssl. It lands in the Terraform state: keep the state encrypted (an S3 backend with
# SSE and restricted access), as for any Terraform-managed secret.
terraform {
  required_version = ">= 1.3.0"
  required_providers {
    tls = {
      source  = "hashicorp/tls"
      version = ">= 4.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}
