#include "daemon/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <type_traits>

#include "daemon/access_keys_toml.h"
#include "daemon/http_server.h"

namespace meridian::daemon {
namespace {

std::string Where(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

// Reads `node` into a field of type T, with the file's line in any error.
template <typename T>
Status ReadValue(const std::string& path, const toml::node& node, const std::string& key, T* out) {
  // Exact TOML types: toml++'s value<T>() would also convert (1 to true, 2.5 to 2).
  if constexpr (std::is_same_v<T, std::string>) {
    const auto* v = node.as_string();
    if (!v) return Status::InvalidArgument(Where(path, node) + ": '" + key + "' must be a string");
    *out = v->get();
  } else if constexpr (std::is_same_v<T, bool>) {
    const auto* v = node.as_boolean();
    if (!v) return Status::InvalidArgument(Where(path, node) + ": '" + key + "' must be a boolean");
    *out = v->get();
  } else {
    const auto* node_value = node.as_integer();
    if (!node_value)
      return Status::InvalidArgument(Where(path, node) + ": '" + key + "' must be an integer");
    const std::optional<int64_t> v = node_value->get();
    if (std::is_unsigned_v<T> && *v < 0) {
      return Status::InvalidArgument(Where(path, node) + ": '" + key + "' must be >= 0");
    }
    // Beyond what the field holds: the largest (or smallest) value, which ValidateConfig
    // then judges like any other.
    constexpr int64_t kMax = static_cast<int64_t>(
        std::min<uint64_t>(std::numeric_limits<T>::max(), std::numeric_limits<int64_t>::max()));
    constexpr int64_t kMin =
        std::is_unsigned_v<T> ? 0 : static_cast<int64_t>(std::numeric_limits<T>::min());
    *out = static_cast<T>(std::clamp<int64_t>(*v, kMin, kMax));
  }
  return Status::Ok();
}

// The keys of a [[trigger]] table.
struct TriggerKey {
  const char* name;
  std::variant<std::string TriggerConfig::*, int TriggerConfig::*> field;
};
const TriggerKey kTriggerKeys[] = {
    {"name", &TriggerConfig::name},
    {"table", &TriggerConfig::table},
    {"command", &TriggerConfig::command},
    {"url", &TriggerConfig::url},
    {"batch_size", &TriggerConfig::batch_size},
    {"batch_window_ms", &TriggerConfig::batch_window_ms},
    {"max_retries", &TriggerConfig::max_retries},
    {"retry_backoff_ms", &TriggerConfig::retry_backoff_ms},
    {"timeout_ms", &TriggerConfig::timeout_ms},
    {"dead_letter", &TriggerConfig::dead_letter},
    {"starting_position", &TriggerConfig::starting_position},
};

Status ReadTriggers(const std::string& path, const toml::node& node, Config* config) {
  const auto* array = node.as_array();
  if (!array) return Status::InvalidArgument(Where(path, node) + ": 'trigger' must be [[trigger]]");
  for (const toml::node& element : *array) {
    const auto* table = element.as_table();
    if (!table) return Status::InvalidArgument(Where(path, element) + ": [[trigger]] expected");
    TriggerConfig trigger;
    for (const auto& entry : *table) {
      const toml::key& key = entry.first;
      const toml::node& value = entry.second;
      const std::string name(key.str());
      const TriggerKey* found = nullptr;
      for (const auto& k : kTriggerKeys) {
        if (name == k.name) found = &k;
      }
      if (!found) {
        return Status::InvalidArgument(path + ":" + std::to_string(key.source().begin.line) +
                                       ": unknown trigger key '" + name + "'");
      }
      MERIDIAN_RETURN_IF_ERROR(
          std::visit([&](auto member) { return ReadValue(path, value, name, &(trigger.*member)); },
                     found->field));
    }
    config->triggers.push_back(std::move(trigger));
  }
  return Status::Ok();
}

Status ValidateTrigger(const TriggerConfig& t, std::set<std::string>* names) {
  const std::string what = "trigger '" + t.name + "': ";
  if (t.name.empty()) return Status::InvalidArgument("trigger: name is required");
  if (!names->insert(t.name).second) return Status::InvalidArgument(what + "duplicate name");
  if (t.table.empty()) return Status::InvalidArgument(what + "table is required");
  if (t.command.empty() == t.url.empty()) {
    return Status::InvalidArgument(what + "exactly one of command and url is required");
  }
  if (!t.url.empty() && t.url.rfind("http://", 0) != 0) {
    return Status::InvalidArgument(what + "url must start with http://");
  }
  if (t.batch_size < 1 || t.batch_size > 10000) {
    return Status::InvalidArgument(what + "batch_size must be between 1 and 10000");
  }
  if (t.batch_window_ms < 0 || t.batch_window_ms > 300000) {
    return Status::InvalidArgument(what + "batch_window_ms must be between 0 and 300000");
  }
  if (t.max_retries < 0 || t.max_retries > 100) {
    return Status::InvalidArgument(what + "max_retries must be between 0 and 100");
  }
  if (t.retry_backoff_ms < 0 || t.timeout_ms < 1) {
    return Status::InvalidArgument(what + "retry_backoff_ms must be >= 0 and timeout_ms >= 1");
  }
  if (t.starting_position != "TRIM_HORIZON" && t.starting_position != "LATEST") {
    return Status::InvalidArgument(what + "starting_position must be TRIM_HORIZON or LATEST");
  }
  return Status::Ok();
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> kKeys = {
      {"region", "region name", &Config::region},
      {"data_dir", "data directory", &Config::data_dir},
      {"listen", "DynamoDB API address HOST:PORT", &Config::listen},
      {"admin_listen", "status API address HOST:PORT", &Config::admin_listen},
      {"advertise_admin_url", "status API URL other regions see (default http://ADMIN_LISTEN)",
       &Config::advertise_admin_url},
      {"threads", "API worker threads (0 = cores)", &Config::threads},
      {"cors_allowed_origins",
       "origins whose browser pages may call the API (comma-separated, * = any, empty = none)",
       &Config::cors_allowed_origins},
      {"item_cache_mb", "MB of decoded items cached in front of RocksDB (0 = none)",
       &Config::item_cache_mb},
      {"block_cache_mb", "MB of RocksDB block cache", &Config::block_cache_mb},
      {"response_compression_threshold",
       "replies of at least this many bytes are gzip/deflate-compressed when the client asks",
       &Config::response_compression_threshold},
      {"durability", "wal | fsync", &Config::durability},
      {"log_level", "trace|debug|info|warn|error", &Config::log_level},
      {"cluster", "cluster name (NATS subject namespace)", &Config::cluster},
      {"region_id", "this region's id in the cluster (1..65535)", &Config::region_id},
      {"nats_url", "this region's NATS server (enables replication)", &Config::nats_url},
      {"global_tables", "make every new table global across all regions", &Config::global_tables},
      {"heartbeat_ms", "replication heartbeat period", &Config::heartbeat_ms},
      {"anti_entropy_interval_s", "seconds between anti-entropy rounds (0 = only on POST /verify)",
       &Config::anti_entropy_interval_s},
      {"log_retention",
       "change-log records kept per origin beyond what every region has applied (0 = all)",
       &Config::log_retention},
      {"ttl_sweep_interval_ms", "milliseconds between TTL sweeps", &Config::ttl_sweep_interval_ms},
      {"ttl_max_deletes_per_s", "most TTL deletes per second", &Config::ttl_max_deletes_per_s},
      {"stream_retention_s", "seconds stream records are kept", &Config::stream_retention_s},
      {"stream_shard_max_records", "records after which a stream shard rolls over",
       &Config::stream_shard_max_records},
      {"stream_shard_max_age_s", "seconds after which a stream shard rolls over",
       &Config::stream_shard_max_age_s},
      {"account_id", "account id in ARNs (default: the access keys' account)", &Config::account_id},
      {"access_keys_file", "TOML file of [[access_keys]] (enables SigV4 authentication)",
       &Config::access_keys_file},
      {"credentials_file", "AWS shared-credentials file of accepted keys",
       &Config::credentials_file},
      {"tls_cert", "PEM certificate chain: HTTPS on the API and admin ports", &Config::tls_cert},
      {"tls_key", "PEM private key of tls_cert", &Config::tls_key},
      {"tls_client_ca", "require client certificates signed by this CA (PEM)",
       &Config::tls_client_ca},
      {"encryption_key_file", "encrypt the RocksDB files with the AES-256 key in this file",
       &Config::encryption_key_file},
      {"backup_dir", "directory of on-demand backups (default DATA_DIR/backups)",
       &Config::backup_dir},
      {"backup_cpu_percent",
       "most of a core a backup or an export may take while reading a table (100 = unpaced)",
       &Config::backup_cpu_percent},
      {"throttling", "throttle requests beyond provisioned and configured throughput",
       &Config::throttling},
      {"capacity_burst_s", "seconds of unused provisioned capacity kept for bursts",
       &Config::capacity_burst_s},
      {"on_demand_table_read_units", "read units/s of one on-demand table (0 = no limit)",
       &Config::on_demand_table_read_units},
      {"on_demand_table_write_units", "write units/s of one on-demand table (0 = no limit)",
       &Config::on_demand_table_write_units},
      {"account_read_units", "read units/s of all tables together (0 = no limit)",
       &Config::account_read_units},
      {"account_write_units", "write units/s of all tables together (0 = no limit)",
       &Config::account_write_units},
      {"autoscale_interval_s", "seconds between auto scaling passes",
       &Config::autoscale_interval_s},
      {"s3_dir",
       "the local S3 of exports and imports: bucket B is the directory S3_DIR/B (default "
       "DATA_DIR/s3; an S3Bucket of file:///PATH names PATH itself)",
       &Config::s3_dir},
      {"nats_ca", "CA (PEM) that signed the NATS server's certificate: TLS to NATS",
       &Config::nats_ca},
      {"nats_cert", "client certificate (PEM) for NATS", &Config::nats_cert},
      {"nats_key", "private key (PEM) of nats_cert", &Config::nats_key},
      {"nats_user", "NATS user name", &Config::nats_user},
      {"nats_password", "NATS password", &Config::nats_password},
      {"nats_token", "NATS authentication token", &Config::nats_token},
      {"nats_creds", "NATS credentials file (nkeys/JWT)", &Config::nats_creds},
      {"peer_key_file", "this region's Ed25519 private key (PEM): signs replication messages",
       &Config::peer_key_file},
      {"peer_keys_dir",
       "directory of <region>.pub Ed25519 public keys: only those regions are accepted",
       &Config::peer_keys_dir},
  };
  return kKeys;
}

std::string ConfigKey::FlagName() const {
  std::string flag = std::string("--") + name;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

void ConfigKey::Copy(const Config& from, Config* to) const {
  std::visit([&](auto member) { to->*member = from.*member; }, field);
}

Status LoadConfigFile(const std::string& path, Config* config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  config->config_file = path;
  const auto& keys = ConfigKeys();
  for (const auto& entry : table) {
    const toml::key& key_node = entry.first;
    const toml::node& node = entry.second;
    const std::string name(key_node.str());
    if (name == "trigger") {
      MERIDIAN_RETURN_IF_ERROR(ReadTriggers(path, node, config));
      continue;
    }
    if (name == "access_keys") {
      MERIDIAN_RETURN_IF_ERROR(ReadAccessKeyTables(path, node, &config->access_keys));
      continue;
    }
    auto key =
        std::find_if(keys.begin(), keys.end(), [&](const ConfigKey& k) { return name == k.name; });
    if (key == keys.end()) {
      return Status::InvalidArgument(path + ":" + std::to_string(key_node.source().begin.line) +
                                     ": unknown key '" + name + "'");
    }
    MERIDIAN_RETURN_IF_ERROR(std::visit(
        [&](auto member) { return ReadValue(path, node, name, &(config->*member)); }, key->field));
  }
  return Status::Ok();
}

Status ValidateConfig(const Config& config) {
  if (config.region.empty()) return Status::InvalidArgument("region is required");
  for (char c : config.region) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return Status::InvalidArgument("region '" + config.region + "' may hold only [A-Za-z0-9_-]");
    }
  }
  if (config.data_dir.empty()) return Status::InvalidArgument("data_dir is required");
  for (const auto* addr : {&config.listen, &config.admin_listen}) {
    auto hp = ParseHostPort(*addr);
    if (!hp.ok()) return hp.status();
  }
  if (config.durability != "wal" && config.durability != "fsync") {
    return Status::InvalidArgument("durability must be 'wal' or 'fsync'");
  }
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (!kLevels.count(config.log_level)) {
    return Status::InvalidArgument("log_level must be one of trace|debug|info|warn|error");
  }
  if (!config.nats_url.empty() && (config.region_id < 1 || config.region_id > 65535)) {
    return Status::InvalidArgument("region_id (1..65535) is required with nats_url");
  }
  if (config.peer_key_file.empty() != config.peer_keys_dir.empty()) {
    return Status::InvalidArgument("peer_key_file and peer_keys_dir go together");
  }
  if (config.heartbeat_ms < 10 || config.heartbeat_ms > 60000) {
    return Status::InvalidArgument("heartbeat_ms must be between 10 and 60000");
  }
  for (char c : config.cluster) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return Status::InvalidArgument("cluster '" + config.cluster +
                                     "' may hold only [A-Za-z0-9_-]");
    }
  }
  if (config.anti_entropy_interval_s < 0) {
    return Status::InvalidArgument("anti_entropy_interval_s must be >= 0");
  }
  if (config.block_cache_mb < 1) return Status::InvalidArgument("block_cache_mb must be >= 1");
  if (config.backup_cpu_percent < 1 || config.backup_cpu_percent > 100) {
    return Status::InvalidArgument("backup_cpu_percent must be between 1 and 100");
  }
  if (config.threads < 0 || config.threads > 256) {
    return Status::InvalidArgument("threads must be between 0 and 256");
  }
  if (config.autoscale_interval_s < 1) {
    return Status::InvalidArgument("autoscale_interval_s must be >= 1");
  }
  if (config.ttl_sweep_interval_ms < 10) {
    return Status::InvalidArgument("ttl_sweep_interval_ms must be >= 10");
  }
  if (config.ttl_max_deletes_per_s < 1) {
    return Status::InvalidArgument("ttl_max_deletes_per_s must be >= 1");
  }
  if (config.stream_retention_s < 1 || config.stream_shard_max_records < 1 ||
      config.stream_shard_max_age_s < 1) {
    return Status::InvalidArgument(
        "stream_retention_s, stream_shard_max_records and stream_shard_max_age_s must be >= 1");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Status::InvalidArgument("tls_cert and tls_key go together");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return Status::InvalidArgument("tls_client_ca needs tls_cert and tls_key");
  }
  std::set<std::string> trigger_names;
  for (const auto& trigger : config.triggers) {
    MERIDIAN_RETURN_IF_ERROR(ValidateTrigger(trigger, &trigger_names));
  }
  return Status::Ok();
}

}  // namespace meridian::daemon
