#include "daemon/access_keys.h"

#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "daemon/access_keys_toml.h"
#include "security/policy.h"

namespace meridian::daemon {
namespace {

struct Field {
  const char* name;
  std::string AccessKeyConfig::*member;
};
constexpr Field kFields[] = {
    {"id", &AccessKeyConfig::id},
    {"access_key_id", &AccessKeyConfig::id},
    {"secret", &AccessKeyConfig::secret},
    {"secret_access_key", &AccessKeyConfig::secret},
    {"account_id", &AccessKeyConfig::account_id},
    {"user", &AccessKeyConfig::user},
    {"session_token", &AccessKeyConfig::session_token},
    {"expires", &AccessKeyConfig::expires},
    {"policy", &AccessKeyConfig::policy},
    {"policy_file", &AccessKeyConfig::policy_file},
};

std::string Line(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The profiles of an AWS shared-credentials file: aws_access_key_id, aws_secret_access_key,
// aws_session_token, plus Meridian's account_id, user, policy_file, policy. Other keys
// (region, output, ...) are ignored, as the AWS CLI ignores unknown ones.
Status ReadCredentialsFile(const std::string& path, std::vector<AccessKeyConfig>* out) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  std::istringstream lines(*text);
  std::string line;
  int number = 0;
  AccessKeyConfig* current = nullptr;
  while (std::getline(lines, line)) {
    ++number;
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const std::string where = path + ":" + std::to_string(number);
    if (line.front() == '[') {
      out->emplace_back();
      current = &out->back();
      current->where = where;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos || !current) {
      return Status::InvalidArgument(where + ": expected [profile] or key = value");
    }
    const std::string key = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") current->id = value;
    if (key == "aws_secret_access_key") current->secret = value;
    if (key == "aws_session_token") current->session_token = value;
    if (key == "account_id") current->account_id = value;
    if (key == "user") current->user = value;
    if (key == "policy_file") current->policy_file = value;
    if (key == "policy") current->policy = value;
  }
  return Status::Ok();
}

// "2026-12-31T23:59:59Z" -> Unix ms, or -1.
int64_t ParseExpiry(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

Result<security::AccessKey> Build(const AccessKeyConfig& c, const std::string& config_dir) {
  const std::string what = c.where + ": access key" + (c.id.empty() ? "" : " '" + c.id + "'");
  if (c.id.empty() || c.secret.empty()) {
    return Status::InvalidArgument(what + ": id and secret are required");
  }
  security::AccessKey key;
  key.id = c.id;
  key.secret = c.secret;
  key.account_id = c.account_id;
  key.user = c.user;
  key.session_token = c.session_token;
  if (!c.expires.empty()) {
    key.expires_ms = ParseExpiry(c.expires);
    if (key.expires_ms < 0) {
      return Status::InvalidArgument(what + ": expires must look like 2026-12-31T23:59:59Z");
    }
  }
  if (!c.policy.empty() && !c.policy_file.empty()) {
    return Status::InvalidArgument(what + ": give policy or policy_file, not both");
  }
  std::string policy_text = c.policy;
  if (!c.policy_file.empty()) {
    const std::string file =
        c.policy_file.front() == '/' ? c.policy_file : config_dir + c.policy_file;
    auto text = ReadFile(file);
    if (!text.ok()) return Status::InvalidArgument(what + ": " + text.status().message());
    policy_text = std::move(text).value();
  }
  if (!policy_text.empty()) {
    auto policy = security::Policy::Parse(policy_text);
    if (!policy.ok()) {
      return Status::InvalidArgument(what + ": policy: " + policy.status().message());
    }
    key.policy = std::move(policy).value();
  }
  return key;
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

}  // namespace

Status ReadAccessKeyTables(const std::string& path, const toml::node& node,
                           std::vector<AccessKeyConfig>* out) {
  const auto* array = node.as_array();
  if (!array) return Status::InvalidArgument(Line(path, node) + ": use [[access_keys]] tables");
  for (const toml::node& element : *array) {
    const auto* table = element.as_table();
    if (!table) return Status::InvalidArgument(Line(path, element) + ": [[access_keys]] expected");
    AccessKeyConfig key;
    key.where = Line(path, element);
    for (const auto& [name, value] : *table) {
      const Field* field = nullptr;
      for (const auto& f : kFields) {
        if (name.str() == f.name) field = &f;
      }
      if (!field) {
        return Status::InvalidArgument(Line(path, value) + ": unknown access key field '" +
                                       std::string(name.str()) + "'");
      }
      const auto* text = value.as_string();
      if (!text) {
        return Status::InvalidArgument(Line(path, value) + ": '" + std::string(name.str()) +
                                       "' must be a string");
      }
      key.*(field->member) = text->get();
    }
    out->push_back(std::move(key));
  }
  return Status::Ok();
}

Result<AccessKeys> LoadAccessKeys(const Config& config) {
  // Each source with the directory its relative policy_file names resolve against.
  std::vector<std::pair<AccessKeyConfig, std::string>> sources;
  for (const auto& k : config.access_keys) sources.emplace_back(k, DirOf(config.config_file));
  if (!config.access_keys_file.empty()) {
    toml::table doc;
    try {
      doc = toml::parse_file(config.access_keys_file);
    } catch (const toml::parse_error& e) {
      return Status::InvalidArgument(config.access_keys_file + ":" +
                                     std::to_string(e.source().begin.line) + ": " +
                                     std::string(e.description()));
    }
    std::vector<AccessKeyConfig> keys;
    for (const auto& [name, node] : doc) {
      if (name.str() != "access_keys") {
        return Status::InvalidArgument(Line(config.access_keys_file, node) +
                                       ": only [[access_keys]] tables belong here");
      }
      MERIDIAN_RETURN_IF_ERROR(ReadAccessKeyTables(config.access_keys_file, node, &keys));
    }
    for (auto& k : keys) sources.emplace_back(std::move(k), DirOf(config.access_keys_file));
  }
  if (!config.credentials_file.empty()) {
    std::vector<AccessKeyConfig> keys;
    MERIDIAN_RETURN_IF_ERROR(ReadCredentialsFile(config.credentials_file, &keys));
    for (auto& k : keys) sources.emplace_back(std::move(k), DirOf(config.credentials_file));
  }

  AccessKeys out;
  out.account_id = config.account_id;
  std::set<std::string> ids;
  for (const auto& [source, dir] : sources) {
    auto key = Build(source, dir);
    if (!key.ok()) return key.status();
    if (!ids.insert(key->id).second) {
      return Status::InvalidArgument(source.where + ": access key '" + key->id +
                                     "' is configured twice");
    }
    if (!key->account_id.empty()) {
      if (out.account_id.empty()) out.account_id = key->account_id;
      if (key->account_id != out.account_id) {
        return Status::InvalidArgument(
            source.where + ": access key '" + key->id + "' is of account " + key->account_id +
            ", but this daemon serves account " + out.account_id +
            " (one account per daemon: set account_id or give every key the same one)");
      }
    }
    out.keys.push_back(std::move(key).value());
  }
  if (out.account_id.empty()) out.account_id = "000000000000";
  for (auto& key : out.keys) {
    if (key.account_id.empty()) key.account_id = out.account_id;
  }
  return out;
}

}  // namespace meridian::daemon
