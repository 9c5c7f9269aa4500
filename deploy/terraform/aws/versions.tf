# deploy/terraform/aws: a 3-region Meridian cluster on AWS, one Debian 12 instance per
# region. Terraform cannot loop over providers, so the three regions are three aliased
# aws providers (r1, r2, r3) and three pairs of module blocks; var.regions names them and
# is validated to exactly 3 names. More regions: add an alias, an EIP and a module pair
# per region (README.md).
terraform {
  required_version = ">= 1.3.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
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

provider "aws" {
  alias  = "r1"
  region = var.regions[0]
}

provider "aws" {
  alias  = "r2"
  region = var.regions[1]
}

provider "aws" {
  alias  = "r3"
  region = var.regions[2]
}
