# deploy/terraform/local: one modules/region + modules/local-host pair per region.

locals {
  index         = { for i, r in var.regions : r => i }
  port          = { for i, r in var.regions : r => var.base_port + 10 * i }
  gateways      = { for r, p in local.port : r => ["nats://127.0.0.1:${p + 2}"] }
  meridiand_url = var.meridiand_url != "" ? var.meridiand_url : "file://${abspath("${path.module}/../../../build/bin/meridiand")}"
}

module "secrets" {
  source       = "../modules/secrets"
  count        = var.secure ? 1 : 0
  regions      = var.regions
  ip_addresses = ["127.0.0.1"]
}

module "region" {
  source   = "../modules/region"
  for_each = local.index

  region       = each.key
  region_id    = each.value + 1
  cluster_name = var.cluster_name
  ports = {
    client  = local.port[each.key]
    cluster = local.port[each.key] + 1
    gateway = local.port[each.key] + 2
    monitor = local.port[each.key] + 3
    api     = local.port[each.key] + 4
    admin   = local.port[each.key] + 5
  }
  listen_address       = "127.0.0.1"
  admin_listen_address = "127.0.0.1"
  public_host          = "127.0.0.1"
  gateways             = local.gateways
  dirs = {
    data   = "${var.base_dir}/${each.key}/data"
    config = "${var.base_dir}/${each.key}/config"
    run    = "${var.base_dir}/${each.key}/run"
    bin    = "${var.base_dir}/${each.key}/bin"
    src    = "${var.base_dir}/${each.key}/src"
  }
  meridiand_url     = local.meridiand_url
  apt_install       = false
  service_manager   = "none"
  threads           = var.threads
  startup_timeout_s = var.startup_timeout_s
  security          = var.secure ? module.secrets[0].security[each.key] : null
}

module "host" {
  source   = "../modules/local-host"
  for_each = module.region

  script      = each.value.bootstrap_script
  script_path = "${var.base_dir}/${each.key}/bootstrap.sh"
  run_dir     = each.value.run_dir
}
