// Default rapidcheck parameters for the conflict tests: a fixed seed (so the default run
// is deterministic and a failure replays) and 10,000 cases per property. An RC_PARAMS in
// the environment wins for the keys it sets: RC_PARAMS="seed=42" explores another seed,
// RC_PARAMS="max_success=100000" runs longer. Rapidcheck prints the configuration (the
// seed) before the first property and a reproduce string on failure.
#include <cstdlib>
#include <string>

namespace {

const bool kRapidcheckDefaults = [] {
  std::string params;
  if (const char* env = std::getenv("RC_PARAMS")) params = env;
  if (params.find("seed=") == std::string::npos && params.find("reproduce=") == std::string::npos) {
    params += " seed=20251124";
  }
  if (params.find("max_success=") == std::string::npos) params += " max_success=10000";
  setenv("RC_PARAMS", params.c_str(), 1);
  return true;
}();

}  // namespace
