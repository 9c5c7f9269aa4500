// Reading [[access_keys]] tables of a TOML document (the config file or access_keys_file).
// Private to daemon/: only config.cc and access_keys.cc include toml++.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/config.h"

namespace meridian::daemon {

// `node` is the value of the document's "access_keys" key; errors name "path:line".
Status ReadAccessKeyTables(const std::string& path, const toml::node& node,
                           std::vector<AccessKeyConfig>* out);

}  // namespace meridian::daemon
