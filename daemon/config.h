// meridiand configuration: command-line flags and/or a TOML file with the same keys
// (snake_case). Flags given on the command line override the file.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

namespace meridian::daemon {

struct Config {
  std::string region;                           // region name, e.g. "us-east-1" (required)
  std::string data_dir;                         // RocksDB directory (required)
  std::string listen = "127.0.0.1:8000";        // DynamoDB API
  std::string admin_listen = "127.0.0.1:8001";  // status API
  int threads = 0;                              // API worker threads; 0 = CPUs in the affinity mask
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
  std::string config_file;  // where the file values came from, if any
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
