// meridiand configuration: command-line flags and/or a TOML file with the same keys
// (snake_case). Flags given on the command line override the file.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

namespace meridian::daemon {

// A trigger (docs/streams.md): the records of a table's stream in this region, delivered in
// Lambda's event shape ({"Records": [...]}) to a command's stdin or an HTTP URL. File only:
// [[trigger]] tables.
struct TriggerConfig {
  std::string name;         // identifies the checkpoint (required, unique)
  std::string table;        // whose stream (required; the table's stream must be enabled)
  std::string command;      // run by /bin/sh -c with the event on stdin; exit status 0 = delivered
  std::string url;          // or: POST the event here; a 2xx reply = delivered (http:// only)
  int batch_size = 100;     // most records per event (1..10000)
  int batch_window_ms = 0;  // wait up to this long for a batch to fill (0..300000)
  int max_retries = 3;      // deliveries of a failing batch after the first (0..100)
  int retry_backoff_ms = 200;  // before the first retry; doubles, up to 30 s
  int timeout_ms = 30'000;     // of one delivery
  std::string dead_letter;     // batches that kept failing are appended here (JSON lines);
                               // empty: they are logged and skipped
  std::string starting_position = "TRIM_HORIZON";  // TRIM_HORIZON | LATEST (first start only)
};

// An access key of [[access_keys]] (docs/security.md). File only.
struct AccessKeyConfig {
  std::string id;             // access key id (required, unique)
  std::string secret;         // secret access key (required)
  std::string account_id;     // default: the daemon's account
  std::string user;           // IAM user name; empty: the account's root
  std::string session_token;  // temporary credentials: requests must carry this token
  std::string expires;        // temporary credentials: "2026-12-31T23:59:59Z"
  std::string policy;         // identity policy JSON; empty (and no policy_file): root
  std::string policy_file;    // or: the policy JSON in this file
  std::string where;          // "file:line", for messages
};

struct Config {
  std::string region;                           // region name, e.g. "us-east-1" (required)
  std::string data_dir;                         // RocksDB directory (required)
  std::string listen = "127.0.0.1:8000";        // DynamoDB API
  std::string admin_listen = "127.0.0.1:8001";  // status API
  // The status API URL other regions learn from heartbeats (meridianctl, the dashboard);
  // empty: http://<admin_listen>.
  std::string advertise_admin_url;
  int threads = 0;  // API worker threads; 0 = CPUs in the affinity mask
  // Browser pages from these origins may call the API (CORS; comma-separated, "*" = any).
  std::string cors_allowed_origins = "*";
  // Replies this large or larger are compressed when Accept-Encoding allows (DynamoDB: 4 KiB).
  uint64_t response_compression_threshold = 4096;
  // Memory for decoded items (the item cache: reads and writes of cached items skip RocksDB)
  // and for RocksDB's block cache.
  uint64_t item_cache_mb = 256;
  uint64_t block_cache_mb = 128;
  std::string durability = "wal";  // wal: WAL write before ack; fsync: fsync WAL before ack
  std::string log_level = "info";  // trace|debug|info|warn|error
  // Replication (empty nats_url = single region, no replication).
  std::string cluster = "meridian";  // subject namespace: meridian.<cluster>.*
  uint32_t region_id = 0;            // unique small id of this region in the cluster (1..65535)
  std::string nats_url;              // this region's NATS, e.g. nats://127.0.0.1:4222
  bool global_tables = false;        // every new table is replicated to all regions
  int heartbeat_ms = 250;
  // Change-log records kept per origin beyond what every known region has applied
  // (0 = until all have applied them).
  uint64_t log_retention = 0;
  // Period of the anti-entropy round against every peer (0 = only on POST /verify).
  int anti_entropy_interval_s = 60;
  // Time to Live sweeper and stream limits.
  uint64_t ttl_sweep_interval_ms = 10'000;
  uint64_t ttl_max_deletes_per_s = 1'000;
  uint64_t stream_retention_s = uint64_t{24} * 3600;
  uint64_t stream_shard_max_records = 100'000;
  uint64_t stream_shard_max_age_s = uint64_t{4} * 3600;
  std::vector<TriggerConfig> triggers;  // [[trigger]] tables of the file
  // Security (docs/security.md). With no access key anywhere, requests are not
  // authenticated (local development).
  std::string account_id;        // ARNs' account; empty: the keys' account, or 000000000000
  std::string access_keys_file;  // a TOML file of [[access_keys]] tables
  std::string credentials_file;  // an AWS shared-credentials file (INI profiles)
  std::vector<AccessKeyConfig> access_keys;  // [[access_keys]] tables of the config file
  std::string tls_cert;             // HTTPS on the API and admin ports: PEM certificate chain
  std::string tls_key;              // and its private key
  std::string tls_client_ca;        // optional: clients must present a certificate from this CA
  std::string encryption_key_file;  // RocksDB files encrypted (AES-256-CTR) with this key
  std::string backup_dir;           // on-demand backups and job records (default DATA_DIR/backups)
  std::string s3_dir;               // the local S3 of exports and imports (default DATA_DIR/s3)
  int backup_cpu_percent = 25;      // most of a core a backup or export reads with (100: unpaced)
  // Throughput limits (docs/capacity.md): PROVISIONED tables are throttled at their rates
  // with capacity_burst_s of burst; on-demand tables and the account only beyond these
  // limits (0: none). throttling = false turns every limit off.
  bool throttling = true;
  uint64_t capacity_burst_s = 300;
  uint64_t on_demand_table_read_units = 0;
  uint64_t on_demand_table_write_units = 0;
  uint64_t account_read_units = 0;
  uint64_t account_write_units = 0;
  uint64_t autoscale_interval_s = 60;  // auto scaling's period (tag meridian:autoscaling)
  // Between regions: NATS over TLS with credentials, and signed replication messages.
  std::string nats_ca, nats_cert, nats_key;  // TLS to the region's NATS server
  std::string nats_user, nats_password, nats_token, nats_creds;
  std::string peer_key_file;  // this region's Ed25519 private key (PEM)
  std::string peer_keys_dir;  // <region>.pub of every configured region
  std::string config_file;    // where the file values came from, if any
};

// One configuration key: `name` in the TOML file, --name-with-dashes on the command line.
struct ConfigKey {
  const char* name;
  const char* help;
  std::variant<std::string Config::*, int Config::*, uint32_t Config::*, uint64_t Config::*,
               bool Config::*>
      field;

  // "--name-with-dashes".
  std::string FlagName() const;
  // Copies this key's value from `from` into *to.
  void Copy(const Config& from, Config* to) const;
};

// Every key, in the order --help lists them (config_file is not one: it names the file).
const std::vector<ConfigKey>& ConfigKeys();

// Reads a TOML file into *config. Unknown keys and wrong types are InvalidArgument errors
// naming "file:line".
Status LoadConfigFile(const std::string& path, Config* config);

// Checks required keys and value ranges.
Status ValidateConfig(const Config& config);

}  // namespace meridian::daemon
