# Inputs of modules/local-host.

variable "script" {
  type        = string
  description = "The rendered bootstrap (modules/region bootstrap_script, service_manager \"none\")."
}

variable "script_path" {
  type        = string
  description = "Absolute path the script is written to before it runs."
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+$", var.script_path))
    error_message = "script_path: an absolute path of [A-Za-z0-9._/-]."
  }
}

variable "run_dir" {
  type        = string
  description = "The region's run directory (modules/region run_dir): holds the stop script."
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+$", var.run_dir))
    error_message = "run_dir: an absolute path of [A-Za-z0-9._/-]."
  }
}
