# Outputs of modules/local-host.

output "stop_command" {
  description = "Stops this region's processes (terraform destroy also runs it)."
  value       = "${var.run_dir}/stop"
  depends_on  = [null_resource.region]
}
