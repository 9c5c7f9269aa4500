# modules/region: renders the bootstrap script of one Meridian region.
locals {
  # The units are plain files (deploy/systemd); the script installs them and adds drop-ins
  # with this host's paths.
  nats_unit      = file("${path.module}/../../../systemd/meridian-nats.service")
  meridiand_unit = file("${path.module}/../../../systemd/meridiand.service")

  bootstrap = templatefile("${path.module}/templates/bootstrap.sh.tftpl", {
    region               = var.region
    region_id            = var.region_id
    cluster_name         = var.cluster_name
    client_port          = var.ports.client
    cluster_port         = var.ports.cluster
    gateway_port         = var.ports.gateway
    monitor_port         = var.ports.monitor
    api_port             = var.ports.api
    admin_port           = var.ports.admin
    listen_address       = var.listen_address
    admin_listen_address = var.admin_listen_address
    gateways             = var.gateways
    gateway_advertise    = var.gateway_advertise
    data_dir             = var.dirs.data
    config_dir           = var.dirs.config
    run_dir              = var.dirs.run
    bin_dir              = var.dirs.bin
    src_dir              = var.dirs.src
    meridiand_url        = var.meridiand_url
    git_repo             = var.git_repo
    git_ref              = var.git_ref
    apt_install          = var.apt_install
    apt_packages         = var.apt_packages
    service_manager      = var.service_manager
    global_tables        = var.global_tables
    threads              = var.threads
    durability           = var.durability
    log_level            = var.log_level
    advertise_admin_url  = var.advertise_admin_url
    startup_timeout_s    = var.startup_timeout_s
    security             = var.security
    nats_unit            = local.nats_unit
    meridiand_unit       = local.meridiand_unit
  })
}
