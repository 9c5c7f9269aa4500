# modules/local-host: write the bootstrap, run it; stop the region on destroy.

resource "local_file" "bootstrap" {
  filename        = var.script_path
  content         = var.script
  file_permission = "0755"
}

resource "null_resource" "region" {
  # A changed script (config, binary URL, ports) re-runs it; the bootstrap first stops
  # what an earlier run started.
  triggers = {
    script_sha = sha256(var.script)
    script     = local_file.bootstrap.filename
    stop       = "${var.run_dir}/stop"
  }

  provisioner "local-exec" {
    command = "bash ${self.triggers.script}"
  }

  provisioner "local-exec" {
    when       = destroy
    command    = "if [ -x ${self.triggers.stop} ]; then ${self.triggers.stop}; fi"
    on_failure = continue
  }
}
