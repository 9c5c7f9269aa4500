// Replicator: re-bootstrap of a region that fell behind the retained log (docs/design.md section
// 4: "A region that falls behind the retained log ... bootstraps from a consistent snapshot
// stream ... plus the vector it reflects, then follows the log").
//
// Triggered when every peer asked for a missing change answers that its log no longer holds
// it (fetch replies carry the oldest seq still held). The region then takes the catalog of a
// live peer P whose applied vector covers its own, read at one snapshot together with P's
// applied vector V; installs definitions that are newer there (LWW); copies every table it
// holds from a live replica whose first snapshot chunk reflects at least V (items merge
// state-based, so what it already had is kept and nothing is applied twice in effect); then
// raises its applied vector to V and follows the log from there. Limits: a table deleted
// elsewhere while this region was away and whose deletion record was trimmed stays here.
#include <spdlog/spdlog.h>

#include "replication/replicator.h"
#include "replication/wire.h"
#include "store/store.h"

namespace meridian::replication {

bool Replicator::Rebootstrap() {
  const conflict::VersionVector mine = store_->AppliedVector();
  std::vector<std::string> candidates;
  {
    MutexLock lock(&mu_);
    const int64_t now = NowMs();
    for (const auto& [id, peer] : peers_) {
      bool covers = true;
      for (const auto& e : mine.entries()) {
        if (e.region != options_.region_id && peer.applied.Get(e.region) < e.seq) covers = false;
      }
      if (covers && !peer.name.empty() &&
          now - peer.last_heartbeat_ms <= 4 * options_.heartbeat.count()) {
        candidates.push_back(peer.name);
      }
    }
  }
  for (const auto& source : candidates) {
    SnapshotRequestMessage req{options_.region_id, "", "", 0, "", /*catalog=*/true};
    auto reply = transport_->Request(Subject("snapshot", source), EncodeSnapshotRequest(req),
                                     options_.fetch_timeout);
    if (!reply.ok()) continue;
    auto catalog = DecodeSnapshotChunk(*reply);
    if (!catalog.ok() || !catalog->found) continue;
    // Only other origins: this region's own changes are its own to know.
    std::vector<conflict::VersionVector::Entry> entries;
    for (const auto& e : catalog->vector.entries()) {
      if (e.region != options_.region_id) entries.push_back(e);
    }
    const auto target = conflict::VersionVector::FromEntries(std::move(entries));
    spdlog::warn(
        "msg=\"behind the retained log: re-bootstrapping from a snapshot\" source={} tables={}",
        source, catalog->items.size());
    Status s = store_->InstallDefinitions(catalog->items);
    bool copied_all = s.ok();
    for (const auto& table : store_->ListTableNames()) {
      if (!copied_all) break;
      conflict::VersionVector reflected;
      Status c = CopyTable(table, source, target, &reflected, "re-bootstrap");
      if (c.ok()) c = store_->FenceTable(table, reflected);  // as a backfill (backfill.cc)
      if (!c.ok()) {
        spdlog::warn("msg=\"re-bootstrap copy failed\" table={} source={} error=\"{}\"", table,
                     source, c.message());
        copied_all = false;
        continue;
      }
      Status finished = store_->FinishBackfill(table);
      if (!finished.ok()) {
        NoteFailure(&ReplicatorCounters::store_errors, "re-bootstrap finishing a table", finished);
        copied_all = false;
      }
    }
    if (!copied_all) continue;
    s = store_->AdvanceApplied(target);
    if (!s.ok()) return false;
    MutexLock lock(&mu_);
    ++counters_.rebootstraps;
    apply_wanted_ = true;
    spdlog::info("msg=\"re-bootstrapped\" source={}", source);
    return true;
  }
  MutexLock lock(&mu_);
  rebootstrap_wanted_ = true;  // try again on the next round
  return false;
}

}  // namespace meridian::replication
