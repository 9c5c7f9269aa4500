# modules/secrets: a CA, one ECDSA P-256 certificate per region (server and client auth:
# HTTPS, NATS mutual TLS), one Ed25519 key per region (signed replication messages), one
# NATS password and one AES-256 key per region, and a root access key.

resource "tls_private_key" "ca" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_self_signed_cert" "ca" {
  private_key_pem       = tls_private_key.ca.private_key_pem
  is_ca_certificate     = true
  validity_period_hours = var.validity_hours
  allowed_uses          = ["cert_signing", "crl_signing"]
  subject {
    common_name = "Meridian cluster CA"
  }
}

resource "tls_private_key" "server" {
  for_each    = toset(var.regions)
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_cert_request" "server" {
  for_each        = toset(var.regions)
  private_key_pem = tls_private_key.server[each.key].private_key_pem
  ip_addresses    = var.ip_addresses
  dns_names       = var.dns_names
  subject {
    common_name = "meridian-${each.key}"
  }
}

resource "tls_locally_signed_cert" "server" {
  for_each              = toset(var.regions)
  cert_request_pem      = tls_cert_request.server[each.key].cert_request_pem
  ca_private_key_pem    = tls_private_key.ca.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca.cert_pem
  validity_period_hours = var.validity_hours
  allowed_uses          = ["digital_signature", "key_encipherment", "server_auth", "client_auth"]
}

resource "tls_private_key" "peer" {
  for_each  = toset(var.regions)
  algorithm = "ED25519"
}

resource "random_password" "nats" {
  for_each = toset(var.regions)
  length   = 32
  special  = false
}

resource "random_id" "encryption" {
  for_each    = toset(var.regions)
  byte_length = 32
}

resource "random_id" "access_key_id" {
  byte_length = 8
}

resource "random_password" "secret_access_key" {
  length  = 40
  special = false
}

locals {
  access_key_id    = "AKIA${upper(random_id.access_key_id.hex)}"
  access_keys_toml = "[[access_keys]]\nid = \"${local.access_key_id}\"\nsecret = \"${random_password.secret_access_key.result}\"\naccount_id = \"000000000000\"\n"
  peer_public_keys = { for r in var.regions : "peers/${r}.pub" => tls_private_key.peer[r].public_key_pem }
  security = {
    for r in var.regions : r => {
      enabled       = true
      nats_password = random_password.nats[r].result
      files = merge(local.peer_public_keys, {
        "ca.pem"           = tls_self_signed_cert.ca.cert_pem
        "server.pem"       = tls_locally_signed_cert.server[r].cert_pem
        "server-key.pem"   = tls_private_key.server[r].private_key_pem
        "peer.key"         = tls_private_key.peer[r].private_key_pem
        "encryption.key"   = random_id.encryption[r].hex
        "access_keys.toml" = local.access_keys_toml
      })
    }
  }
}
