// Store: item reads, the atomic read-check-stage write path, group commit and range scans.
// Remote changes: store_remote.cc.
#include <algorithm>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "common/check.h"
#include "conflict/version_codec.h"
#include "model/key_codec.h"
#include "store/change_log.h"
#include "store/item_codec.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {

namespace {
// A written group larger than this is freed rather than kept as the next one's buffer.
constexpr size_t kMaxRecycledGroupBytes = 64 << 20;
}  // namespace

Result<std::shared_ptr<const StoredItem>> Store::ReadCommitted(const std::string& key,
                                                               bool fill_cache) const {
  if (auto cached = cache_->Get(key)) return cached;
  const uint64_t token = fill_cache ? cache_->BeginFill(key) : 0;
  rocksdb::PinnableSlice value;
  auto s = db_->Get(rocksdb::ReadOptions(), items_cf_, key, &value);
  if (!s.ok() && !s.IsNotFound()) return Status::IOError("get: " + s.ToString());
  std::shared_ptr<const StoredItem> item;
  if (s.IsNotFound()) {
    item = std::make_shared<const StoredItem>();  // never written here
  } else {
    auto decoded = DecodeStoredItem(std::string_view(value.data(), value.size()));
    if (!decoded.ok()) return decoded.status();
    item = ShareStoredItem(std::move(decoded).value());
  }
  if (fill_cache) cache_->Fill(key, token, item, DecodedCharge(value.size()));
  return item;
}

Result<std::shared_ptr<const StoredItem>> Store::ReadCurrent(const std::string& key,
                                                             bool fill_cache) const {
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    auto it = staged_.find(key);
    if (it != staged_.end()) return it->second.item;
  }
  return ReadCommitted(key, fill_cache);
}

Result<ItemView> Store::ReadItem(const TableInfo& table, const model::AttributeValue& pk,
                                 const model::AttributeValue* sk) const {
  auto stored = ReadCommitted(model::ItemKey(table.table_id, pk, sk));
  if (!stored.ok()) return stored.status();
  return ItemView(std::move(stored).value());
}

Result<std::optional<model::Item>> Store::GetItem(const TableInfo& table,
                                                  const model::AttributeValue& pk,
                                                  const model::AttributeValue* sk) const {
  auto ref = ReadItem(table, pk, sk);
  if (!ref.ok()) return ref.status();
  if (!ref->has_value()) return std::optional<model::Item>();
  return std::optional<model::Item>(**ref);
}

Result<WriteResult> Store::WriteItem(const TableInfo& table, const model::AttributeValue& pk,
                                     const model::AttributeValue* sk, const MutationFn& fn,
                                     CommitMode mode) {
  const std::string key = model::ItemKey(table.table_id, pk, sk);
  Result<WriteResult> result = StageWrite(table, key, fn);
  if (result.ok() && result->seq != 0 && mode == CommitMode::kNow) {
    MERIDIAN_RETURN_IF_ERROR(WriteGroupAndWait(result->seq));
  }
  return result;
}

Result<WriteResult> Store::StageWrite(const TableInfo& table, const std::string& key,
                                      const MutationFn& fn) {
  MutexLock item_lock(&LockFor(key));
  auto current_or = ReadCurrent(key);
  if (!current_or.ok()) return current_or.status();
  std::shared_ptr<const StoredItem> current = std::move(current_or).value();
  const bool existed = !current->tombstone();

  auto mutation = fn(existed ? &current->item() : nullptr);
  if (!mutation.ok()) return mutation.status();
  WriteResult result;
  result.old_item = ItemView(current);
  if (mutation->kind == Mutation::Kind::kNone) return result;
  if (mutation->kind == Mutation::Kind::kDelete && !existed) return result;

  const conflict::ConflictPolicy policy = table.conflict_policy;
  conflict::LocalWrite write;
  switch (mutation->kind) {
    case Mutation::Kind::kPut: write = conflict::LocalWrite::Put(std::move(mutation->item)); break;
    case Mutation::Kind::kDelete: write = conflict::LocalWrite::Delete(); break;
    case Mutation::Kind::kUpdate:
      // lww stores whole items; merge keeps per-attribute CRDT state built from the ops.
      write =
          policy == conflict::ConflictPolicy::kLww
              ? conflict::LocalWrite::Put(std::move(mutation->item))
              : conflict::LocalWrite::Update(std::move(mutation->key), std::move(mutation->ops));
      break;
    case Mutation::Kind::kNone: break;
  }

  MutexLock commit(&commit_mu_);
  if (!failed_.ok()) return failed_;
  const uint64_t seq = last_seq_ + 1;
  auto next = conflict::ApplyLocalWrite(current->version, policy, std::move(write),
                                        conflict::Dot{options_.region_id, seq}, hlc_->Now());
  if (!next.ok()) return next.status();
  last_seq_ = seq;
  StoredItem stored = MakeStoredItem(std::move(next).value());

  Change change;
  change.origin = options_.region_id;
  change.seq = seq;
  change.table_name = table.name;
  change.key_suffix = model::KeySuffix(key);
  change.version_bytes = EncodeStoredItem(stored);
  change.deps = RemoteAppliedLocked();
  change.hlc_millis = stored.version.hlc.millis();
  change.ttl_expiry = mutation->ttl_expiry;
  StageLogLocked(change.origin, change.seq, EncodeChange(change));
  result.new_item = ItemView(StageItemLocked(table, key, std::move(stored), change.version_bytes,
                                             *current, change.ttl_expiry));
  result.seq = seq;
  return result;
}

std::shared_ptr<const StoredItem> Store::StageItemLocked(const TableInfo& table,
                                                         const std::string& key, StoredItem next,
                                                         const std::string& bytes,
                                                         const StoredItem& previous,
                                                         bool ttl_expiry) {
  group_items_.emplace_back(key, bytes);
  StageIndexEntriesLocked(table.table_id, key, next, previous);
  if (!active_streams_.empty()) StageStreamRecordLocked(table.table_id, next, previous, ttl_expiry);
  if (!pitr_.empty()) StageHistoryLocked(table.table_id, key, bytes);
  auto version = ShareStoredItem(std::move(next));
  auto stats = stats_.find(table.table_id);
  if (stats != stats_.end()) {
    const int64_t count_delta = (version->tombstone() ? 0 : 1) - (previous.tombstone() ? 0 : 1);
    const int64_t bytes_delta =
        static_cast<int64_t>(version->item_bytes) - static_cast<int64_t>(previous.item_bytes);
    ApplyStatsDelta(count_delta, bytes_delta, &stats->second);
  }
  const size_t charge = DecodedCharge(bytes.size());
  staged_[key] = Staged{group_number_, version, charge};
  group_versions_.push_back({key, version, charge});
  return version;
}

bool Store::WhenDurable(uint64_t seq, std::function<void(Status)> done) {
  Status st;
  {
    MutexLock commit(&commit_mu_);
    if (seq > committed_seq_ && failed_.ok()) {
      waiters_.emplace_back(seq, std::move(done));
      if (commit_scheduled_) return false;
      commit_scheduled_ = true;
      return true;
    }
    st = seq <= committed_seq_ ? Status::Ok() : failed_;
  }
  done(std::move(st));
  return false;
}

void Store::PutItemsSorted(rocksdb::WriteBatch* batch, Puts* items) {
  // Sorted puts hit the memtable skiplist in order (cheaper inserts); for a key
  // written twice in one group only the last write (stable order) is kept.
  std::stable_sort(items->begin(), items->end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < items->size(); ++i) {
    if (i + 1 < items->size() && (*items)[i + 1].first == (*items)[i].first) continue;
    batch->Put(items_cf_, (*items)[i].first, (*items)[i].second);
  }
  items->clear();
}

void Store::StageLogLocked(conflict::RegionId origin, uint64_t seq, std::string bytes) {
  group_log_.emplace_back(LogKey(origin, seq), std::move(bytes));
}

void Store::PutLogGrouped(rocksdb::WriteBatch* batch, Puts* log) {
  // Within an origin records are staged in seq order: grouping by the origin (the key's
  // first 4 bytes) sorts them.
  std::stable_sort(log->begin(), log->end(), [](const auto& a, const auto& b) {
    return a.first.compare(0, kLogOriginBytes, b.first, 0, kLogOriginBytes) < 0;
  });
  for (const auto& [key, bytes] : *log) batch->Put(log_cf_, key, bytes);
  log->clear();
}

void Store::DeleteTableItemsLocked(uint32_t table_id) {
  PutItemsSorted(group_.get(),
                 &group_items_);  // puts staged before the deletion must not survive it
  group_->DeleteRange(items_cf_, keys::TableBegin(table_id), keys::TableBegin(table_id + 1));
  DropHistoryLocked(table_id);
}

Store::ClosedGroup Store::CloseGroupLocked() {
  ClosedGroup closed;
  commit_scheduled_ = false;
  if (group_->Count() == 0 && group_items_.empty() && group_log_.empty()) return closed;
  CloseStreamGroupLocked();
  // Counters and the applied vector as of this group travel with it.
  group_->Put(meta_cf_, keys::kStats, keys::EncodeStats(last_seq_, stats_));
  closed.applied = RemoteAppliedLocked();
  std::string applied = closed.applied.EncodeCompact();
  if (applied != staged_applied_) {
    group_->Put(meta_cf_, keys::kApplied, applied);
    staged_applied_ = std::move(applied);
  }
  closed.applied.Add({options_.region_id, last_seq_});
  closed.batch = std::exchange(
      group_, spare_group_ ? std::move(spare_group_) : std::make_unique<rocksdb::WriteBatch>());
  closed.items.swap(group_items_);
  closed.log.swap(group_log_);
  closed.versions.swap(group_versions_);
  closed.upto = last_seq_;
  closed.number = group_number_++;
  return closed;
}

Status Store::WriteClosedGroup(ClosedGroup* group) {
  PutItemsSorted(group->batch.get(), &group->items);  // after the range deletions, as staged
  PutLogGrouped(group->batch.get(), &group->log);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  auto s = db_->Write(wo, group->batch.get());
  // Kept for reuse unless unusually large (a backfill or a table deletion's group).
  if (group->batch->GetDataSize() <= kMaxRecycledGroupBytes) {
    group->batch->Clear();
  } else {
    group->batch.reset();
  }
  if (!s.ok()) return Status::IOError("write: " + s.ToString());
  // The cache learns every committed version in commit order (write_mu_ is held), before
  // the versions leave the overlay: a reader finds each in one or the other.
  for (const auto& v : group->versions) cache_->Update(v.key, v.item, v.charge);
  return Status::Ok();
}

Store::DueCallbacks Store::FinishGroupLocked(ClosedGroup* group, const Status& written) {
  if (group->batch && !spare_group_) spare_group_ = std::move(group->batch);
  if (group->number != 0 && written.ok()) {
    // Groups reach RocksDB in staging order (write_mu_), so the head only moves forward.
    MERIDIAN_CHECK(group->upto >= committed_seq_);
    committed_seq_ = group->upto;
    durable_applied_ = std::move(group->applied);
    if (has_fences_.load(std::memory_order_relaxed)) DropMetFencesLocked();
    // A key staged again by a later group keeps its (newer) overlay.
    for (const auto& v : group->versions) {
      auto it = staged_.find(v.key);
      if (it != staged_.end() && it->second.group <= group->number) staged_.erase(it);
    }
  } else if (group->number != 0) {
    // The staged versions never reached RocksDB; refuse further writes rather than serve
    // reads and conditions from a state that no longer exists.
    failed_ = written;
    staged_applied_.clear();  // its kApplied may not have been written either
  }
  DueCallbacks due;
  for (auto& w : waiters_) {
    if (w.first <= committed_seq_) {
      due.emplace_back(Status::Ok(), std::move(w.second));
    } else if (!failed_.ok()) {
      due.emplace_back(failed_, std::move(w.second));
    }
  }
  std::erase_if(waiters_, [](const auto& w) { return !w.second; });
  return due;
}

void Store::CommitPending() {
  MutexLock write(&write_mu_);
  ClosedGroup group;
  {
    // Held briefly: appliers and writers stage the next group meanwhile.
    MutexLock commit(&commit_mu_);
    group = CloseGroupLocked();
  }
  const bool wrote = group.number != 0;
  const Status written = wrote ? WriteClosedGroup(&group) : Status::Ok();
  DueCallbacks due;
  uint64_t committed = 0;
  {
    MutexLock commit(&commit_mu_);
    due = FinishGroupLocked(&group, written);
    committed = committed_seq_;
  }
  for (auto& [status, done] : due) done(status);
  if (wrote && written.ok() && commit_listener_) commit_listener_(committed);
}

uint64_t Store::committed_seq() const {
  MutexLock lock(&commit_mu_);
  return committed_seq_;
}

void Store::SetCommitListener(std::function<void(uint64_t)> listener) {
  commit_listener_ = std::move(listener);
}

}  // namespace meridian::store
