# Inputs of deploy/terraform/local.

variable "regions" {
  type        = list(string)
  description = "Region names, in region_id order."
  default     = ["us-east-1", "eu-west-1", "ap-southeast-1"]
  validation {
    condition     = length(var.regions) >= 1 && length(var.regions) <= 20 && length(distinct(var.regions)) == length(var.regions)
    error_message = "regions: 1 to 20 distinct names."
  }
  validation {
    condition     = alltrue([for r in var.regions : can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", r))])
    error_message = "regions: names of [A-Za-z0-9_-]."
  }
}

variable "base_port" {
  type        = number
  description = "Region i (0-based) uses base_port + 10*i + 0..5: NATS client, cluster, gateway, monitoring, API, admin (deploy/local/cluster's layout)."
  default     = 17000
  validation {
    condition     = var.base_port >= 1024 && var.base_port + 200 <= 65535
    error_message = "base_port must be from 1024 to 65335."
  }
}

variable "base_dir" {
  type        = string
  description = "Absolute directory for every region's data, config and run dirs (<base_dir>/<region>/...)."
  default     = "/tmp/meridian-terraform"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+$", var.base_dir))
    error_message = "base_dir: an absolute path of [A-Za-z0-9._/-]."
  }
}

variable "meridiand_url" {
  type        = string
  description = "meridiand binary URL; empty = file:// of this repo's build/bin/meridiand."
  default     = ""
  validation {
    condition     = var.meridiand_url == "" || can(regex("^(https?|file)://", var.meridiand_url))
    error_message = "meridiand_url must be empty or an http(s):// or file:// URL."
  }
}

variable "cluster_name" {
  type        = string
  description = "Meridian cluster name (NATS subject namespace)."
  default     = "local"
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,63}$", var.cluster_name))
    error_message = "cluster_name: 1-63 characters [A-Za-z0-9_-]."
  }
}

variable "threads" {
  type        = number
  description = "API threads per meridiand (the regions share this machine's cores)."
  default     = 1
  validation {
    condition     = var.threads >= 0 && var.threads <= 256
    error_message = "threads must be from 0 to 256."
  }
}

variable "startup_timeout_s" {
  type        = number
  description = "Seconds each bootstrap waits for nats-server and meridiand."
  default     = 30
  validation {
    condition     = var.startup_timeout_s >= 1 && var.startup_timeout_s <= 600
    error_message = "startup_timeout_s must be from 1 to 600."
  }
}

variable "secure" {
  type        = bool
  description = "Secure mode (docs/security.md): modules/secrets makes a CA, certificates, peer keys, NATS users, encryption keys and a root access key (outputs ca_pem, access_key_id, secret_access_key)."
  default     = false
}
