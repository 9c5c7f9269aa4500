// Replicator: log trimming (docs/design.md section 4: "then the log may be trimmed").
//
// A record (origin, seq) may go once every region that may still need it has applied it:
// the trim point of an origin is the minimum of that origin's entry in the applied vectors
// of every region known here (this one; every peer ever heard from, persisted across
// restarts; every region that appears in any applied vector). A known region not heard from
// since this daemon started holds trimming back, because its position is unknown; with no
// peer known at all nothing is trimmed, and own records go only once published. A region
// that joins the cluster after records were trimmed cannot get them from the log. Independently,
// when `log_retention` is set, at most that many records per origin are kept beyond that point: a
// region that falls further behind can then no longer catch up from the log and re-bootstraps from
// a peer's snapshot (rebootstrap.cc).
#include <set>

#include <spdlog/spdlog.h>

#include "replication/replicator.h"
#include "store/store.h"

namespace meridian::replication {

void Replicator::TrimLog() {
  {
    MutexLock lock(&mu_);
    const int64_t now = NowMs();
    if (now - last_trim_ms_ < options_.trim_interval.count()) return;  // every heartbeat asks
    last_trim_ms_ = now;
  }
  const conflict::VersionVector applied = store_->DurableAppliedVector();
  const std::vector<conflict::RegionId> known = store_->KnownRegions();
  std::map<conflict::RegionId, uint64_t> points;
  {
    MutexLock lock(&mu_);
    std::set<conflict::RegionId> regions{options_.region_id};
    regions.insert(known.begin(), known.end());
    for (const auto& e : applied.entries()) regions.insert(e.region);
    if (regions.size() < 2) return;  // no peer ever heard of: nobody to trim for yet
    for (const auto& [id, peer] : peers_) {
      regions.insert(id);
      for (const auto& e : peer.applied.entries()) regions.insert(e.region);
    }
    for (const conflict::RegionId origin : regions) {
      const uint64_t have = applied.Get(origin);
      uint64_t point = have;
      for (const conflict::RegionId region : regions) {
        if (region == options_.region_id) continue;
        auto peer = peers_.find(region);
        point = peer == peers_.end() ? 0 : std::min(point, peer->second.applied.Get(origin));
        if (point == 0) break;
      }
      if (options_.log_retention > 0 && have > options_.log_retention) {
        point = std::max(point, have - options_.log_retention);
      }
      if (origin == options_.region_id) point = std::min(point, published_);
      if (point > trimmed_[origin]) points[origin] = point;
    }
  }
  for (const auto& [origin, point] : points) {
    Status s = store_->TrimLog(origin, point);
    if (!s.ok()) {
      spdlog::warn("msg=\"log trim failed\" origin={} upto={} error=\"{}\"", origin, point,
                   s.message());
      continue;
    }
    MutexLock lock(&mu_);
    trimmed_[origin] = point;
    ++counters_.log_trims;
  }
}

}  // namespace meridian::replication
