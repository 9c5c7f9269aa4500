# modules/local-host: runs one region's bootstrap (from modules/region) on this machine:
# writes the script to a file and runs it with local-exec; `terraform destroy` runs the
# stop script the bootstrap wrote (service_manager "none"). The local counterpart of
# modules/aws-host.
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
  }
}
