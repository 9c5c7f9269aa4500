# Inputs of deploy/terraform/aws.

variable "regions" {
  type        = list(string)
  description = "The three AWS regions, in region_id order (1, 2, 3); also the Meridian region names."
  default     = ["us-east-1", "eu-west-1", "ap-southeast-1"]
  validation {
    condition     = length(var.regions) == 3 && length(distinct(var.regions)) == 3
    error_message = "regions: exactly 3 distinct names (one per aliased provider r1, r2, r3)."
  }
  validation {
    condition     = alltrue([for r in var.regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", r))])
    error_message = "regions: AWS region names such as us-east-1."
  }
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the DynamoDB API port of every region."
  validation {
    condition     = length(var.allowed_cidrs) >= 1 && alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs: at least one IPv4 CIDR block, e.g. 203.0.113.7/32."
  }
}

variable "admin_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the admin API port; empty = nobody (SSH tunnel)."
  default     = []
  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])
    error_message = "admin_cidrs: IPv4 CIDR blocks."
  }
}

variable "ssh_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach SSH (port 22); empty = closed."
  default     = []
  validation {
    condition     = alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs: IPv4 CIDR blocks."
  }
}

variable "key_names" {
  type        = map(string)
  description = "EC2 key pair name per region (key pairs are regional); regions left out get none."
  default     = {}
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type for every region (x86_64). Building from git wants >= 4 GiB RAM."
  default     = "t3.medium"
  validation {
    condition     = can(regex("^[a-z0-9-]+\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type: an EC2 type such as t3.medium."
  }
}

variable "meridiand_url" {
  type        = string
  description = "URL of a meridiand release binary for Debian 12 amd64. Set this or git_repo."
  default     = ""
  validation {
    condition     = var.meridiand_url == "" || can(regex("^https?://", var.meridiand_url))
    error_message = "meridiand_url must be empty or an http(s):// URL reachable from the instances."
  }
}

variable "git_repo" {
  type        = string
  description = "Git URL of the Meridian repo; each instance builds meridiand at git_ref. Set this or meridiand_url."
  default     = ""
}

variable "git_ref" {
  type        = string
  description = "Branch, tag or commit to build when git_repo is set."
  default     = "main"
}

variable "cluster_name" {
  type        = string
  description = "Meridian cluster name (NATS subject namespace)."
  default     = "meridian"
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,63}$", var.cluster_name))
    error_message = "cluster_name: 1-63 characters [A-Za-z0-9_-]."
  }
}

variable "ports" {
  type = object({
    client  = optional(number, 4222)
    cluster = optional(number, 6222)
    gateway = optional(number, 7222)
    monitor = optional(number, 8222)
    api     = optional(number, 8000)
    admin   = optional(number, 8001)
  })
  description = "Ports, the same in every region (see modules/region)."
  default     = {}
  validation {
    condition     = alltrue([for p in values(var.ports) : p >= 1 && p <= 65535]) && length(distinct(values(var.ports))) == 6
    error_message = "ports: six distinct port numbers."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags on every resource."
  default     = {}
}

variable "secure" {
  type        = bool
  description = "Secure mode (docs/security.md; on by default across the internet): HTTPS + SigV4, NATS mutual TLS and a user per region, signed replication, encrypted data directories. The keys land in the Terraform state and the instances' user data: keep the state encrypted and IMDSv2 on (modules/aws-host)."
  default     = true
}
