# deploy/terraform/local: an N-region Meridian cluster (default 3) on this machine, no cloud
# account needed. The same modules/region renders each region's bootstrap (loopback
# ports, own directories, service_manager "none", no apt); modules/local-host runs it
# with local-exec. Needs nats-server, curl, util-linux and a meridiand binary.
terraform {
  required_version = ">= 1.3.0"
  required_providers {
    local = {
      source  = "hashicorp/local"
      version = ">= 2.4"
    }
    null = {
      source  = "hashicorp/null"
      version = ">= 3.2"
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
