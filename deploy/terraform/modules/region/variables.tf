# Inputs of modules/region. Values that end up in the shell script unquoted or in
# single quotes are restricted by validation to characters that need no escaping.

variable "region" {
  type        = string
  description = "Region name: NATS gateway/cluster name and meridiand --region, e.g. us-east-1."
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$", var.region))
    error_message = "region: 1-63 characters [A-Za-z0-9_-], starting with a letter or digit."
  }
}

variable "region_id" {
  type        = number
  description = "This region's small id in the cluster (meridiand region_id), unique per cluster."
  validation {
    condition     = var.region_id >= 1 && var.region_id <= 65535 && floor(var.region_id) == var.region_id
    error_message = "region_id must be a whole number from 1 to 65535."
  }
}

variable "cluster_name" {
  type        = string
  description = "Cluster name (meridiand cluster: the NATS subject namespace); the same in every region."
  default     = "meridian"
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,63}$", var.cluster_name))
    error_message = "cluster_name: 1-63 characters [A-Za-z0-9_-]."
  }
}

variable "ports" {
  type = object({
    client  = optional(number, 4222) # NATS clients (meridiand), 127.0.0.1 only
    cluster = optional(number, 6222) # NATS cluster routes, 127.0.0.1 only
    gateway = optional(number, 7222) # NATS gateways between regions, on listen_address
    monitor = optional(number, 8222) # NATS monitoring HTTP, 127.0.0.1 only
    api     = optional(number, 8000) # DynamoDB API, on listen_address
    admin   = optional(number, 8001) # meridiand admin/status API, on admin_listen_address
  })
  description = "TCP ports of the region's nats-server and meridiand."
  default     = {}
  validation {
    condition     = alltrue([for p in values(var.ports) : p >= 1 && p <= 65535 && floor(p) == p]) && length(distinct(values(var.ports))) == 6
    error_message = "ports: six distinct whole numbers from 1 to 65535."
  }
}

variable "listen_address" {
  type        = string
  description = "IPv4 address the DynamoDB API and the NATS gateway listen on (0.0.0.0 on a cloud host)."
  default     = "0.0.0.0"
  validation {
    condition     = can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}$", var.listen_address))
    error_message = "listen_address must be an IPv4 address."
  }
}

variable "admin_listen_address" {
  type        = string
  description = "IPv4 address meridiand's admin API (/healthz, /varz, ...) listens on."
  default     = "0.0.0.0"
  validation {
    condition     = can(regex("^([0-9]{1,3}\\.){3}[0-9]{1,3}$", var.admin_listen_address))
    error_message = "admin_listen_address must be an IPv4 address."
  }
}

variable "public_host" {
  type        = string
  description = "Host name or address clients use to reach this region (in the endpoint outputs)."
  validation {
    condition     = can(regex("^[A-Za-z0-9.:-]+$", var.public_host))
    error_message = "public_host must be a host name or an IP address."
  }
}

variable "gateways" {
  type        = map(list(string))
  description = "Every region of the supercluster (this one included): region name -> its NATS gateway URLs (nats://HOST:PORT)."
  validation {
    condition     = length(var.gateways) >= 1 && alltrue([for urls in values(var.gateways) : length(urls) >= 1 && alltrue([for u in urls : can(regex("^nats://[A-Za-z0-9.-]+:[0-9]+$", u))])])
    error_message = "gateways: at least one region, each with at least one nats://HOST:PORT URL."
  }
}

variable "gateway_advertise" {
  type        = string
  description = "HOST:PORT this region's gateway advertises to the others (its public address behind NAT); empty = nats-server's default."
  default     = ""
  validation {
    condition     = var.gateway_advertise == "" || can(regex("^[A-Za-z0-9.-]+:[0-9]+$", var.gateway_advertise))
    error_message = "gateway_advertise must be empty or HOST:PORT."
  }
}

variable "dirs" {
  type = object({
    data   = optional(string, "/var/lib/meridian/data") # meridiand's RocksDB
    config = optional(string, "/etc/meridian")          # nats-server.conf, meridiand.toml
    run    = optional(string, "/var/lib/meridian/run")  # pid files and logs ("none" mode)
    bin    = optional(string, "/usr/local/bin")         # where meridiand is installed
    src    = optional(string, "/usr/local/src/meridian") # git checkout (git_repo install)
  })
  description = "Directories on the host (absolute paths)."
  default     = {}
  validation {
    condition     = alltrue([for d in values(var.dirs) : can(regex("^/[A-Za-z0-9._/-]*$", d))])
    error_message = "dirs: absolute paths of [A-Za-z0-9._/-] only."
  }
}

variable "meridiand_url" {
  type        = string
  description = "URL of a meridiand release binary (curl; file:// works). Set this or git_repo."
  default     = ""
  validation {
    condition     = var.meridiand_url == "" || can(regex("^(https?|file)://", var.meridiand_url))
    error_message = "meridiand_url must be empty or an http(s):// or file:// URL."
  }
}

variable "git_repo" {
  type        = string
  description = "Git URL of the Meridian repo to build meridiand from (tools/install-deps.sh + tools/build.sh). Set this or meridiand_url."
  default     = ""
}

variable "git_ref" {
  type        = string
  description = "Branch, tag or commit of git_repo to build."
  default     = "main"
  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.git_ref))
    error_message = "git_ref: [A-Za-z0-9._/-] only."
  }
}

variable "apt_install" {
  type        = bool
  description = "apt-get install apt_packages first (needs root; false when they are already there)."
  default     = true
}

variable "apt_packages" {
  type        = list(string)
  description = "Debian 12 packages: nats-server and meridiand's runtime libraries (ldd build/bin/meridiand)."
  default = [
    "nats-server", "curl", "ca-certificates", "util-linux",
    # The DT_NEEDED libraries of meridiand (readelf -d build/bin/meridiand | dpkg -S); the
    # bootstrap fails with the missing ones listed if this falls behind the binary.
    "libnats3.4", "libcapnp-0.9.2", "libboost-json1.81.0", "libboost-url1.81.0",
    "libtomlplusplus3", "libspdlog1.10", "libfmt9", "libprometheus-cpp-core1.0", "libjemalloc2",
    "libxxhash0", "libsnappy1v5", "liblz4-1", "libzstd1", "libbz2-1.0", "zlib1g", "libssl3",
  ]
  validation {
    condition     = alltrue([for p in var.apt_packages : can(regex("^[a-z0-9][a-z0-9.+-]+$", p))])
    error_message = "apt_packages: Debian package names only."
  }
}

variable "service_manager" {
  type        = string
  description = "\"systemd\": install deploy/systemd units and enable them; \"none\": background processes with pid files in dirs.run (tests, local/)."
  default     = "systemd"
  validation {
    condition     = contains(["systemd", "none"], var.service_manager)
    error_message = "service_manager must be \"systemd\" or \"none\"."
  }
}

variable "global_tables" {
  type        = bool
  description = "meridiand global_tables: every new table gets a replica in every region."
  default     = true
}

variable "threads" {
  type        = number
  description = "meridiand API worker threads (0 = the host's cores)."
  default     = 0
  validation {
    condition     = var.threads >= 0 && var.threads <= 256 && floor(var.threads) == var.threads
    error_message = "threads must be a whole number from 0 to 256."
  }
}

variable "durability" {
  type        = string
  description = "meridiand durability: \"wal\" (WAL write before ack) or \"fsync\"."
  default     = "wal"
  validation {
    condition     = contains(["wal", "fsync"], var.durability)
    error_message = "durability must be \"wal\" or \"fsync\"."
  }
}

variable "log_level" {
  type        = string
  description = "meridiand log level."
  default     = "info"
  validation {
    condition     = contains(["trace", "debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be trace, debug, info, warn or error."
  }
}

variable "advertise_admin_url" {
  type        = string
  description = "Admin API URL this region announces to the others (meridiand advertise_admin_url, shown in their /regionz); empty = leave the key out (meridiand: http://ADMIN_LISTEN)."
  default     = ""
  validation {
    condition     = var.advertise_admin_url == "" || can(regex("^https?://[A-Za-z0-9.:-]+/?$", var.advertise_admin_url))
    error_message = "advertise_admin_url must be empty or http(s)://HOST:PORT."
  }
}

variable "startup_timeout_s" {
  type        = number
  description = "Seconds the bootstrap waits for nats-server, then for meridiand's /healthz."
  default     = 120
  validation {
    condition     = var.startup_timeout_s >= 1 && var.startup_timeout_s <= 3600
    error_message = "startup_timeout_s must be from 1 to 3600."
  }
}

variable "security" {
  type = object({
    enabled       = optional(bool, false)
    nats_password = optional(string, "")
    # File name under CONFIG_DIR/secure -> content: ca.pem, server.pem, server-key.pem,
    # peer.key, encryption.key, access_keys.toml, peers/<region>.pub (modules/secrets).
    files = optional(map(string), {})
  })
  description = "Secure mode (docs/security.md): HTTPS + SigV4 on the APIs, NATS with mutual TLS and a user per region, signed replication messages, encrypted data directory. modules/secrets makes the material."
  default     = {}
  nullable    = false # null (a root's "not secure") means the default: off
  sensitive   = true
  validation {
    condition     = !var.security.enabled || alltrue([for f in ["ca.pem", "server.pem", "server-key.pem", "peer.key", "encryption.key", "access_keys.toml"] : contains(keys(var.security.files), f)])
    error_message = "security.files needs ca.pem, server.pem, server-key.pem, peer.key, encryption.key and access_keys.toml when enabled."
  }
  validation {
    condition     = alltrue([for f in keys(var.security.files) : can(regex("^(peers/)?[A-Za-z0-9][A-Za-z0-9._-]*$", f))])
    error_message = "security.files: names of [A-Za-z0-9._-], optionally under peers/."
  }
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]*$", var.security.nats_password))
    error_message = "security.nats_password: [A-Za-z0-9_-] only."
  }
}
