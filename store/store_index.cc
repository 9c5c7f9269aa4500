// Store: secondary indexes. Entries are staged with the item versions they follow (from
// StageItemLocked), so an index is always as committed as the table. An index added to a
// table that already has items is filled by a background thread: it walks the table's items
// and, under each item's lock, puts the entry of its current version; writes keep entries
// current meanwhile (puts are idempotent, deletes of absent entries harmless). Counts and
// sizes of a filling index are recounted when the fill ends.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "common/thread_name.h"
#include "model/key_codec.h"
#include "store/index_codec.h"
#include "store/item_codec.h"
#include "store/scoped_snapshot.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

std::string IndexBackfillKey(uint32_t index_id) {
  return keys::kIndexBackfillPrefix + keys::EncodeU64(index_id);
}

// The entry of `stored` in `index` (nullopt: none) and its projected size.
std::optional<std::string> EntryOf(const TableInfo& table, const IndexInfo& index,
                                   const StoredItem& stored, uint64_t* size) {
  if (stored.tombstone()) return std::nullopt;
  auto key = IndexEntryKey(table, index, stored.item());
  if (key && size) *size = model::ItemByteSize(ProjectForIndex(table, index, stored.item()));
  return key;
}

}  // namespace

void Store::AssignIndexIdsLocked(const TableInfo* before, TableInfo* next) {
  for (auto& index : next->indexes) {
    const IndexInfo* old = before ? before->FindIndex(index.name) : nullptr;
    if (old && old->index_id != 0 && old->SameShape(index)) {
      index.index_id = old->index_id;
      continue;
    }
    index.index_id = next_table_id_++;
    group_->Put(meta_cf_, keys::kNextTableId, keys::EncodeU64(next_table_id_));
    stats_[index.index_id] = TableStats{};
    if (!before) continue;  // a new table: nothing to fill
    group_->Put(meta_cf_, IndexBackfillKey(index.index_id), keys::EncodeU64(before->table_id));
    index_backfills_.insert(index.index_id);
    MutexLock queue(&backfill_mu_);
    backfill_queue_.emplace_back(before->table_id, index.index_id);
    backfill_cv_.Signal();
  }
  if (!before) return;
  for (const auto& old : before->indexes) {
    const bool kept = std::any_of(next->indexes.begin(), next->indexes.end(),
                                  [&](const IndexInfo& i) { return i.index_id == old.index_id; });
    if (kept || old.index_id == 0) continue;
    group_->DeleteRange(index_cf_, keys::TableBegin(old.index_id),
                        keys::TableBegin(old.index_id + 1));
    group_->Delete(meta_cf_, IndexBackfillKey(old.index_id));
    stats_.erase(old.index_id);
    index_backfills_.erase(old.index_id);
  }
}

void Store::SetIndexesLocked(std::shared_ptr<const TableInfo> table) {
  if (table->indexes.empty()) {
    indexed_tables_.erase(table->table_id);
  } else {
    indexed_tables_[table->table_id] = std::move(table);
  }
}

void Store::DropIndexesLocked(uint32_t table_id) {
  auto it = indexed_tables_.find(table_id);
  if (it == indexed_tables_.end()) return;
  for (const auto& index : it->second->indexes) {
    group_->DeleteRange(index_cf_, keys::TableBegin(index.index_id),
                        keys::TableBegin(index.index_id + 1));
    group_->Delete(meta_cf_, IndexBackfillKey(index.index_id));
    stats_.erase(index.index_id);
    index_backfills_.erase(index.index_id);
  }
  indexed_tables_.erase(it);
}

void Store::StageIndexEntriesLocked(uint32_t table_id, const std::string& key,
                                    const StoredItem& next, const StoredItem& previous) {
  auto it = indexed_tables_.find(table_id);
  if (it == indexed_tables_.end()) return;
  const TableInfo& table = *it->second;
  const std::string_view suffix = model::KeySuffix(key);
  for (const auto& index : table.indexes) {
    uint64_t old_size = 0, new_size = 0;
    const auto old_key = EntryOf(table, index, previous, &old_size);
    const auto new_key = EntryOf(table, index, next, &new_size);
    if (old_key && old_key != new_key) group_->Delete(index_cf_, *old_key);
    if (new_key) group_->Put(index_cf_, *new_key, EncodeIndexValue(new_size, suffix));
    auto stats = stats_.find(index.index_id);
    if (stats == stats_.end() || index_backfills_.count(index.index_id)) continue;
    ApplyStatsDelta(int64_t{new_key.has_value()} - int64_t{old_key.has_value()},
                    static_cast<int64_t>(new_size) - static_cast<int64_t>(old_size),
                    &stats->second);
  }
}

bool Store::IndexBackfilling(uint32_t index_id) const {
  MutexLock commit(&commit_mu_);
  return index_backfills_.count(index_id) > 0;
}

Status Store::LoadIndexBackfills() {
  MutexLock commit(&commit_mu_);
  MutexLock queue(&backfill_mu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  const std::string_view prefix = keys::kIndexBackfillPrefix;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const auto index_id = static_cast<uint32_t>(keys::DecodeU64(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size())));
    const auto table_id = static_cast<uint32_t>(
        keys::DecodeU64(std::string_view(it->value().data(), it->value().size())));
    index_backfills_.insert(index_id);
    backfill_queue_.emplace_back(table_id, index_id);
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return Status::Ok();
}

void Store::StartIndexBackfiller() {
  backfill_thread_ = std::thread([this] {
    SetThreadName("index-backfill");
    MutexLock queue(&backfill_mu_);
    while (true) {
      while (!backfill_stop_ && backfill_queue_.empty()) backfill_cv_.Wait(backfill_mu_);
      if (backfill_stop_) return;
      const auto [table_id, index_id] = backfill_queue_.front();
      backfill_queue_.pop_front();
      queue.Unlock();
      auto st = BackfillIndex(table_id, index_id);
      if (!st.ok()) spdlog::error("msg=\"index backfill failed\" error=\"{}\"", st.message());
      queue.Lock();
    }
  });
}

void Store::StopIndexBackfiller() {
  {
    MutexLock queue(&backfill_mu_);
    backfill_stop_ = true;
  }
  backfill_cv_.SignalAll();
  if (backfill_thread_.joinable()) backfill_thread_.join();
}

Status Store::BackfillIndex(uint32_t table_id, uint32_t index_id) {
  // Everything staged before the index existed is written first, so the walk sees it.
  CommitPending();
  const std::string begin = keys::TableBegin(table_id);
  const std::string end = keys::TableBegin(table_id + 1);
  std::string after;  // the last item key handled
  ProgressBoard::Task progress = [&] {
    MutexLock commit(&commit_mu_);
    std::string table_name, index_name;
    if (auto t = indexed_tables_.find(table_id); t != indexed_tables_.end()) {
      table_name = t->second->name;
      for (const auto& i : t->second->indexes) {
        if (i.index_id == index_id) index_name = i.name;
      }
    }
    auto s = stats_.find(table_id);
    return progress_.Start("index backfill", table_name, "index " + index_name, "items",
                           s == stats_.end() ? 0 : s->second.item_count);
  }();
  auto live = [&](const TableInfo** table, const IndexInfo** index) REQUIRES(commit_mu_) {
    auto t = indexed_tables_.find(table_id);
    if (t == indexed_tables_.end() || !index_backfills_.count(index_id)) return false;
    for (const auto& i : t->second->indexes) {
      if (i.index_id == index_id) *index = &i;
    }
    *table = t->second.get();
    return *index != nullptr;
  };
  for (bool done = false; !done;) {
    {
      MutexLock queue(&backfill_mu_);
      if (backfill_stop_) return Status::Ok();  // resumed at the next start
    }
    // A fresh iterator per chunk: items committed since the last one are seen.
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
    it->Seek(after.empty() ? begin : after + std::string(1, '\0'));
    std::vector<std::string> chunk;
    for (; it->Valid() && chunk.size() < 256; it->Next()) chunk.push_back(it->key().ToString());
    if (!it->status().ok()) return Status::IOError("index backfill: " + it->status().ToString());
    done = !it->Valid();
    for (const auto& key : chunk) {
      MutexLock item_lock(&LockFor(key));
      auto current = ReadCurrent(key);
      if (!current.ok()) return current.status();
      MutexLock commit(&commit_mu_);
      const TableInfo* table = nullptr;
      const IndexInfo* index = nullptr;
      if (!live(&table, &index)) return Status::Ok();  // dropped meanwhile
      uint64_t size = 0;
      if (auto entry = EntryOf(*table, *index, **current, &size)) {
        group_->Put(index_cf_, *entry, EncodeIndexValue(size, model::KeySuffix(key)));
      }
    }
    if (!chunk.empty()) after = chunk.back();
    progress.Advance(chunk.size());
    CommitPending();
  }
  // Recount what the index holds, then let writes keep the count.
  TableStats counted;
  {
    rocksdb::ReadOptions ro;
    const std::string index_end = keys::TableBegin(index_id + 1);
    rocksdb::Slice upper(index_end);
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, index_cf_));
    for (it->Seek(keys::TableBegin(index_id)); it->Valid(); it->Next()) {
      ++counted.item_count;
      counted.size_bytes +=
          IndexValueSize(std::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) return Status::IOError("index count: " + it->status().ToString());
  }
  {
    MutexLock commit(&commit_mu_);
    if (!index_backfills_.erase(index_id)) return Status::Ok();
    group_->Delete(meta_cf_, IndexBackfillKey(index_id));
    if (auto s = stats_.find(index_id); s != stats_.end()) s->second = counted;
  }
  CommitPending();
  return Status::Ok();
}

}  // namespace meridian::store
