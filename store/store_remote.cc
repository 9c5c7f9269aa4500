// Store: applying other regions' changes, serving the change log, digests and the conflict
// log (docs/design.md sections 4-5).
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <xxhash.h>

#include "common/check.h"
#include "conflict/merge.h"
#include "conflict/version_codec.h"
#include "model/key_codec.h"
#include "store/change_log.h"
#include "store/item_codec.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {

conflict::VersionVector Store::AppliedVector() const {
  MutexLock commit(&commit_mu_);
  return AppliedVectorLocked();
}

conflict::VersionVector Store::RemoteAppliedLocked() const {
  std::vector<conflict::VersionVector::Entry> entries;
  for (const auto& [origin, seq] : applied_) entries.push_back({origin, seq});
  return conflict::VersionVector::FromEntries(std::move(entries));
}

conflict::VersionVector Store::AppliedVectorLocked() const {
  conflict::VersionVector applied = RemoteAppliedLocked();
  applied.Add({options_.region_id, committed_seq_});
  return applied;
}

conflict::VersionVector Store::DurableAppliedVector() const {
  MutexLock commit(&commit_mu_);
  return durable_applied_;
}

Result<RemoteApplyStats> Store::ApplyRemoteChanges(std::vector<std::string> changes, bool commit) {
  MutexLock remote(&remote_mu_);
  RemoteApplyStats stats;
  Status error;
  for (size_t i = 0; i < changes.size() && error.ok();) {
    auto change = DecodeChange(changes[i]);
    if (!change.ok()) {
      error = change.status();
      break;
    }
    if (!change->in_transaction() || !options_.atomic_transactions) {
      error = ApplyRemoteChange(std::move(change).value(), changes[i], &stats);
      ++i;
      continue;
    }
    // A transaction's changes are applied together: the rest of the unit must follow in
    // this run (the replicator hands over whole units).
    const size_t count = static_cast<size_t>(change->txn_last() - change->seq) + 1;
    if (i + count > changes.size()) {
      error = Status::InvalidArgument("incomplete transaction unit of region " +
                                      std::to_string(change->origin) + " at seq " +
                                      std::to_string(change->seq));
      break;
    }
    std::vector<Change> unit;
    unit.push_back(std::move(change).value());
    for (size_t k = 1; k < count && error.ok(); ++k) {
      auto next = DecodeChange(changes[i + k]);
      if (!next.ok()) {
        error = next.status();
      } else if (next->origin != unit[0].origin || next->seq != unit[0].seq + k ||
                 next->txn_first != unit[0].txn_first) {
        error = Status::InvalidArgument("transaction unit interleaved with other changes");
      } else {
        unit.push_back(std::move(next).value());
      }
    }
    if (error.ok()) error = ApplyRemoteUnit(std::move(unit), &changes[i], &stats);
    i += count;
  }
  // Write what was staged (also when a later change failed): the applied vector travels
  // with it, so nothing is applied twice.
  if (commit) CommitPending();
  {
    MutexLock lock(&commit_mu_);
    if (!failed_.ok()) return failed_;
  }
  if (!error.ok()) return error;
  return stats;
}

Status Store::CheckNextRemote(const Change& change, RemoteApplyStats* stats, bool* skip) {
  *skip = false;
  if (change.origin == options_.region_id) {
    return Status::InvalidArgument("a remote change with this region's own origin");
  }
  uint64_t applied;
  {
    MutexLock commit(&commit_mu_);
    applied = applied_[change.origin];
  }
  if (change.seq <= applied) {
    ++stats->skipped;
    *skip = true;
    return Status::Ok();
  }
  if (change.seq != applied + 1) {
    return Status::InvalidArgument("gap in changes of region " + std::to_string(change.origin) +
                                   ": have " + std::to_string(applied) + ", got " +
                                   std::to_string(change.seq));
  }
  return Status::Ok();
}

Status Store::ApplyRemoteChange(Change decoded, std::string& bytes, RemoteApplyStats* stats) {
  bool skip = false;
  MERIDIAN_RETURN_IF_ERROR(CheckNextRemote(decoded, stats, &skip));
  if (skip) return Status::Ok();
  Change* change = &decoded;

  // Catalog changes take the catalog lock first (lock order).
  WriterMutexLock catalog(&catalog_mu_);
  std::shared_ptr<const TableInfo> table;
  if (auto it = tables_.find(change->table_name); it != tables_.end()) table = it->second;

  if (change->kind == Change::Kind::kItem && table) {
    auto remote = conflict::DecodeItemVersion(change->version_bytes);
    if (!remote.ok()) return remote.status();
    if (hlc_->Observe(remote->hlc).skewed) ++skew_events_;
    const std::string key = model::TablePrefix(table->table_id) + change->key_suffix;
    catalog.Unlock();
    MutexLock item_lock(&LockFor(key));
    auto merged = MergeItemVersion(
        *table, key, std::move(remote).value(), change->version_bytes, false,
        [&] {
          commit_mu_.AssertHeld();  // MergeItemVersion runs this under it
          StageLogLocked(change->origin, change->seq, std::move(bytes));
          // Changes of an origin apply one after the other (remote_mu_ is held throughout).
          MERIDIAN_CHECK(change->seq == applied_[change->origin] + 1);
          applied_[change->origin] = change->seq;
        },
        change->ttl_expiry);
    if (!merged.ok()) return merged.status();
    if (*merged == conflict::MergeAction::kMerged) ++stats->merged;
    CountReplicatedWrite(table->name, change->version_bytes.size());
  } else {
    MutexLock commit(&commit_mu_);
    if (change->kind == Change::Kind::kCreateTable || change->kind == Change::Kind::kUpdateTable) {
      auto info = DecodeTableInfo(change->table_bytes);
      if (!info.ok()) return info.status();
      hlc_->Observe(conflict::Hlc::FromPacked(info->update_hlc));
      const TableInfo* known = table.get();
      if (auto r = remote_tables_.find(change->table_name); !known && r != remote_tables_.end()) {
        known = &r->second;
      }
      // Definitions are LWW on (update_hlc, update_origin); a second CreateTable of a name
      // keeps the first one seen here.
      const bool wins = !known || (change->kind == Change::Kind::kUpdateTable &&
                                   std::pair(info->update_hlc, info->update_origin) >
                                       std::pair(known->update_hlc, known->update_origin));
      // A replica added by UpdateTable copies what the table already holds elsewhere.
      if (wins)
        InstallDefinitionLocked(std::move(info).value(),
                                change->kind == Change::Kind::kUpdateTable);
    } else if (change->kind == Change::Kind::kDeleteTable) {
      group_->Delete(catalog_cf_, change->table_name);
      group_->Delete(meta_cf_, keys::kBackfillPrefix + change->table_name);
      if (table) {
        EndStreamLocked(table->table_id, options_.clock->NowMillis());
        DeleteTableItemsLocked(table->table_id);
        DropIndexesLocked(table->table_id);
        stats_.erase(table->table_id);
        tables_.erase(table->name);
      }
      remote_tables_.erase(change->table_name);
      backfills_.erase(change->table_name);
    }
    // An item change for a table this region does not have (deleted here) is dropped.
    StageLogLocked(change->origin, change->seq, std::move(bytes));
    MERIDIAN_CHECK(change->seq == applied_[change->origin] + 1);
    applied_[change->origin] = change->seq;
  }
  ++stats->applied;
  return Status::Ok();
}

Result<Store::PreparedMerge> Store::PrepareMerge(const std::string& key,
                                                 conflict::ItemVersion remote,
                                                 std::string_view remote_bytes, bool adopt) const {
  // Not cached on a miss: the merged version reaches the cache when its group commits.
  auto current = ReadCurrent(key, /*fill_cache=*/false);
  if (!current.ok()) return current.status();
  PreparedMerge prepared{key, std::move(current).value(), Status::Ok(), {}, remote_bytes};
  // The adopt check below still needs `remote`; otherwise it moves into the result.
  auto merged = adopt ? conflict::MergeRemote(prepared.current->version, remote)
                      : conflict::MergeRemote(prepared.current->version, std::move(remote));
  if (!merged.ok()) {
    prepared.error = merged.status();
    return prepared;
  }
  prepared.merged = std::move(merged).value();
  if (adopt && prepared.merged.action == conflict::MergeAction::kSkipped &&
      // NOLINTNEXTLINE(bugprone-use-after-move): with `adopt`, `remote` was not moved
      remote.vector == prepared.current->version.vector && !remote_bytes.empty()) {
    // Equal histories, different bytes: one side was damaged; the caller trusts the peer.
    if (remote_bytes != EncodeStoredItem(*prepared.current)) {
      prepared.merged.action = conflict::MergeAction::kReplaced;
      prepared.merged.version = std::move(remote);
    }
  }
  return prepared;
}

conflict::MergeAction Store::StageMergeLocked(const TableInfo& table, PreparedMerge prepared) {
  if (!prepared.error.ok()) {
    // Different policies on the two sides (a table re-created with another policy): keep
    // ours; the change is still recorded so the log stays gapless.
    spdlog::warn("msg=\"remote version not merged\" table={} error=\"{}\"", table.name,
                 prepared.error.message());
    return conflict::MergeAction::kSkipped;
  }
  conflict::RemoteMergeResult& merged = prepared.merged;
  if (merged.action == conflict::MergeAction::kSkipped) return merged.action;
  if (merged.conflict) {
    ++conflicts_total_;
    ++conflicts_by_policy_[conflict::PolicyName(merged.conflict->policy)];
    merged.conflict->table = table.name;
    conflicts_.push_back(std::move(*merged.conflict));
    if (conflicts_.size() > kMaxConflictLog) conflicts_.pop_front();
  }
  const conflict::MergeAction action = merged.action;
  StoredItem next = MakeStoredItem(std::move(merged.version));
  // A causally newer remote version is stored as it came (the encoding is canonical).
  const std::string encoded =
      action == conflict::MergeAction::kReplaced && !prepared.remote_bytes.empty()
          ? std::string(prepared.remote_bytes)
          : EncodeStoredItem(next);
  StageItemLocked(table, prepared.key, std::move(next), encoded, *prepared.current,
                  prepared.ttl_expiry);
  return action;
}

Result<conflict::MergeAction> Store::MergeItemVersion(const TableInfo& table,
                                                      const std::string& key,
                                                      conflict::ItemVersion remote,
                                                      std::string_view remote_bytes, bool adopt,
                                                      const std::function<void()>& with_commit_lock,
                                                      bool ttl_expiry) {
  auto prepared = PrepareMerge(key, std::move(remote), remote_bytes, adopt);
  if (!prepared.ok()) return prepared.status();
  prepared->ttl_expiry = ttl_expiry;
  MutexLock commit(&commit_mu_);
  if (!failed_.ok()) return failed_;
  const conflict::MergeAction action = StageMergeLocked(table, std::move(prepared).value());
  if (with_commit_lock) with_commit_lock();
  return action;
}

Status Store::ReadLog(conflict::RegionId origin, uint64_t from_seq, size_t max_changes,
                      size_t max_bytes, std::vector<std::string>* out) const {
  out->clear();
  const std::string upper = LogKey(origin, UINT64_MAX);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  size_t bytes = 0;
  uint64_t expected = from_seq;
  for (it->Seek(LogKey(origin, from_seq)); it->Valid() && out->size() < max_changes; it->Next()) {
    const uint64_t seq = LogKeySeq(std::string_view(it->key().data(), it->key().size()));
    if (seq != expected) break;  // trimmed or not yet there: only consecutive runs
    if (!out->empty() && bytes + it->value().size() > max_bytes) break;
    out->emplace_back(it->value().data(), it->value().size());
    bytes += it->value().size();
    ++expected;
  }
  if (!it->status().ok()) return Status::IOError("read log: " + it->status().ToString());
  return Status::Ok();
}

std::vector<conflict::RegionId> Store::KnownRegions() const {
  std::string value;
  std::vector<conflict::RegionId> out;
  if (!db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kKnownRegions, &value).ok()) return out;
  std::string_view in = value;
  auto decoded = conflict::VersionVector::DecodeCompact(&in);
  if (decoded.ok()) {
    for (const auto& e : decoded->entries()) out.push_back(e.region);
  }
  return out;
}

Status Store::AddKnownRegion(conflict::RegionId region) {
  std::vector<conflict::VersionVector::Entry> entries;
  for (const conflict::RegionId r : KnownRegions()) {
    if (r == region) return Status::Ok();
    entries.push_back({r, 1});
  }
  entries.push_back({region, 1});
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    group_->Put(meta_cf_, keys::kKnownRegions,
                conflict::VersionVector::FromEntries(std::move(entries)).EncodeCompact());
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

Status Store::TrimLog(conflict::RegionId origin, uint64_t upto) {
  {
    MutexLock commit(&commit_mu_);
    if (origin == options_.region_id) {
      upto = std::min(upto, committed_seq_);
    } else {
      auto it = applied_.find(origin);
      upto = std::min(upto, it == applied_.end() ? 0 : it->second);
    }
  }
  if (upto == 0) return Status::Ok();
  {
    // Through the commit group: groups are the only writer of the log column family, whose
    // memtable inserts use hints that are not safe with a second concurrent writer.
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    PutLogGrouped(group_.get(), &group_log_);  // staged records must not survive the trim
    group_->DeleteRange(log_cf_, LogKey(origin, 0), LogKey(origin, upto + 1));
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

Result<TableDigest> Store::Digest(const TableInfo& table) const {
  TableDigest digest;
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  const std::string begin = keys::TableBegin(table.table_id);
  const std::string end = keys::TableBegin(table.table_id + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    auto suffix = it->key();
    suffix.remove_prefix(model::kTableIdBytes);  // table ids differ between regions
    const uint64_t sizes[2] = {suffix.size(), it->value().size()};
    XXH3_64bits_update(state, sizes, sizeof sizes);
    XXH3_64bits_update(state, suffix.data(), suffix.size());
    XXH3_64bits_update(state, it->value().data(), it->value().size());
    auto version =
        conflict::DecodeItemVersion(std::string_view(it->value().data(), it->value().size()));
    if (!version.ok()) {
      XXH3_freeState(state);
      return version.status();
    }
    version->tombstone ? ++digest.tombstones : ++digest.items;
  }
  digest.hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  if (!it->status().ok()) return Status::IOError("digest: " + it->status().ToString());
  return digest;
}

std::vector<conflict::ConflictRecord> Store::RecentConflicts() const {
  MutexLock commit(&commit_mu_);
  return {conflicts_.begin(), conflicts_.end()};
}

uint64_t Store::conflicts_total() const {
  MutexLock commit(&commit_mu_);
  return conflicts_total_;
}

std::map<std::string, uint64_t> Store::conflicts_by_policy() const {
  MutexLock commit(&commit_mu_);
  return conflicts_by_policy_;
}

Store::DbSizes Store::db_sizes() const {
  DbSizes out;
  uint64_t v = 0;
  for (auto* cf : handles_) {
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kTotalSstFilesSize, &v))
      out.sst_bytes += v;
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kSizeAllMemTables, &v)) {
      out.memtable_bytes += v;
    }
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kEstimateLiveDataSize, &v)) {
      out.live_data_bytes += v;
    }
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kEstimateTableReadersMem, &v)) {
      out.table_readers_bytes += v;
    }
  }
  out.block_cache_bytes = block_cache_->GetUsage();
  out.item_cache_bytes = cache_->used_bytes();
  return out;
}

uint64_t Store::clock_skew_events() const { return skew_events_.load(); }

}  // namespace meridian::store

namespace meridian::store {

void Store::CountReplicatedWrite(const std::string& table, size_t version_bytes) {
  const double units = static_cast<double>(std::max<size_t>(1, (version_bytes + 1023) / 1024));
  MutexLock lock(&replicated_mu_);
  replicated_units_[table] += units;
}

std::map<std::string, double> Store::TakeReplicatedWriteUnits() {
  MutexLock lock(&replicated_mu_);
  return std::exchange(replicated_units_, {});
}

}  // namespace meridian::store
