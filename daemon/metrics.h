// Prometheus metrics (GET /metrics on the admin port, text format 0.0.4), through
// prometheus-cpp. Names follow DynamoDB's CloudWatch metrics in snake_case, prefixed
// meridian_ (docs/operations.md lists them):
//   per request, by operation and table: meridian_requests_total,
//     meridian_successful_request_latency_seconds (histogram), meridian_errors_total{type},
//     meridian_throttled_requests_total;
//   per table: meridian_consumed_read_capacity_units_total,
//     meridian_consumed_write_capacity_units_total, meridian_table_items,
//     meridian_table_size_bytes;
//   per peer region: meridian_replication_latency_seconds, meridian_pending_replication_count,
//     meridian_peer_connected; meridian_conflicts_total{policy}; replication counters
//     (meridian_replication_changes_applied_total, ...); meridian_rocksdb_*_bytes.
// Request figures are counted as requests finish (ObserveRequest, thread-safe); the rest is
// read from the store and the replicator when scraped.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace meridian::api {
struct ApiResponse;
}

namespace meridian::daemon {

struct AdminState;

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished API request (`seconds` until its reply was ready, durability included).
  void ObserveRequest(const api::ApiResponse& response, double seconds);
  // The text exposition of every metric.
  std::string Scrape(const AdminState& state) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meridian::daemon
