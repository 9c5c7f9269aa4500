// Replicator: backfill of new replicas of global tables, and the snapshot responder.
//
// UpdateTable ReplicaUpdates Create makes region R a replica of table T. R learns it by
// applying the definition change; from then on it applies T's changes from the log, and
// the store records which changes of other origins R had applied (and skipped for T)
// before: the `needed` vector. The backfill copies T from a peer replica chunk by chunk;
// the first chunk must come from a snapshot whose applied vector covers `needed`, so the
// copy holds every change R skipped (store_snapshot.cc explains why chunks compose). Then
// the replica turns ACTIVE.
#include <spdlog/spdlog.h>

#include "common/progress.h"
#include "replication/replicator.h"
#include "replication/wire.h"
#include "store/store.h"

namespace meridian::replication {
namespace {

bool Covers(const conflict::VersionVector& have, const conflict::VersionVector& needed) {
  for (const auto& e : needed.entries()) {
    if (have.Get(e.region) < e.seq) return false;
  }
  return true;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

void Replicator::BackfillLoop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    const auto deadline = DeadlineAfter(options_.heartbeat);
    while (!stop_ && heartbeat_cv_.WaitUntil(mu_, deadline)) {
    }
    if (stop_) break;
    lock.Unlock();
    BackfillStep();
    lock.Lock();
  }
}

void Replicator::BackfillStep() {
  for (const auto& [table, needed] : store_->PendingBackfills()) {
    if (BackfillTable(table, needed)) {
      MutexLock count(&mu_);
      ++counters_.backfills_completed;
    }
  }
}

bool Replicator::BackfillTable(const std::string& table, const conflict::VersionVector& needed) {
  auto info = store_->GetTable(table);
  if (!info.ok()) return false;
  std::vector<std::string> sources;
  {
    MutexLock lock(&mu_);
    const int64_t now = NowMs();
    for (const auto& [id, peer] : peers_) {
      const bool alive = now - peer.last_heartbeat_ms <= 4 * options_.heartbeat.count();
      if (alive && (*info)->HostedIn(peer.name) && !Contains(peer.backfilling, table) &&
          Covers(peer.applied, needed)) {
        sources.push_back(peer.name);
      }
    }
  }
  for (const auto& source : sources) {
    conflict::VersionVector reflected;
    Status copied = CopyTable(table, source, needed, &reflected);
    if (!copied.ok()) continue;
    // Chunks read at different moments may each hold part of a transaction: the copy is
    // whole only once the log has brought everything the chunks reflected (Store fence).
    Status done = store_->FenceTable(table, reflected);
    if (done.ok()) done = store_->FinishBackfill(table);
    if (done.ok()) spdlog::info("msg=\"replica backfilled\" table={} source={}", table, source);
    return done.ok();
  }
  return false;
}

Status Replicator::CopyTable(const std::string& table, const std::string& peer,
                             const conflict::VersionVector& needed,
                             conflict::VersionVector* reflected, const char* copy_kind) {
  SnapshotRequestMessage req;
  req.requester = options_.region_id;
  req.table = table;
  req.max_bytes = static_cast<uint32_t>(options_.snapshot_chunk_bytes);
  ProgressBoard::Task progress =
      store_->progress().Start(copy_kind, table, "from " + peer, "items");
  for (bool first = true;; first = false) {
    auto reply = transport_->Request(Subject("snapshot", peer), EncodeSnapshotRequest(req),
                                     options_.fetch_timeout);
    if (!reply.ok()) return reply.status();
    auto chunk = DecodeSnapshotChunk(*reply);
    if (!chunk.ok() || chunk->table != table) {
      MutexLock lock(&mu_);
      ++counters_.rejected_messages;
      return Status::Corruption("bad snapshot chunk from " + peer);
    }
    if (!chunk->found) return Status::NotFound(peer + " does not hold " + table);
    if (first && !Covers(chunk->vector, needed)) return Status::IOError(peer + " is behind");
    reflected->Join(chunk->vector);
    auto merged = store_->MergeSnapshot(table, chunk->items);
    if (!merged.ok()) {
      spdlog::error("msg=\"snapshot merge failed\" table={} source={} error=\"{}\"", table, peer,
                    merged.status().message());
      return merged.status();
    }
    progress.Advance(chunk->items.size());
    if (chunk->table_items != 0) progress.SetTotal(chunk->table_items);
    {
      MutexLock lock(&mu_);
      counters_.snapshot_items_received += chunk->items.size();
      if (stop_) return Status::IOError("stopping");
    }
    if (chunk->done) return Status::Ok();
    if (chunk->items.empty()) return Status::Corruption("empty chunk before the end from " + peer);
    req.after_key = chunk->items.back().first;
  }
}

void Replicator::OnSnapshotRequest(const InboundMessage& m) {
  if (m.reply_to.empty()) return;
  auto req = DecodeSnapshotRequest(m.payload);
  if (!req.ok()) {
    MutexLock lock(&mu_);
    ++counters_.rejected_messages;
    return;
  }
  if (Impersonates(m, req->requester)) return;
  const size_t max_bytes = std::clamp<size_t>(req->max_bytes, 4096, 4 << 20);  // < NATS max_payload
  auto chunk = req->catalog
                   ? store_->ReadCatalog()
                   : store_->ReadSnapshot(req->table, req->after_key, max_bytes, req->until_key);
  SnapshotChunkMessage reply;
  reply.table = req->table;
  if (chunk.ok()) {
    reply.found = chunk->found;
    reply.vector = std::move(chunk->vector);
    reply.items = std::move(chunk->items);
    reply.done = chunk->done;
    if (!req->catalog) {
      if (auto info = store_->GetTable(req->table); info.ok()) {
        reply.table_items = store_->GetTableStats((*info)->table_id).item_count;
      }
    }
  }
  NoteFailure(&ReplicatorCounters::publish_failures, "snapshot reply",
              transport_->Publish(m.reply_to, EncodeSnapshotChunk(reply)));
  MutexLock lock(&mu_);
  ++counters_.snapshot_chunks_served;
}

std::vector<std::string> Replicator::Regions() const {
  std::vector<std::string> names{options_.region_name};
  MutexLock lock(&mu_);
  for (const auto& [id, peer] : peers_) {
    if (!peer.name.empty()) names.push_back(peer.name);
  }
  return names;
}

std::string Replicator::ReplicaStatus(const store::TableInfo& table,
                                      const std::string& region) const {
  if (region == options_.region_name)
    return store_->Backfilling(table.name) ? "CREATING" : "ACTIVE";
  const store::TableInfo::Replica* replica = table.FindReplica(region);
  const bool added_later = replica && replica->added_seq != 0;
  MutexLock lock(&mu_);
  for (const auto& [id, peer] : peers_) {
    if (peer.name != region) continue;
    if (Contains(peer.backfilling, table.name)) return "CREATING";
    if (added_later && peer.applied.Get(replica->added_origin) < replica->added_seq)
      return "CREATING";
    return "ACTIVE";
  }
  return added_later ? "CREATING" : "ACTIVE";
}

}  // namespace meridian::replication
