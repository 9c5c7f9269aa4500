#include "daemon/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <set>

#include "daemon/http_server.h"

namespace meridian::daemon {
namespace {

std::string Where(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

Status ReadString(const std::string& path, const toml::node& node, const std::string& key,
                  std::string* out) {
  auto v = node.value<std::string>();
  if (!v) return Status::InvalidArgument(Where(path, node) + ": '" + key + "' must be a string");
  *out = *v;
  return Status::Ok();
}

}  // namespace

Status LoadConfigFile(const std::string& path, Config* config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  config->config_file = path;
  for (const auto& [key_node, node] : table) {
    const std::string key(key_node.str());
    if (key == "region") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->region));
    } else if (key == "data_dir") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->data_dir));
    } else if (key == "listen") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->listen));
    } else if (key == "admin_listen") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->admin_listen));
    } else if (key == "durability") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->durability));
    } else if (key == "log_level") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->log_level));
    } else if (key == "cluster") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->cluster));
    } else if (key == "nats_url") {
      MERIDIAN_RETURN_IF_ERROR(ReadString(path, node, key, &config->nats_url));
    } else if (key == "region_id" || key == "heartbeat_ms" || key == "log_retention" ||
               key == "anti_entropy_interval_s") {
      auto v = node.value<int64_t>();
      if (!v) return Status::InvalidArgument(Where(path, node) + ": '" + key + "' must be an integer");
      if (key == "region_id") {
        config->region_id = static_cast<uint32_t>(std::clamp<int64_t>(*v, 0, 1 << 20));
      } else if (key == "anti_entropy_interval_s") {
        if (*v < 0) return Status::InvalidArgument(Where(path, node) + ": 'anti_entropy_interval_s' must be >= 0");
        config->anti_entropy_interval_s = static_cast<int>(std::min<int64_t>(*v, 1 << 30));
      } else if (key == "log_retention") {
        if (*v < 0) return Status::InvalidArgument(Where(path, node) + ": 'log_retention' must be >= 0");
        config->log_retention = static_cast<uint64_t>(*v);
      } else {
        config->heartbeat_ms = static_cast<int>(std::clamp<int64_t>(*v, 0, 1 << 20));
      }
    } else if (key == "global_tables") {
      auto v = node.value<bool>();
      if (!v) return Status::InvalidArgument(Where(path, node) + ": 'global_tables' must be a boolean");
      config->global_tables = *v;
    } else if (key == "threads") {
      auto v = node.value<int64_t>();
      if (!v) return Status::InvalidArgument(Where(path, node) + ": 'threads' must be an integer");
      config->threads = static_cast<int>(*v);
    } else {
      return Status::InvalidArgument(path + ":" + std::to_string(key_node.source().begin.line) +
                                     ": unknown key '" + key + "'");
    }
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
  if (config.heartbeat_ms < 10 || config.heartbeat_ms > 60000) {
    return Status::InvalidArgument("heartbeat_ms must be between 10 and 60000");
  }
  for (char c : config.cluster) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return Status::InvalidArgument("cluster '" + config.cluster + "' may hold only [A-Za-z0-9_-]");
    }
  }
  if (config.threads < 0 || config.threads > 256) {
    return Status::InvalidArgument("threads must be between 0 and 256");
  }
  return Status::Ok();
}

}  // namespace meridian::daemon
