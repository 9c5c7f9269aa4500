// Throughput limits (docs/capacity.md): provisioned tables and their global secondary
// indexes are throttled by token buckets of their read and write capacity units, with
// DynamoDB's burst capacity (up to `burst_seconds` of unused capacity is kept); on-demand
// tables only beyond the configured per-table limits, and every table beyond the configured
// account limits. A request is admitted while the buckets it needs are not in debt and then
// charged what it consumed (so one large request can take a bucket below zero, as in
// DynamoDB); a bucket in debt refuses requests until it refills. Writes replicated from other
// regions are charged but never refused. Auto scaling adjusts provisioned rates towards a
// target utilisation (tag "meridian:autoscaling").
//
// Thread-safe. The API consults it through the thread-local admission scope below.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "store/table_info.h"

namespace meridian::store {
class Store;
}

namespace meridian::api {

struct CapacityLimits {
  double burst_seconds = 300;        // unused capacity kept for bursts
  double on_demand_table_read = 0;   // read request units/s of one on-demand table (0: none)
  double on_demand_table_write = 0;  // write request units/s of one on-demand table (0: none)
  double account_read = 0;           // all tables together (0: no limit)
  double account_write = 0;
  uint64_t autoscale_interval_s = 60;  // how often auto scaling looks at the consumption
};

// One table's auto scaling settings, from its "meridian:autoscaling" tag:
// "target=70 min=5 max=1000" (both reads and writes) or with read_min/read_max/write_min/
// write_max; target is the utilisation in percent (20..90, as Application Auto Scaling).
// Tag values cannot hold commas: settings are separated by spaces.
struct AutoscalingPolicy {
  double target = 70;
  uint64_t read_min = 1, read_max = 40000;
  uint64_t write_min = 1, write_max = 40000;
};
std::optional<AutoscalingPolicy> ParseAutoscalingTag(const std::string& value);

// What a request consumed on one table or index ("" = the table itself).
struct CapacityCharge {
  std::string table;
  std::string index;
  double read = 0;
  double write = 0;
};

class CapacityLimiter {
 public:
  explicit CapacityLimiter(CapacityLimits limits);
  ~CapacityLimiter();
  CapacityLimiter(const CapacityLimiter&) = delete;
  CapacityLimiter& operator=(const CapacityLimiter&) = delete;

  // Throws ApiError (ProvisionedThroughputExceededException, ThrottlingException or
  // RequestLimitExceeded, all HTTP 400) when a bucket the request needs is in debt: the
  // table's (or, with `index`, that index's) read or write bucket; a write also needs the
  // write bucket of each of the table's global secondary indexes.
  void Admit(const store::TableInfo& table, const store::IndexInfo* index, bool write);
  void Charge(const std::vector<CapacityCharge>& charges);
  // Writes applied from other regions: charged, never refused.
  void ChargeReplicated(const std::map<std::string, double>& write_units);

  // Starts the background thread that takes the store's replicated write units every second
  // and runs auto scaling every autoscale_interval_s (in a region where `scales(table)`).
  void Start(store::Store* store, std::function<bool(const store::TableInfo&)> scales);
  void Stop();

  // One auto scaling pass now (tests; the thread calls it): provisioned tables with an
  // autoscaling tag get rates that put the consumption since the last pass at the target.
  void Autoscale(store::Store* store, const std::function<bool(const store::TableInfo&)>& scales);

  struct Stats {
    uint64_t autoscale_increases = 0;
    uint64_t autoscale_decreases = 0;
    uint64_t replicated_write_units = 0;
  };
  Stats stats() const;

 private:
  struct Bucket;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Records a change of provisioned rates from (read, write) to (new_read, new_write) at
// `now_ms` in `changes`: an increase stamps last_increase_ms; a decrease is refused with
// DynamoDB's LimitExceededException once the UTC day has had 4 and the last one was less than
// an hour ago, and otherwise counts. `what` names the resource in the message ("table",
// "index <name>").
void RecordThroughputChange(store::ThroughputChanges* changes, uint64_t read, uint64_t write,
                            uint64_t new_read, uint64_t new_write, uint64_t now_ms,
                            const std::string& what);

// DescribeTable's ProvisionedThroughput of a table or index: the rates, NumberOfDecreasesToday
// and, once there were any, LastIncreaseDateTime / LastDecreaseDateTime (epoch seconds).
boost::json::object DescribeThroughput(uint64_t read, uint64_t write,
                                       const store::ThroughputChanges& changes);

uint64_t NowMillis();

// The thread-local admission scope of the request being handled (set by Api::Handle): which
// limiter applies and whether the operation reads or writes. LookupTable admits every table
// an operation names through it; Query and Scan admit their table or index themselves.
enum class AccessKind { kNone, kRead, kWrite, kIndexedRead };
class AdmissionScope {
 public:
  AdmissionScope(CapacityLimiter* limiter, AccessKind kind);
  // Another kind, the same limiter (PartiQL statements: read or write).
  explicit AdmissionScope(AccessKind kind);
  ~AdmissionScope();
  AdmissionScope(const AdmissionScope&) = delete;
  AdmissionScope& operator=(const AdmissionScope&) = delete;

 private:
  CapacityLimiter* saved_limiter_;
  AccessKind saved_kind_;
};
// Admits `table` for the current scope's kind (nothing outside a scope, or for kNone;
// kIndexedRead waits for AdmitRead).
void AdmitTable(const store::TableInfo& table);
// Query / Scan: admits a read of `index` (or the table when null).
void AdmitRead(const store::TableInfo& table, const store::IndexInfo* index);

}  // namespace meridian::api
