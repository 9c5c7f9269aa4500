#include "daemon/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <unordered_map>

#include "daemon/admin.h"
#include "daemon/api/api.h"
#include "daemon/api/capacity_limiter.h"
#include "replication/peer_auth.h"
#include "replication/replicator.h"
#include "store/store.h"

namespace meridian::daemon {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Latency buckets (seconds): 100 us .. 5 s.
const Histogram::BucketBoundaries& LatencyBuckets() {
  static const Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return kBuckets;
}

// The series of one (operation, table).
struct RequestSeries {
  Counter* requests;
  Histogram* latency;
};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Family<Counter>& requests = BuildCounter()
                                  .Name("meridian_requests_total")
                                  .Help("DynamoDB API requests, by operation and table")
                                  .Register(*registry);
  Family<Histogram>& latency =
      BuildHistogram()
          .Name("meridian_successful_request_latency_seconds")
          .Help("Latency of successful requests (until the reply is ready, durability included)")
          .Register(*registry);
  Family<Counter>& errors = BuildCounter()
                                .Name("meridian_errors_total")
                                .Help("Requests that failed, by operation, table and error type")
                                .Register(*registry);
  Family<Counter>& throttled =
      BuildCounter()
          .Name("meridian_throttled_requests_total")
          .Help("Requests refused with a throughput-exceeded error, by operation and table")
          .Register(*registry);
  Family<Counter>& read_units = BuildCounter()
                                    .Name("meridian_consumed_read_capacity_units_total")
                                    .Help("Read capacity units consumed, by table")
                                    .Register(*registry);
  Family<Counter>& write_units = BuildCounter()
                                     .Name("meridian_consumed_write_capacity_units_total")
                                     .Help("Write capacity units consumed, by table")
                                     .Register(*registry);

  std::mutex mu;  // guards the caches; the series themselves are thread-safe
  std::unordered_map<std::string, RequestSeries> series;
  std::unordered_map<std::string, std::pair<Counter*, Counter*>> units;  // by table

  RequestSeries& SeriesFor(std::string_view operation, const std::string& table) {
    std::string key(operation);
    key.push_back('\0');
    key += table;
    auto it = series.find(key);
    if (it != series.end()) return it->second;
    const prometheus::Labels labels{{"operation", std::string(operation)}, {"table", table}};
    RequestSeries s{&requests.Add(labels), &latency.Add(labels, LatencyBuckets())};
    throttled.Add(labels);  // present (at 0) for every series that has requests
    return series.emplace(std::move(key), s).first->second;
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::ObserveRequest(const api::ApiResponse& r, double seconds) {
  const std::string_view operation = r.operation.empty() ? "unknown" : r.operation;
  // A request refused before its table was found counts under table "": names that are
  // not tables must not make series.
  const bool known_table = !r.table.empty() && r.error_type != "ResourceNotFoundException" &&
                           r.error_type != "ValidationException" &&
                           r.error_type != "SerializationException";
  const std::string table = known_table ? r.table : std::string();
  std::lock_guard lock(impl_->mu);
  RequestSeries& s = impl_->SeriesFor(operation, table);
  s.requests->Increment();
  if (r.error_type.empty()) {
    s.latency->Observe(seconds);
  } else {
    impl_->errors
        .Add({{"operation", std::string(operation)}, {"table", table}, {"type", r.error_type}})
        .Increment();
    if (r.error_type == "ProvisionedThroughputExceededException" ||
        r.error_type == "ThrottlingException" || r.error_type == "RequestLimitExceeded") {
      impl_->throttled.Add({{"operation", std::string(operation)}, {"table", table}}).Increment();
    }
  }
  for (const auto& u : r.usage) {
    auto it = impl_->units.find(u.table);
    if (it == impl_->units.end()) {
      const prometheus::Labels labels{{"table", u.table}};
      it = impl_->units
               .emplace(u.table,
                        std::pair(&impl_->read_units.Add(labels), &impl_->write_units.Add(labels)))
               .first;
    }
    if (u.read_units > 0) it->second.first->Increment(u.read_units);
    if (u.write_units > 0) it->second.second->Increment(u.write_units);
  }
}

namespace {

// The metrics read from the server's state, in a registry of their own built per scrape
// (so that deleted tables and forgotten peers disappear).
void AddStateMetrics(const AdminState& s, prometheus::Registry* registry) {
  auto gauge = [&](const char* name, const char* help) -> Family<Gauge>& {
    return BuildGauge().Name(name).Help(help).Register(*registry);
  };
  auto counter = [&](const char* name, const char* help) -> Family<Counter>& {
    return BuildCounter().Name(name).Help(help).Register(*registry);
  };
  const prometheus::Labels region{{"region", s.id->region}};
  gauge("meridian_up", "1 while meridiand serves").Add(region).Set(1);
  gauge("meridian_head_seq", "This region's committed change-log head")
      .Add({})
      .Set(static_cast<double>(s.store->committed_seq()));

  auto& items = gauge("meridian_table_items", "Items in the table (live, in this region)");
  auto& size = gauge("meridian_table_size_bytes", "Bytes of the table's items in this region");
  auto& provisioned_read = gauge("meridian_provisioned_read_capacity_units",
                                 "Provisioned read capacity units (PROVISIONED tables)");
  auto& provisioned_write = gauge("meridian_provisioned_write_capacity_units",
                                  "Provisioned write capacity units (PROVISIONED tables)");
  for (const auto& name : s.store->ListTableNames()) {
    auto table = s.store->GetTable(name);
    if (!table.ok()) continue;  // deleted meanwhile
    auto stats = s.store->GetTableStats((*table)->table_id);
    items.Add({{"table", name}}).Set(static_cast<double>(stats.item_count));
    size.Add({{"table", name}}).Set(static_cast<double>(stats.size_bytes));
    if ((*table)->billing_mode == store::BillingMode::kProvisioned) {
      provisioned_read.Add({{"table", name}}).Set(static_cast<double>((*table)->read_capacity));
      provisioned_write.Add({{"table", name}}).Set(static_cast<double>((*table)->write_capacity));
    }
  }
  if (s.limiter) {
    const api::CapacityLimiter::Stats limits = s.limiter->stats();
    auto& adjustments = counter("meridian_autoscaling_adjustments_total",
                                "Provisioned rate changes made by auto scaling, by direction");
    adjustments.Add({{"direction", "increase"}})
        .Increment(static_cast<double>(limits.autoscale_increases));
    adjustments.Add({{"direction", "decrease"}})
        .Increment(static_cast<double>(limits.autoscale_decreases));
    counter("meridian_replicated_write_capacity_units_total",
            "Write units of changes applied from other regions (charged, never throttled)")
        .Add({})
        .Increment(static_cast<double>(limits.replicated_write_units));
  }

  auto& conflicts = counter("meridian_conflicts_total",
                            "Concurrent writes resolved by the table's policy, by policy");
  for (const char* policy : {"lww", "merge"}) conflicts.Add({{"policy", policy}});
  for (const auto& [policy, n] : s.store->conflicts_by_policy()) {
    conflicts.Add({{"policy", policy}}).Increment(static_cast<double>(n));
  }

  const store::Store::DbSizes sizes = s.store->db_sizes();
  const struct {
    const char* name;
    const char* help;
    uint64_t bytes;
  } storage[] = {
      {"meridian_rocksdb_sst_bytes", "Bytes of RocksDB's SST files", sizes.sst_bytes},
      {"meridian_rocksdb_memtable_bytes", "Bytes of RocksDB's memtables", sizes.memtable_bytes},
      {"meridian_rocksdb_live_data_bytes", "RocksDB's estimate of its live data",
       sizes.live_data_bytes},
      {"meridian_rocksdb_block_cache_bytes",
       "Bytes in RocksDB's block cache (data, index and filter blocks; at most block_cache_mb)",
       sizes.block_cache_bytes},
      {"meridian_rocksdb_table_readers_bytes",
       "Bytes RocksDB's open table readers hold outside the block cache",
       sizes.table_readers_bytes},
      {"meridian_item_cache_bytes",
       "Bytes charged for cached decoded items (at most item_cache_mb)", sizes.item_cache_bytes},
  };
  for (const auto& g : storage) gauge(g.name, g.help).Add({}).Set(static_cast<double>(g.bytes));

  if (!s.replicator) return;
  auto& latency = gauge("meridian_replication_latency_seconds",
                        "How long this region has been behind the peer region (0: caught up)");
  auto& pending = gauge("meridian_pending_replication_count",
                        "Changes of the peer region received here and waiting (gap or dependency)");
  auto& connected = gauge("meridian_peer_connected", "1 when the peer region was heard recently");
  auto& behind = gauge("meridian_replication_behind_changes",
                       "Changes of the peer region's log not yet applied here");
  for (const auto& p : s.replicator->Peers()) {
    const prometheus::Labels peer{{"peer", p.name.empty() ? std::to_string(p.region) : p.name}};
    latency.Add(peer).Set(static_cast<double>(p.lag_ms) / 1000.0);
    pending.Add(peer).Set(static_cast<double>(p.pending));
    connected.Add(peer).Set(p.connected ? 1 : 0);
    behind.Add(peer).Set(
        static_cast<double>(p.head_seq > p.applied_seq ? p.head_seq - p.applied_seq : 0));
  }
  const auto c = s.replicator->counters();
  auto count = [&](const char* name, const char* help, uint64_t v) {
    counter(name, help).Add({}).Increment(static_cast<double>(v));
  };
  count("meridian_replication_changes_published_total", "Changes published to the peers",
        c.changes_published);
  count("meridian_replication_changes_applied_total", "Remote changes applied here",
        c.changes_applied);
  count("meridian_replication_changes_merged_total", "Remote changes merged with a local version",
        c.changes_merged);
  count("meridian_replication_duplicates_total", "Remote changes received again and skipped",
        c.duplicates);
  count("meridian_replication_rejected_messages_total", "Messages from peers that did not decode",
        c.rejected_messages);
  count("meridian_replication_fetches_total", "Gap fetches from peers", c.fetches);
  count("meridian_replication_publish_failures_total", "Failed publishes", c.publish_failures);
  count("meridian_anti_entropy_items_repaired_total", "Items repaired by anti-entropy",
        c.anti_entropy_items_repaired);
  if (s.peer_auth) {
    const auto a = s.peer_auth->counters();
    auto& rejected = counter("meridian_replication_unauthenticated_messages_total",
                             "Peer messages dropped: not signed by a configured region");
    const std::pair<const char*, uint64_t> reasons[] = {{"unsigned", a.unsigned_messages},
                                                        {"unknown_region", a.unknown_region},
                                                        {"bad_signature", a.bad_signature},
                                                        {"identity_conflict", a.identity_conflict},
                                                        {"impersonation", c.impersonations}};
    for (const auto& [reason, n] : reasons)
      rejected.Add({{"reason", reason}}).Increment(static_cast<double>(n));
  }
}

}  // namespace

std::string Metrics::Scrape(const AdminState& state) const {
  prometheus::Registry current;
  AddStateMetrics(state, &current);
  auto families = impl_->registry->Collect();
  auto more = current.Collect();
  families.insert(families.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace meridian::daemon
