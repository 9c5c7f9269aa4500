// Store: table snapshots for new replicas of global tables (docs/design.md section 4, "a new
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
#include <xxhash.h>

#include "conflict/merge.h"
#include "conflict/version_codec.h"
#include "model/key_codec.h"
#include "store/change_log.h"
#include "store/scoped_snapshot.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {

std::map<std::string, conflict::VersionVector> Store::PendingBackfills() const {
  ReaderMutexLock lock(&catalog_mu_);
  return {backfills_.begin(), backfills_.end()};
}

std::optional<uint32_t> Store::ServableTableId(std::string_view table) const {
  ReaderMutexLock lock(&catalog_mu_);
  auto it = tables_.find(table);
  if (it == tables_.end() || backfills_.count(table)) return std::nullopt;
  return it->second->table_id;
}

Result<conflict::VersionVector> Store::VectorAt(const rocksdb::ReadOptions& ro) const {
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
  return conflict::VersionVector::FromEntries(std::move(entries));
}

// A servable table's items at one RocksDB snapshot, with that snapshot's applied vector.
struct Store::TableScan {
  explicit TableScan(rocksdb::DB* db) : snapshot(db) { ro.snapshot = snapshot.get(); }
  const ScopedSnapshot snapshot;
  rocksdb::ReadOptions ro;
  conflict::VersionVector vector;
  std::string prefix;  // the table's key prefix; items' key suffixes follow it
  std::string end;
  rocksdb::Slice upper;
  std::unique_ptr<rocksdb::Iterator> it;  // unpositioned, bounded above by `until`
};

Result<std::unique_ptr<Store::TableScan>> Store::OpenTableScan(std::string_view table,
                                                               std::string_view until) const {
  const auto table_id = ServableTableId(table);
  if (!table_id) return std::unique_ptr<TableScan>();
  auto scan = std::make_unique<TableScan>(db_.get());
  auto vector = VectorAt(scan->ro);
  if (!vector.ok()) return vector.status();
  scan->vector = std::move(vector).value();
  scan->prefix = keys::TableBegin(*table_id);
  scan->end = until.empty() ? keys::TableBegin(*table_id + 1) : scan->prefix + std::string(until);
  scan->upper = rocksdb::Slice(scan->end);
  scan->ro.iterate_upper_bound = &scan->upper;
  scan->it.reset(db_->NewIterator(scan->ro, items_cf_));
  return scan;
}

namespace {
// A table's versions through a TableScan's iterator.
class ScanCursor final : public VersionCursor {
 public:
  ScanCursor(std::unique_ptr<Store::TableScan> scan, std::string_view prefix)
      : scan_(std::move(scan)), prefix_(prefix) {}
  bool Next(std::string_view* suffix, std::string_view* version) override;
  Status status() const override { return status_; }

 private:
  std::unique_ptr<Store::TableScan> scan_;
  std::string prefix_;
  bool started_ = false;
  Status status_;
};
}  // namespace

bool ScanCursor::Next(std::string_view* suffix, std::string_view* version) {
  rocksdb::Iterator* it = scan_->it.get();
  if (started_) {
    it->Next();
  } else {
    it->Seek(prefix_);
    started_ = true;
  }
  if (!it->Valid()) {
    if (!it->status().ok()) status_ = Status::IOError("scan: " + it->status().ToString());
    return false;
  }
  *suffix = std::string_view(it->key().data(), it->key().size()).substr(prefix_.size());
  *version = std::string_view(it->value().data(), it->value().size());
  return true;
}

Result<std::unique_ptr<VersionCursor>> Store::OpenVersions(std::string_view table) const {
  auto scan = OpenTableScan(table, {});
  if (!scan.ok()) return scan.status();
  if (!*scan) return std::unique_ptr<VersionCursor>();
  const std::string prefix = (*scan)->prefix;
  return std::unique_ptr<VersionCursor>(std::make_unique<ScanCursor>(std::move(*scan), prefix));
}

Result<SnapshotChunk> Store::ReadSnapshot(std::string_view table, std::string_view after,
                                          size_t max_bytes, std::string_view until) const {
  SnapshotChunk chunk;
  auto scan = OpenTableScan(table, until);
  if (!scan.ok()) return scan.status();
  if (!*scan) return chunk;  // found = false
  chunk.found = true;
  chunk.vector = (*scan)->vector;
  const std::string& prefix = (*scan)->prefix;
  rocksdb::Iterator* it = (*scan)->it.get();
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

Result<Store::RangeDigests> Store::BucketDigests(std::string_view table) const {
  RangeDigests out;
  auto scan = OpenTableScan(table, {});
  if (!scan.ok()) return scan.status();
  if (!*scan) return out;  // found = false
  out.found = true;
  out.vector = (*scan)->vector;
  const std::string& prefix = (*scan)->prefix;
  rocksdb::Iterator* it = (*scan)->it.get();
  std::vector<XXH3_state_t*> states(256, nullptr);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    // Item keys: table id (4) | hash64(pk) big-endian (8) | ...: byte 4 picks the range.
    const auto bucket = static_cast<uint8_t>(it->key()[prefix.size()]);
    if (!states[bucket]) {
      states[bucket] = XXH3_createState();
      XXH3_64bits_reset(states[bucket]);
    }
    const uint64_t sizes[2] = {it->key().size() - prefix.size(), it->value().size()};
    XXH3_64bits_update(states[bucket], sizes, sizeof sizes);
    XXH3_64bits_update(states[bucket], it->key().data() + prefix.size(), sizes[0]);
    XXH3_64bits_update(states[bucket], it->value().data(), sizes[1]);
  }
  out.buckets.assign(256, 0);
  for (int b = 0; b < 256; ++b) {
    if (!states[b]) continue;
    out.buckets[b] = XXH3_64bits_digest(states[b]);
    XXH3_freeState(states[b]);
  }
  if (!it->status().ok()) return Status::IOError("digest: " + it->status().ToString());
  return out;
}

Result<size_t> Store::MergeSnapshot(std::string_view table,
                                    const std::vector<std::pair<std::string, std::string>>& items,
                                    bool adopt, bool skip_tombstones) {
  MutexLock remote(&remote_mu_);
  std::shared_ptr<const TableInfo> info;
  {
    ReaderMutexLock lock(&catalog_mu_);
    auto it = tables_.find(table);
    if (it == tables_.end()) return size_t{0};
    info = it->second;
  }
  const std::string prefix = model::TablePrefix(info->table_id);
  size_t changed = 0;
  for (const auto& [suffix, bytes] : items) {
    if (suffix.size() < 9) return Status::Corruption("snapshot: short key");
    auto remote = conflict::DecodeItemVersion(bytes);
    if (!remote.ok()) return remote.status();
    if (skip_tombstones && remote->tombstone) continue;
    if (hlc_->Observe(remote->hlc).skewed) ++skew_events_;
    const std::string key = prefix + suffix;
    MutexLock item_lock(&LockFor(key));
    auto merged = MergeItemVersion(*info, key, std::move(remote).value(), bytes, adopt, nullptr);
    if (!merged.ok()) return merged.status();
    if (*merged != conflict::MergeAction::kSkipped) ++changed;
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  if (!failed_.ok()) return failed_;
  return changed;
}

Result<SnapshotChunk> Store::ReadCatalog() const {
  SnapshotChunk chunk;
  chunk.found = true;
  chunk.done = true;
  const ScopedSnapshot snap(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snap.get();
  auto vector = VectorAt(ro);
  if (!vector.ok()) return vector.status();
  chunk.vector = std::move(vector).value();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, catalog_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto info = DecodeTableInfo(std::string_view(it->value().data(), it->value().size()));
    if (!info.ok()) return info.status();
    info->table_id = 0;  // local to each region
    chunk.items.emplace_back(info->name, EncodeTableInfo(*info));
  }
  if (!it->status().ok()) return Status::IOError("catalog: " + it->status().ToString());
  return chunk;
}

Status Store::InstallDefinitions(
    const std::vector<std::pair<std::string, std::string>>& definitions) {
  {
    MutexLock remote(&remote_mu_);
    WriterMutexLock catalog(&catalog_mu_);
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    for (const auto& [name, bytes] : definitions) {
      auto info = DecodeTableInfo(bytes);
      if (!info.ok()) return info.status();
      hlc_->Observe(conflict::Hlc::FromPacked(info->update_hlc));
      const TableInfo* known = nullptr;
      if (auto t = tables_.find(info->name); t != tables_.end()) known = t->second.get();
      if (auto r = remote_tables_.find(info->name); !known && r != remote_tables_.end())
        known = &r->second;
      if (known && std::pair(info->update_hlc, info->update_origin) <=
                       std::pair(known->update_hlc, known->update_origin)) {
        continue;
      }
      InstallDefinitionLocked(std::move(info).value(), /*backfill=*/false);
    }
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

Status Store::AdvanceApplied(const conflict::VersionVector& vector) {
  {
    MutexLock remote(&remote_mu_);
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    for (const auto& e : vector.entries()) {
      if (e.region == options_.region_id) continue;
      uint64_t& applied = applied_[e.region];
      applied = std::max(applied, e.seq);
    }
    // Written with the next group (CommitPending rewrites it from applied_ too).
    staged_applied_ = RemoteAppliedLocked().EncodeCompact();
    group_->Put(meta_cf_, keys::kApplied, staged_applied_);
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

uint64_t Store::FirstLogSeq(conflict::RegionId origin) const {
  const std::string begin = LogKey(origin, 0);
  const std::string end = LogKey(origin, UINT64_MAX);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  it->Seek(begin);
  if (it->Valid()) return LogKeySeq(std::string_view(it->key().data(), it->key().size()));
  return AppliedVector().Get(origin) + 1;
}

Status Store::FinishBackfill(std::string_view table) {
  {
    WriterMutexLock lock(&catalog_mu_);
    auto it = backfills_.find(table);
    if (it == backfills_.end()) return Status::Ok();
    backfills_.erase(it);
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    group_->Delete(meta_cf_, keys::kBackfillPrefix + std::string(table));
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

}  // namespace meridian::store
