#include "conflict/hlc.h"

#include <algorithm>

#include "common/wall_clock.h"

namespace meridian::conflict {

std::string Hlc::ToString() const {
  return std::to_string(millis()) + "." + std::to_string(logical());
}

PhysicalClock* SystemClock() {
  class Real final : public PhysicalClock {
   public:
    uint64_t NowMillis() override { return static_cast<uint64_t>(WallClockMillis()); }
  };
  static Real clock;
  return &clock;
}

HybridLogicalClock::HybridLogicalClock(PhysicalClock* physical, uint64_t max_clock_skew_ms)
    : physical_(physical), max_skew_ms_(max_clock_skew_ms) {}

Hlc HybridLogicalClock::Now() {
  const uint64_t physical_ms = std::min(physical_->NowMillis(), Hlc::kMaxMillis);
  MutexLock lock(&mu_);
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
  MutexLock lock(&mu_);
  if (!out.skewed) last_ = std::max(last_, remote);
  out.clock = last_;
  return out;
}

Hlc HybridLogicalClock::Current() const {
  MutexLock lock(&mu_);
  return last_;
}

}  // namespace meridian::conflict
