// Store: item reads, the atomic read-check-write path, and range scans.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>

#include "model/key_codec.h"
#include "store/change_log.h"
#include "store/item_codec.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

uint64_t NowHlcBase() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return static_cast<uint64_t>(ms) << 16;
}

}  // namespace

Result<std::shared_ptr<const StoredItem>> Store::ReadCommitted(const std::string& key) const {
  if (auto cached = cache_->Get(key)) return cached;
  const uint64_t token = cache_->BeginFill(key);
  rocksdb::PinnableSlice value;
  auto s = db_->Get(rocksdb::ReadOptions(), items_cf_, key, &value);
  if (!s.ok() && !s.IsNotFound()) return Status::IOError("get: " + s.ToString());
  std::shared_ptr<const StoredItem> item;
  if (s.IsNotFound()) {
    // Cached as a tombstone with seq 0: "never written here".
    StoredItem absent;
    absent.meta.tombstone = true;
    item = std::make_shared<const StoredItem>(std::move(absent));
  } else {
    auto decoded = DecodeStoredItem(std::string_view(value.data(), value.size()));
    if (!decoded.ok()) return decoded.status();
    item = std::make_shared<const StoredItem>(std::move(decoded).value());
  }
  cache_->Fill(key, token, item, value.size() * 3);
  return item;
}

Result<std::optional<model::Item>> Store::GetItem(const TableInfo& table,
                                                  const model::AttributeValue& pk,
                                                  const model::AttributeValue* sk) const {
  auto stored = ReadCommitted(model::ItemKey(table.table_id, pk, sk));
  if (!stored.ok()) return stored.status();
  if ((*stored)->meta.tombstone) return std::optional<model::Item>();
  return std::optional<model::Item>((*stored)->item);
}

Result<WriteResult> Store::WriteItem(const TableInfo& table, const model::AttributeValue& pk,
                                     const model::AttributeValue* sk, const MutationFn& fn,
                                     CommitMode mode) {
  const std::string key = model::ItemKey(table.table_id, pk, sk);
  Result<WriteResult> result = StageWrite(table, key, fn);
  if (result.ok() && result->seq != 0 && mode == CommitMode::kNow) {
    // Writes our group, or waits (on write_mu_) for the thread already writing it.
    while (committed_seq() < result->seq) {
      CommitPending();
      std::lock_guard lock(commit_mu_);
      if (!failed_.ok()) return failed_;
    }
  }
  return result;
}

Result<WriteResult> Store::StageWrite(const TableInfo& table, const std::string& key,
                                      const MutationFn& fn) {
  std::lock_guard item_lock(LockFor(key));

  // The newest version is the staged one, if a write to this item awaits its group.
  std::shared_ptr<const StoredItem> current;
  {
    std::lock_guard commit(commit_mu_);
    if (!failed_.ok()) return failed_;
    auto it = staged_.find(key);
    if (it != staged_.end()) current = it->second.item;
  }
  if (!current) {
    auto committed = ReadCommitted(key);
    if (!committed.ok()) return committed.status();
    current = std::move(committed).value();
  }
  const bool existed = !current->meta.tombstone;
  const model::Item* current_item = existed ? &current->item : nullptr;

  auto mutation = fn(current_item);
  if (!mutation.ok()) return mutation.status();

  WriteResult result;
  if (existed) result.old_item = current->item;
  if (mutation->kind == Mutation::Kind::kNone) return result;
  if (mutation->kind == Mutation::Kind::kDelete && !existed) return result;

  StoredItem next;
  next.meta.origin_region = options_.region;
  next.meta.tombstone = mutation->kind == Mutation::Kind::kDelete;
  if (!next.meta.tombstone) next.item = std::move(mutation->item);
  const int64_t old_bytes = existed ? static_cast<int64_t>(model::ItemByteSize(current->item)) : 0;
  const int64_t new_bytes = next.meta.tombstone ? 0 : static_cast<int64_t>(model::ItemByteSize(next.item));
  const uint64_t prev_hlc = current->meta.hlc;

  std::lock_guard commit(commit_mu_);
  const uint64_t seq = last_seq_ + 1;
  next.meta.seq = seq;
  next.meta.hlc = std::max(NowHlcBase(), prev_hlc + 1);
  std::string item_bytes = EncodeStoredItem(next);

  ChangeRecord record;
  record.seq = seq;
  record.table_id = table.table_id;
  record.table_name = table.name;
  record.item_key = key;
  record.item_bytes = item_bytes;
  record.count_delta = static_cast<int8_t>((next.meta.tombstone ? 0 : 1) - (existed ? 1 : 0));
  record.bytes_delta = new_bytes - old_bytes;

  group_->Put(items_cf_, key, item_bytes);
  group_->Put(log_cf_, keys::EncodeU64(seq), EncodeChangeRecord(record));
  TableStats& stats = stats_[table.table_id];
  ApplyStatsDelta(record.count_delta, record.bytes_delta, &stats);
  // Bound the log replay at open: snapshot the counters now and then.
  if (seq % kStatsSnapshotEvery == 0) group_->Put(meta_cf_, keys::kStats, keys::EncodeStats(seq, stats_));
  const size_t charge = item_bytes.size() * 3;
  staged_[key] = Staged{seq, std::make_shared<const StoredItem>(std::move(next)), charge};
  group_keys_.push_back(key);
  last_seq_ = seq;
  result.seq = seq;
  return result;
}

bool Store::WhenDurable(uint64_t seq, std::function<void(Status)> done) {
  Status st;
  {
    std::lock_guard commit(commit_mu_);
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

void Store::CommitPending() {
  std::lock_guard write(write_mu_);
  std::unique_ptr<rocksdb::WriteBatch> batch;
  std::vector<std::string> keys;
  uint64_t upto = 0;
  {
    std::lock_guard commit(commit_mu_);
    commit_scheduled_ = false;
    if (group_->Count() > 0) {
      batch = std::exchange(group_, std::make_unique<rocksdb::WriteBatch>());
      keys.swap(group_keys_);
      upto = last_seq_;
    }
  }
  Status st;
  if (batch) {
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync_writes;
    auto s = db_->Write(wo, batch.get());
    if (!s.ok()) st = Status::IOError("write: " + s.ToString());
  }
  std::vector<std::pair<Status, std::function<void(Status)>>> due;
  {
    std::lock_guard commit(commit_mu_);
    if (batch && st.ok()) {
      committed_seq_ = upto;
      // The cache learns every committed version, in commit order. A key staged again by a
      // later group keeps its overlay; its committed version is then not at hand: forget it.
      for (const auto& key : keys) {
        auto it = staged_.find(key);
        if (it == staged_.end()) continue;  // an earlier duplicate in this group handled it
        if (it->second.seq <= upto) {
          cache_->Update(key, it->second.item, it->second.bytes);
          staged_.erase(it);
        } else {
          cache_->Invalidate(key);
        }
      }
    } else if (batch) {
      // The staged versions never reached RocksDB; refuse further writes rather than serve
      // reads and conditions from a state that no longer exists.
      failed_ = st;
    }
    for (auto& w : waiters_) {
      if (w.first <= committed_seq_) {
        due.emplace_back(Status::Ok(), std::move(w.second));
      } else if (!failed_.ok()) {
        due.emplace_back(failed_, std::move(w.second));
      }
    }
    std::erase_if(waiters_, [](const auto& w) { return !w.second; });
  }
  for (auto& [status, done] : due) done(status);
}

uint64_t Store::committed_seq() const {
  std::lock_guard lock(commit_mu_);
  return committed_seq_;
}

Status Store::ScanRange(const TableInfo& table, const std::string& begin, const std::string& end,
                        bool reverse, const Visitor& visit) const {
  const std::string table_end = keys::TableBegin(table.table_id + 1);
  const std::string& upper = end.empty() ? table_end : end;
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  const std::string lower = begin.empty() ? keys::TableBegin(table.table_id) : begin;
  rocksdb::Slice lower_slice(lower);
  ro.iterate_upper_bound = &upper_slice;
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  if (reverse) {
    it->SeekToLast();
  } else {
    it->Seek(lower);
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    auto stored = DecodeStoredItem(std::string_view(it->value().data(), it->value().size()));
    if (!stored.ok()) return stored.status();
    if (stored->meta.tombstone) continue;
    if (!visit(std::string_view(it->key().data(), it->key().size()), stored->item)) break;
  }
  if (!it->status().ok()) return Status::IOError("scan: " + it->status().ToString());
  return Status::Ok();
}

}  // namespace meridian::store
