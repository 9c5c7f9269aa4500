# modules/region: one Meridian region, provider-free. It renders the region's bootstrap
# script (templates/bootstrap.sh.tftpl: packages, meridiand, nats-server + meridiand
# configs, systemd units from deploy/systemd/ or background processes) and its endpoints.
# Where the script runs is the caller's business: modules/aws-host (cloud-init user data)
# or modules/local-host (local-exec on this machine).
terraform {
  # optional() object attributes and output preconditions.
  required_version = ">= 1.3.0"
}
