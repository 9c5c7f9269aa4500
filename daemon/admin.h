// The operator status API (admin port, JSON; GET, except POST /verify). Every response carries
// `region`, `server_id` and `now`. Each endpoint is a pure function of the server state it is
// given; the HTTP handler is a thin router (see nats-server's monitor.go).
#pragma once

#include <cstdint>
#include <string>

#include "daemon/http_server.h"

namespace meridian::store {
class Store;
}
namespace meridian::api {
class CapacityLimiter;
}
namespace meridian::replication {
class Replicator;
class PeerAuthenticator;
}  // namespace meridian::replication

namespace meridian::daemon {

inline constexpr const char* kHealthzPath = "/healthz";
inline constexpr const char* kVarzPath = "/varz";
inline constexpr const char* kRegionzPath = "/regionz";
inline constexpr const char* kTablezPath = "/tablez";
inline constexpr const char* kConflictzPath = "/conflictz";
inline constexpr const char* kVerifyPath = "/verify";        // POST: anti-entropy now
inline constexpr const char* kMetricsPath = "/metrics";      // Prometheus text format
inline constexpr const char* kDashboardPath = "/dashboard";  // HTML (also at /)
inline constexpr const char* kLagzPath = "/lagz";            // lag samples of the last 10 minutes

struct ServerIdentity {
  std::string region;
  uint32_t region_id = 0;
  std::string cluster;
  std::string server_id;
  std::string version;
  int64_t start_time_ms = 0;
  std::string admin_url;  // as advertised to the other regions
};

class Metrics;
class LagHistory;

// What the endpoints read. `replicator` is null for a single-region daemon, `metrics` when
// the server keeps none (tests).
struct AdminState {
  const ServerIdentity* id = nullptr;
  store::Store* store = nullptr;
  replication::Replicator* replicator = nullptr;
  const Metrics* metrics = nullptr;
  const LagHistory* lag_history = nullptr;                    // null without replication
  const replication::PeerAuthenticator* peer_auth = nullptr;  // null: peers not authenticated
  const api::CapacityLimiter* limiter = nullptr;              // throughput limits and auto scaling
};

// GET /healthz: 200 {"status":"ok"}, or 503 {"status":"error","errors":[{"type":...}]}
// (type "nats_unreachable" while replication has no NATS connection).
HttpResponse Healthz(const AdminState& state);
// GET /varz: version, uptime, configuration summary, counters.
HttpResponse Varz(const AdminState& state);
// GET /regionz: this region's head and applied vector, and per peer region: connected,
// head seq, applied seq, acked seq, lag in ms, pending changes.
HttpResponse Regionz(const AdminState& state);
// GET /tablez: per table: policy, items, size, digest (equal on converged regions),
// tombstones, and the long work running on it; "work": every running task and the recently
// finished ones (kind, done / total, rate_per_s, eta_s).
HttpResponse Tablez(const AdminState& state);
// GET /conflictz: the most recent concurrent resolutions and the total count.
HttpResponse Conflictz(const AdminState& state);
// GET /lagz: per peer, [time_ms, lag_ms, connected] samples of the last 10 minutes, one a
// second (LagHistory).
HttpResponse Lagz(const AdminState& state);

// Routes admin requests. `state` must outlive the handler.
HttpHandler MakeAdminHandler(const AdminState* state);

}  // namespace meridian::daemon
