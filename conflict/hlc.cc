#include "conflict/hlc.h"

#include <chrono>

#include <algorithm>

namespace meridian::conflict {

std::string Hlc::ToString() const {
  return std::to_string(millis()) + "." + std::to_string(logical());
}

PhysicalClock* SystemClock() {
  class Real final : public PhysicalClock {
   public:
    uint64_t NowMillis() override {
      return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    }
  };
  static Real clock;
  return &clock;
}

HybridLogicalClock::HybridLogicalClock(PhysicalClock* physical, uint64_t max_clock_skew_ms)
    : physical_(physical), max_skew_ms_(max_clock_skew_ms) {}

Hlc HybridLogicalClock::Now() {
  const uint64_t physical_ms = std::min(physical_->NowMillis(), Hlc::kMaxMillis);
  std::lock_guard<std::mutex> lock(mu_);
  // Kulkarni et al.: l = max(l, pt); c = (l unchanged) ? c + 1 : 0. On the packed form that
  // is max(last + 1, pt << 16).
  last_ = std::max(last_.Next(), Hlc::FromParts(physical_ms, 0));
  return last_;
}

HybridLogicalClock::Observation HybridLogicalClock::Observe(Hlc remote) {
  const uint64_t physical_ms = physical_->NowMillis();
  Observation out;
  if (remote.millis() > physical_ms) out.ahead_ms = remote.millis() - physical_ms;
  out.skewed = out.ahead_ms > max_skew_ms_;
  std::lock_guard<std::mutex> lock(mu_);
  if (!out.skewed) last_ = std::max(last_, remote);
  out.clock = last_;
  return out;
}

Hlc HybridLogicalClock::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

}  // namespace meridian::conflict
