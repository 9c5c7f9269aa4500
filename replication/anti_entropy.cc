// Replicator: anti-entropy (docs/design.md section 4). Each table's items are digested in 256
// hash ranges (a two-level Merkle tree: the ranges, and their list); a region asks a peer
// replica for its range digests over meridian.<cluster>.digest.<peer>, and for every range
// that differs pulls the peer's items of that range (snapshot chunks bounded by the range)
// and merges them (MergeRemote): what this region lost (deleted items, older versions)
// comes back; what it has that the peer lacks waits for the peer's own round. Items with the
// same history but different bytes (bit rot: neither side can tell which is right) are
// counted as differing ranges and replaced by the peer's only when asked (`adopt`, admin
// POST /verify?adopt=1 on the damaged region). Digests are compared only when both regions
// have applied the same changes (otherwise in-flight replication would be "repaired" and
// counted), unless forced. Runs every `anti_entropy_interval`, and on demand (POST /verify).
#include <spdlog/spdlog.h>

#include "common/progress.h"
#include "replication/replicator.h"
#include "replication/wire.h"
#include "store/store.h"

namespace meridian::replication {

void Replicator::OnDigestRequest(const InboundMessage& m) {
  if (m.reply_to.empty()) return;
  auto req = DecodeDigestRequest(m.payload);
  if (!req.ok()) {
    MutexLock lock(&mu_);
    ++counters_.rejected_messages;
    return;
  }
  if (Impersonates(m, req->requester)) return;
  DigestReplyMessage reply;
  reply.table = req->table;
  auto digests = store_->BucketDigests(req->table);
  if (digests.ok() && digests->found) {
    reply.found = true;
    reply.vector = std::move(digests->vector);
    reply.buckets = std::move(digests->buckets);
  }
  NoteFailure(&ReplicatorCounters::publish_failures, "digest reply",
              transport_->Publish(m.reply_to, EncodeDigestReply(reply)));
}

VerifyResult Replicator::VerifyWith(const std::string& table, const std::string& peer, bool force,
                                    bool adopt) {
  VerifyResult r;
  r.table = table;
  r.peer = peer;
  auto reply =
      transport_->Request(Subject("digest", peer), EncodeDigestRequest({options_.region_id, table}),
                          options_.fetch_timeout);
  if (!reply.ok()) {
    r.outcome = "unreachable";
    return r;
  }
  auto theirs = DecodeDigestReply(*reply);
  if (!theirs.ok() || theirs->table != table) {
    MutexLock lock(&mu_);
    ++counters_.rejected_messages;
    r.outcome = "bad reply";
    return r;
  }
  auto mine = store_->BucketDigests(table);
  if (!theirs->found || !mine.ok() || !mine->found) {
    r.outcome = "not comparable (table missing or backfilling on one side)";
    return r;
  }
  if (!force && !(theirs->vector == mine->vector)) {
    r.outcome = "skipped: replication in flight (applied vectors differ)";
    return r;
  }
  ProgressBoard::Task progress =
      store_->progress().Start("anti-entropy", table, "with " + peer, "ranges", 256);
  for (int b = 0; b < 256; ++b) {
    progress.Advance(1);
    if (mine->buckets[b] == theirs->buckets[b]) continue;
    ++r.ranges_differing;
    // Key suffixes start with hash64(pk) big-endian: range b is [b, b+1) on the first byte.
    SnapshotRequestMessage req{options_.region_id, table, std::string(1, static_cast<char>(b)),
                               static_cast<uint32_t>(options_.snapshot_chunk_bytes),
                               b == 255 ? std::string() : std::string(1, static_cast<char>(b + 1))};
    while (true) {
      auto bytes = transport_->Request(Subject("snapshot", peer), EncodeSnapshotRequest(req),
                                       options_.fetch_timeout);
      if (!bytes.ok()) break;
      auto chunk = DecodeSnapshotChunk(*bytes);
      if (!chunk.ok() || !chunk->found || chunk->table != table) break;
      auto changed = store_->MergeSnapshot(table, chunk->items, adopt);
      if (!changed.ok()) {
        r.outcome = "repair failed: " + changed.status().message();
        return r;
      }
      r.items_repaired += *changed;
      if (chunk->done || chunk->items.empty()) break;
      req.after_key = chunk->items.back().first;
    }
  }
  if (r.ranges_differing == 0) {
    r.outcome = "equal";
  } else {
    auto after = store_->BucketDigests(table);
    int still = 0;
    for (int b = 0; after.ok() && after->found && b < 256; ++b)
      still += after->buckets[b] != theirs->buckets[b];
    r.outcome = still == 0
                    ? "repaired"
                    : "repaired " + std::to_string(r.ranges_differing - still) + " of " +
                          std::to_string(r.ranges_differing) +
                          " ranges (the rest: same history, different content, or newer here)";
  }
  return r;
}

std::vector<VerifyResult> Replicator::Verify(const std::string& table, bool force, bool adopt) {
  std::vector<std::string> tables;
  if (table.empty()) {
    tables = store_->ListTableNames();
  } else {
    tables.push_back(table);
  }
  std::vector<std::string> peers;
  {
    MutexLock lock(&mu_);
    const int64_t now = NowMs();
    for (const auto& [id, peer] : peers_) {
      if (!peer.name.empty() && now - peer.last_heartbeat_ms <= 4 * options_.heartbeat.count()) {
        peers.push_back(peer.name);
      }
    }
  }
  std::vector<VerifyResult> results;
  for (const auto& t : tables) {
    auto info = store_->GetTable(t);
    if (!info.ok()) continue;
    for (const auto& peer : peers) {
      if (!(*info)->HostedIn(peer)) continue;
      results.push_back(VerifyWith(t, peer, force, adopt));
      const auto& r = results.back();
      MutexLock lock(&mu_);
      ++counters_.anti_entropy_comparisons;
      counters_.anti_entropy_ranges_differing += r.ranges_differing;
      counters_.anti_entropy_items_repaired += r.items_repaired;
      if (r.items_repaired) {
        spdlog::warn("msg=\"anti-entropy repaired items\" table={} peer={} ranges={} items={}", t,
                     peer, r.ranges_differing, r.items_repaired);
      }
    }
  }
  return results;
}

void Replicator::AntiEntropyLoop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    const auto deadline = DeadlineAfter(options_.anti_entropy_interval);
    while (!stop_ && heartbeat_cv_.WaitUntil(mu_, deadline)) {
    }
    if (stop_) break;
    lock.Unlock();
    Verify("", /*force=*/false, /*adopt=*/false);
    lock.Lock();
  }
}

}  // namespace meridian::replication
