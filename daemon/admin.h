// The operator status API (admin port, GET only, JSON). Every response carries `region`,
// `server_id` and `now`. Each endpoint is a pure function of a snapshot of server state;
// the HTTP handler is a thin wrapper (see nats-server's monitor.go).
#pragma once

#include <cstdint>
#include <string>

#include "daemon/http_server.h"

namespace meridian::store {
class Store;
}

namespace meridian::daemon {

inline constexpr const char* kHealthzPath = "/healthz";

struct ServerIdentity {
  std::string region;
  std::string server_id;
  std::string version;
  int64_t start_time_ms = 0;
};

// GET /healthz: {"status":"ok", ...} and 200, or 503 with typed errors.
HttpResponse Healthz(const ServerIdentity& id, const store::Store& store);

// Routes admin requests.
HttpHandler MakeAdminHandler(const ServerIdentity* id, const store::Store* store);

}  // namespace meridian::daemon
