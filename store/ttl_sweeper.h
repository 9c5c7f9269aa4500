// Time to Live (docs/streams.md): each region's sweeper deletes the items whose TTL
// attribute (a Number, epoch seconds) has passed, as ordinary replicated deletes marked as
// TTL expiries. Until the sweeper reaches an item it is still returned, as in DynamoDB.
// The same thread trims stream records past their retention (Store::TrimStreams).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "common/status.h"
#include "model/attribute_value.h"

namespace meridian::conflict {
class PhysicalClock;
}

namespace meridian::store {

class Store;
struct TableInfo;

struct TtlSweeperOptions {
  uint64_t interval_ms = 30'000;             // between sweeps
  uint64_t max_deletes_per_s = 1'000;        // rate bound of the deletes of one region
  conflict::PhysicalClock* clock = nullptr;  // nullptr: the system clock
};

// Is `item` expired at `now_s` under TTL attribute `attribute`: a Number of epoch seconds
// not after now and, as in DynamoDB, not more than five years before it.
bool TtlExpired(const model::Item& item, const std::string& attribute, uint64_t now_s);

class TtlSweeper {
 public:
  TtlSweeper(Store* store, TtlSweeperOptions options);
  ~TtlSweeper();  // stops the thread
  TtlSweeper(const TtlSweeper&) = delete;
  TtlSweeper& operator=(const TtlSweeper&) = delete;

  void Start() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);
  // One sweep of every table with TTL enabled: examines up to 50,000 items per table and
  // deletes up to the rate budget of one interval, resuming after the last key it examined
  // when either ran out. Returns the number of items deleted.
  Result<size_t> SweepOnce();
  uint64_t deleted_total() const { return deleted_total_.load(); }

 private:
  // Deletes the expired items of one table, up to `budget`; *resume: where to continue.
  Result<size_t> SweepTable(const TableInfo& table, size_t budget,
                            std::optional<model::Item>* resume);
  void Run() EXCLUDES(mu_);

  Store* store_;
  TtlSweeperOptions options_;
  std::map<std::string, std::optional<model::Item>> resume_;  // SweepOnce's thread only
  std::atomic<uint64_t> deleted_total_{0};
  Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace meridian::store
