# modules/aws-host: Debian 12 instance + security group + Elastic IP association.

data "aws_ami" "debian12" {
  most_recent = true
  owners      = ["136693071363"] # Debian's official AWS account
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

data "aws_vpc" "default" {
  default = true
}

locals {
  tags = merge(var.tags, { Name = var.name, "meridian:component" = "region" })
  # One rule per (port, cidr list); empty lists open nothing.
  ingress = [
    { port = var.api_port, cidrs = var.allowed_cidrs, what = "DynamoDB API" },
    { port = var.admin_port, cidrs = var.admin_cidrs, what = "meridiand admin API" },
    { port = var.gateway_port, cidrs = var.peer_cidrs, what = "NATS gateway (other regions)" },
    { port = 22, cidrs = var.ssh_cidrs, what = "SSH" },
  ]
}

resource "aws_security_group" "region" {
  name_prefix = "${var.name}-"
  description = "Meridian region ${var.name}"
  vpc_id      = data.aws_vpc.default.id
  tags        = local.tags

  dynamic "ingress" {
    for_each = [for r in local.ingress : r if length(r.cidrs) > 0]
    content {
      description = ingress.value.what
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = ingress.value.cidrs
    }
  }

  egress {
    description = "apt, artifact download, NATS gateways to the other regions"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_instance" "region" {
  ami                         = data.aws_ami.debian12.id
  instance_type               = var.instance_type
  key_name                    = var.key_name == "" ? null : var.key_name
  vpc_security_group_ids      = [aws_security_group.region.id]
  # gzip: EC2 caps user data at 16 KiB, and the secure mode's keys take the bootstrap past
  # it; cloud-init unpacks gzip user data itself.
  user_data_base64            = base64gzip(var.user_data)
  user_data_replace_on_change = true
  tags                        = local.tags

  root_block_device {
    volume_type = "gp3"
    volume_size = var.root_volume_gb
    encrypted   = true
  }

  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_eip_association" "region" {
  instance_id   = aws_instance.region.id
  allocation_id = var.eip_allocation_id
}
