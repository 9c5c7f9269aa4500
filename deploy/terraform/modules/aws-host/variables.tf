# Inputs of modules/aws-host.

variable "name" {
  type        = string
  description = "Name tag and security group name prefix, e.g. meridian-us-east-1."
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name: 1-200 characters [A-Za-z0-9_-]."
  }
}

variable "user_data" {
  type        = string
  description = "Cloud-init user data: modules/region's bootstrap_script."
}

variable "eip_allocation_id" {
  type        = string
  description = "Allocation id of this region's Elastic IP (aws_eip.allocation_id)."
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type (x86_64: the AMI filter selects amd64 Debian)."
  default     = "t3.medium"
}

variable "root_volume_gb" {
  type        = number
  description = "Root volume size in GiB (gp3); holds the RocksDB data."
  default     = 30
  validation {
    condition     = var.root_volume_gb >= 8 && var.root_volume_gb <= 16384
    error_message = "root_volume_gb must be from 8 to 16384."
  }
}

variable "key_name" {
  type        = string
  description = "EC2 key pair name in this region for SSH; empty = none."
  default     = ""
}

variable "api_port" {
  type        = number
  description = "DynamoDB API port (opened to allowed_cidrs)."
}

variable "admin_port" {
  type        = number
  description = "Admin API port (opened to admin_cidrs)."
}

variable "gateway_port" {
  type        = number
  description = "NATS gateway port (opened to peer_cidrs only)."
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "CIDRs that may reach the DynamoDB API."
  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs: IPv4 CIDR blocks, e.g. 203.0.113.0/24."
  }
}

variable "admin_cidrs" {
  type        = list(string)
  description = "CIDRs that may reach the admin API; empty = nobody (use an SSH tunnel)."
  default     = []
  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])
    error_message = "admin_cidrs: IPv4 CIDR blocks."
  }
}

variable "ssh_cidrs" {
  type        = list(string)
  description = "CIDRs that may reach port 22; empty = none."
  default     = []
  validation {
    condition     = alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs: IPv4 CIDR blocks."
  }
}

variable "peer_cidrs" {
  type        = list(string)
  description = "The other regions' Elastic IPs as /32: the only sources allowed on the gateway port."
  validation {
    condition     = alltrue([for c in var.peer_cidrs : can(regex("/32$", c)) && can(cidrhost(c, 0))])
    error_message = "peer_cidrs: /32 blocks (one per other region's Elastic IP)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags on every resource."
  default     = {}
}
