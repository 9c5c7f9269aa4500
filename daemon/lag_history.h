// The replication lag of every link into this region over the last kWindowMs, sampled once
// a second, for the dashboard's chart (GET /lagz): it shows the last minutes as soon as
// the page opens. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "common/mutex.h"

namespace meridian::replication {
class Replicator;
}

namespace meridian::daemon {

class LagHistory {
 public:
  static constexpr int64_t kWindowMs = int64_t{10} * 60 * 1000;
  static constexpr int64_t kPeriodMs = 1000;

  struct Sample {
    int64_t time_ms = 0;
    std::string peer;
    int64_t lag_ms = 0;
    bool connected = false;
  };

  // Samples `replicator` every kPeriodMs on a thread of its own until destroyed.
  explicit LagHistory(const replication::Replicator* replicator);
  ~LagHistory();
  LagHistory(const LagHistory&) = delete;
  LagHistory& operator=(const LagHistory&) = delete;

  std::vector<Sample> Samples() const EXCLUDES(mu_);

 private:
  void Run(const std::stop_token& stop) EXCLUDES(mu_);

  const replication::Replicator* replicator_;
  mutable Mutex mu_;
  std::deque<Sample> samples_ GUARDED_BY(mu_);
  std::jthread thread_;  // last: stopped and joined before the rest is destroyed
};

}  // namespace meridian::daemon
