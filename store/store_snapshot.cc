// Store: table snapshots for new replicas of global tables (DESIGN.md section 4, "a new
// replica ... bootstraps from a consistent snapshot stream of the table plus the vector it
// reflects, then follows the log").
//
// A chunk is read at one RocksDB snapshot together with the applied vector of that snapshot
// (the vector is written in the same WriteBatch as the items, so the pair is consistent).
// The receiver merges the versions with conflict::MergeRemote, which is idempotent,
// commutative and associative, so chunks read at different moments compose: once every key
// range has been copied from a state that reflected at least the vector the new replica had
// skipped, the replica holds everything it missed, and the log supplies the rest.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "conflict/version_codec.h"
#include "model/key_codec.h"
#include "store/store.h"
#include "store/scoped_snapshot.h"
#include "store/store_keys.h"

namespace meridian::store {

std::map<std::string, conflict::VersionVector> Store::PendingBackfills() const {
  std::shared_lock lock(catalog_mu_);
  return {backfills_.begin(), backfills_.end()};
}

Result<SnapshotChunk> Store::ReadSnapshot(std::string_view table, std::string_view after,
                                          size_t max_bytes) const {
  SnapshotChunk chunk;
  uint32_t table_id;
  {
    std::shared_lock lock(catalog_mu_);
    auto it = tables_.find(table);
    if (it == tables_.end() || backfills_.count(table)) return chunk;  // found = false
    table_id = it->second->table_id;
  }
  chunk.found = true;
  const ScopedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();

  std::string value;
  std::vector<conflict::VersionVector::Entry> entries;
  if (db_->Get(ro, meta_cf_, keys::kApplied, &value).ok()) {
    std::string_view in = value;
    auto applied = conflict::VersionVector::DecodeCompact(&in);
    if (!applied.ok()) return applied.status();
    entries = applied->entries();
  }
  uint64_t own_seq = 0;
  if (db_->Get(ro, meta_cf_, keys::kStats, &value).ok()) {
    std::map<uint32_t, TableStats> unused;
    own_seq = keys::DecodeStats(value, &unused);
  }
  std::erase_if(entries, [&](const auto& e) { return e.region == options_.region_id; });
  entries.push_back({options_.region_id, own_seq});
  chunk.vector = conflict::VersionVector::FromEntries(std::move(entries));

  const std::string prefix = keys::TableBegin(table_id);
  const std::string end = keys::TableBegin(table_id + 1);
  rocksdb::Slice upper(end);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  const std::string start = prefix + std::string(after);
  size_t bytes = 0;
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!after.empty() && key == start) continue;
    if (!chunk.items.empty() && bytes + key.size() + it->value().size() > max_bytes) break;
    chunk.items.emplace_back(std::string(key.substr(prefix.size())),
                             std::string(it->value().data(), it->value().size()));
    bytes += key.size() + it->value().size();
  }
  if (!it->status().ok()) return Status::IOError("snapshot: " + it->status().ToString());
  chunk.done = !it->Valid();
  return chunk;
}

Status Store::MergeSnapshot(std::string_view table,
                            const std::vector<std::pair<std::string, std::string>>& items) {
  std::lock_guard remote(remote_mu_);
  std::shared_ptr<const TableInfo> info;
  {
    std::shared_lock lock(catalog_mu_);
    auto it = tables_.find(table);
    if (it == tables_.end()) return Status::Ok();
    info = it->second;
  }
  const std::string prefix = model::TablePrefix(info->table_id);
  for (const auto& [suffix, bytes] : items) {
    if (suffix.size() < 9) return Status::Corruption("snapshot: short key");
    auto remote = conflict::DecodeItemVersion(bytes);
    if (!remote.ok()) return remote.status();
    if (hlc_->Observe(remote->hlc).skewed) ++skew_events_;
    const std::string key = prefix + suffix;
    std::lock_guard item_lock(LockFor(key));
    auto merged = MergeItemVersion(*info, key, std::move(remote).value(), nullptr);
    if (!merged.ok()) return merged.status();
  }
  CommitPending();
  std::lock_guard commit(commit_mu_);
  return failed_;
}

Status Store::FinishBackfill(std::string_view table) {
  {
    std::unique_lock lock(catalog_mu_);
    auto it = backfills_.find(table);
    if (it == backfills_.end()) return Status::Ok();
    backfills_.erase(it);
    std::lock_guard commit(commit_mu_);
    if (!failed_.ok()) return failed_;
    group_->Delete(meta_cf_, keys::kBackfillPrefix + std::string(table));
  }
  CommitPending();
  std::lock_guard commit(commit_mu_);
  return failed_;
}

}  // namespace meridian::store
