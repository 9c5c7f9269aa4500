// The access keys the daemon accepts, from every source of the configuration: the config
// file's [[access_keys]], access_keys_file (TOML) and credentials_file (AWS INI), with their
// policies parsed (docs/security.md).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/config.h"
#include "security/access_key.h"

namespace meridian::daemon {

struct AccessKeys {
  std::vector<security::AccessKey> keys;
  std::string account_id;  // the daemon's account (ARNs)
};

// InvalidArgument naming the file, line or key id for an unreadable file, a missing id or
// secret, a duplicate id, a bad expiry, an invalid policy, or keys of different accounts.
Result<AccessKeys> LoadAccessKeys(const Config& config);

}  // namespace meridian::daemon
