#include "daemon/lag_history.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/thread_name.h"
#include "common/wall_clock.h"
#include "replication/replicator.h"

namespace meridian::daemon {

LagHistory::LagHistory(const replication::Replicator* replicator)
    : replicator_(replicator), thread_([this](const std::stop_token& stop) { Run(stop); }) {}

LagHistory::~LagHistory() {
  thread_.request_stop();
  thread_.join();
}

std::vector<LagHistory::Sample> LagHistory::Samples() const {
  MutexLock lock(&mu_);
  return {samples_.begin(), samples_.end()};
}

void LagHistory::Run(const std::stop_token& stop) {
  SetThreadName("lag-history");
  std::mutex wait_mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const int64_t now = WallClockMillis();
    const auto peers = replicator_->Peers();
    {
      MutexLock lock(&mu_);
      for (const auto& p : peers) {
        samples_.push_back(
            {now, p.name.empty() ? std::to_string(p.region) : p.name, p.lag_ms, p.connected});
      }
      while (!samples_.empty() && samples_.front().time_ms < now - kWindowMs) samples_.pop_front();
    }
    std::unique_lock lock(wait_mu);
    wake.wait_for(lock, stop, std::chrono::milliseconds(kPeriodMs), [] { return false; });
  }
}

}  // namespace meridian::daemon
