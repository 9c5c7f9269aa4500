# Inputs of modules/secrets.

variable "regions" {
  type        = list(string)
  description = "Every region of the cluster."
}

variable "ip_addresses" {
  type        = list(string)
  description = "IP addresses in the servers' certificate (the regions' public addresses, or 127.0.0.1)."
}

variable "dns_names" {
  type        = list(string)
  description = "DNS names in the servers' certificate."
  default     = ["localhost"]
}

variable "validity_hours" {
  type        = number
  description = "Lifetime of the CA and the certificates."
  default     = 17520
}
