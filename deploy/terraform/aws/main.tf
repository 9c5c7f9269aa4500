# deploy/terraform/aws: Elastic IPs first (every region's gateway address must be in the
# others' configs and security groups), then per region: modules/region renders the
# bootstrap, modules/aws-host runs it on a Debian 12 instance.

resource "aws_eip" "r1" {
  provider = aws.r1
  domain   = "vpc"
  tags     = merge(var.tags, { Name = "meridian-${var.regions[0]}" })
}

resource "aws_eip" "r2" {
  provider = aws.r2
  domain   = "vpc"
  tags     = merge(var.tags, { Name = "meridian-${var.regions[1]}" })
}

resource "aws_eip" "r3" {
  provider = aws.r3
  domain   = "vpc"
  tags     = merge(var.tags, { Name = "meridian-${var.regions[2]}" })
}

locals {
  ips = [aws_eip.r1.public_ip, aws_eip.r2.public_ip, aws_eip.r3.public_ip]
  # region name -> gateway URLs, the same map for every region (its own entry included).
  # (Secure mode: the gateway block's tls makes these connections mutual TLS.)
  gateways = { for i, r in var.regions : r => ["nats://${local.ips[i]}:${var.ports.gateway}"] }
  scheme   = var.secure ? "https" : "http"
}

module "secrets" {
  source       = "../modules/secrets"
  count        = var.secure ? 1 : 0
  regions      = var.regions
  ip_addresses = local.ips
}

module "region_r1" {
  source              = "../modules/region"
  region              = var.regions[0]
  region_id           = 1
  cluster_name        = var.cluster_name
  ports               = var.ports
  public_host         = local.ips[0]
  gateways            = local.gateways
  gateway_advertise   = "${local.ips[0]}:${var.ports.gateway}"
  advertise_admin_url = "${local.scheme}://${local.ips[0]}:${var.ports.admin}"
  meridiand_url       = var.meridiand_url
  git_repo            = var.git_repo
  git_ref             = var.git_ref
  security            = var.secure ? module.secrets[0].security[var.regions[0]] : null
}

module "region_r2" {
  source              = "../modules/region"
  region              = var.regions[1]
  region_id           = 2
  cluster_name        = var.cluster_name
  ports               = var.ports
  public_host         = local.ips[1]
  gateways            = local.gateways
  gateway_advertise   = "${local.ips[1]}:${var.ports.gateway}"
  advertise_admin_url = "${local.scheme}://${local.ips[1]}:${var.ports.admin}"
  meridiand_url       = var.meridiand_url
  git_repo            = var.git_repo
  git_ref             = var.git_ref
  security            = var.secure ? module.secrets[0].security[var.regions[1]] : null
}

module "region_r3" {
  source              = "../modules/region"
  region              = var.regions[2]
  region_id           = 3
  cluster_name        = var.cluster_name
  ports               = var.ports
  public_host         = local.ips[2]
  gateways            = local.gateways
  gateway_advertise   = "${local.ips[2]}:${var.ports.gateway}"
  advertise_admin_url = "${local.scheme}://${local.ips[2]}:${var.ports.admin}"
  meridiand_url       = var.meridiand_url
  git_repo            = var.git_repo
  git_ref             = var.git_ref
  security            = var.secure ? module.secrets[0].security[var.regions[2]] : null
}

module "host_r1" {
  source            = "../modules/aws-host"
  providers         = { aws = aws.r1 }
  name              = "meridian-${var.regions[0]}"
  user_data         = module.region_r1.bootstrap_script
  eip_allocation_id = aws_eip.r1.allocation_id
  instance_type     = var.instance_type
  key_name          = lookup(var.key_names, var.regions[0], "")
  api_port          = var.ports.api
  admin_port        = var.ports.admin
  gateway_port      = var.ports.gateway
  allowed_cidrs     = var.allowed_cidrs
  admin_cidrs       = var.admin_cidrs
  ssh_cidrs         = var.ssh_cidrs
  peer_cidrs        = ["${local.ips[1]}/32", "${local.ips[2]}/32"]
  tags              = var.tags
}

module "host_r2" {
  source            = "../modules/aws-host"
  providers         = { aws = aws.r2 }
  name              = "meridian-${var.regions[1]}"
  user_data         = module.region_r2.bootstrap_script
  eip_allocation_id = aws_eip.r2.allocation_id
  instance_type     = var.instance_type
  key_name          = lookup(var.key_names, var.regions[1], "")
  api_port          = var.ports.api
  admin_port        = var.ports.admin
  gateway_port      = var.ports.gateway
  allowed_cidrs     = var.allowed_cidrs
  admin_cidrs       = var.admin_cidrs
  ssh_cidrs         = var.ssh_cidrs
  peer_cidrs        = ["${local.ips[0]}/32", "${local.ips[2]}/32"]
  tags              = var.tags
}

module "host_r3" {
  source            = "../modules/aws-host"
  providers         = { aws = aws.r3 }
  name              = "meridian-${var.regions[2]}"
  user_data         = module.region_r3.bootstrap_script
  eip_allocation_id = aws_eip.r3.allocation_id
  instance_type     = var.instance_type
  key_name          = lookup(var.key_names, var.regions[2], "")
  api_port          = var.ports.api
  admin_port        = var.ports.admin
  gateway_port      = var.ports.gateway
  allowed_cidrs     = var.allowed_cidrs
  admin_cidrs       = var.admin_cidrs
  ssh_cidrs         = var.ssh_cidrs
  peer_cidrs        = ["${local.ips[0]}/32", "${local.ips[1]}/32"]
  tags              = var.tags
}
