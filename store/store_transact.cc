// Store: transactions. A local transaction (Transact) and a remote one (ApplyRemoteUnit)
// take the same steps: lock every item's stripe in stripe order (so two transactions never
// wait on each other in a cycle, and single-item writes, which take one stripe, serialize
// with them), read every current version, decide every new version, and only then stage
// all of them under one hold of commit_mu_, so that they land in one commit group, one
// RocksDB WriteBatch: all of the transaction is durable and visible, or none of it.
// Readers that must see a transaction whole read at one RocksDB snapshot
// (GetItemsAtSnapshot), not through the item cache, which learns a group's versions one
// by one after the write.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "common/check.h"
#include "conflict/version_codec.h"
#include "model/key_codec.h"
#include "store/change_log.h"
#include "store/item_codec.h"
#include "store/scoped_snapshot.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

// The stripe locks of a set of item keys, taken in address order (one order for every
// multi-item locker) and each once, released in reverse. The analysis cannot follow a
// run-time set of locks; the item data they protect is not annotated either.
class StripeLocks {
 public:
  explicit StripeLocks(std::vector<Mutex*> locks) NO_THREAD_SAFETY_ANALYSIS
      : locks_(std::move(locks)) {
    std::sort(locks_.begin(), locks_.end());
    locks_.erase(std::unique(locks_.begin(), locks_.end()), locks_.end());
    for (Mutex* mu : locks_) mu->Lock();
  }
  ~StripeLocks() NO_THREAD_SAFETY_ANALYSIS {
    for (auto it = locks_.rbegin(); it != locks_.rend(); ++it) (*it)->Unlock();
  }
  StripeLocks(const StripeLocks&) = delete;
  StripeLocks& operator=(const StripeLocks&) = delete;

 private:
  std::vector<Mutex*> locks_;
};

// What an item's mutation becomes under the table's policy (as StageWrite decides it).
conflict::LocalWrite ToLocalWrite(Mutation mutation, conflict::ConflictPolicy policy) {
  switch (mutation.kind) {
    case Mutation::Kind::kPut: return conflict::LocalWrite::Put(std::move(mutation.item));
    case Mutation::Kind::kDelete: return conflict::LocalWrite::Delete();
    case Mutation::Kind::kUpdate:
      // lww stores whole items; merge keeps per-attribute CRDT state built from the ops.
      return policy == conflict::ConflictPolicy::kLww
                 ? conflict::LocalWrite::Put(std::move(mutation.item))
                 : conflict::LocalWrite::Update(std::move(mutation.key), std::move(mutation.ops));
    case Mutation::Kind::kNone: break;
  }
  return conflict::LocalWrite::Delete();  // not reached: kNone writes nothing
}

}  // namespace

bool Store::FenceMetLocked(const conflict::VersionVector& fence) const {
  // What readers see: the changes that reached RocksDB.
  for (const auto& e : fence.entries()) {
    if (e.region != options_.region_id && durable_applied_.Get(e.region) < e.seq) return false;
  }
  return true;
}

bool Store::TransactionReady(const TableInfo& table) const {
  if (!has_fences_.load(std::memory_order_acquire)) return true;
  MutexLock commit(&commit_mu_);
  auto fence = fences_.find(table.name);
  return fence == fences_.end() || FenceMetLocked(fence->second);
}

void Store::DropMetFencesLocked() {
  for (auto it = fences_.begin(); it != fences_.end();) {
    if (!FenceMetLocked(it->second)) {
      ++it;
      continue;
    }
    group_->Delete(meta_cf_, keys::kFencePrefix + it->first);  // with the next group
    it = fences_.erase(it);
  }
  if (fences_.empty()) has_fences_.store(false, std::memory_order_release);
}

Status Store::FenceTable(std::string_view table, const conflict::VersionVector& vector) {
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    auto& fence = fences_[std::string(table)];
    fence.Join(vector);
    group_->Put(meta_cf_, keys::kFencePrefix + std::string(table), fence.EncodeCompact());
    has_fences_.store(true, std::memory_order_release);
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

Result<TransactResult> Store::Transact(const std::vector<TransactItem>& items,
                                       const std::optional<TransactToken>& token, CommitMode mode) {
  MERIDIAN_CHECK(items.size() <= kMaxTransactionChanges);
  TransactResult result;
  // Transactions with one token serialize on its stripe: the check that it is new and the
  // commit that records it happen under it.
  std::optional<MutexLock> token_stripe;
  const uint64_t now_ms = options_.clock->NowMillis();
  if (token) {
    token_stripe.emplace(&token_locks_[std::hash<std::string>{}(token->token) % kTokenStripes]);
    auto known = FindToken(token->token, now_ms);
    if (!known.ok()) return known.status();
    if (*known) {
      result.outcome = (*known)->digest == token->request_digest
                           ? TransactResult::Outcome::kReplayed
                           : TransactResult::Outcome::kTokenMismatch;
      result.seq = (*known)->seq;
      return result;
    }
  }

  std::vector<std::string> keys;
  std::vector<Mutex*> stripes;
  keys.reserve(items.size());
  for (const auto& item : items) {
    keys.push_back(model::ItemKey(item.table->table_id, item.pk, item.sk ? &*item.sk : nullptr));
    stripes.push_back(&LockFor(keys.back()));
  }
  const StripeLocks locked(std::move(stripes));

  // Read and decide everything before staging anything.
  std::vector<std::shared_ptr<const StoredItem>> current(items.size());
  std::vector<std::optional<Mutation>> mutations(items.size());
  result.item_status.assign(items.size(), Status::Ok());
  bool cancelled = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!TransactionReady(*items[i].table)) {
      result.item_status[i] = Status::Conflict("the table is being copied from a peer");
      cancelled = true;
      continue;
    }
    auto read = ReadCurrent(keys[i]);
    if (!read.ok()) return read.status();
    current[i] = std::move(read).value();
    const bool existed = !current[i]->tombstone();
    auto mutation = items[i].fn(existed ? &current[i]->item() : nullptr);
    if (!mutation.ok()) {
      result.item_status[i] = mutation.status();
      cancelled = true;
      continue;
    }
    const bool writes = mutation->kind != Mutation::Kind::kNone &&
                        !(mutation->kind == Mutation::Kind::kDelete && !existed);
    if (writes) mutations[i] = std::move(mutation).value();
  }
  if (cancelled) {
    result.outcome = TransactResult::Outcome::kCancelled;
    return result;
  }
  result.item_status.clear();
  result.writes.resize(items.size());
  for (size_t i = 0; i < items.size(); ++i) result.writes[i].old_item = ItemView(current[i]);

  MutexLock commit(&commit_mu_);
  if (!failed_.ok()) return failed_;
  // One timestamp and consecutive seqs: every item of the transaction wins or loses a
  // last-writer-wins comparison against the same other write.
  const conflict::Hlc hlc = hlc_->Now();
  const uint64_t first_seq = last_seq_ + 1;
  const auto count = static_cast<uint32_t>(std::count_if(
      mutations.begin(), mutations.end(), [](const auto& m) { return m.has_value(); }));
  std::vector<StoredItem> next(items.size());
  uint64_t seq = first_seq;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!mutations[i]) continue;
    const conflict::ConflictPolicy policy = items[i].table->conflict_policy;
    auto version = conflict::ApplyLocalWrite(current[i]->version, policy,
                                             ToLocalWrite(std::move(*mutations[i]), policy),
                                             conflict::Dot{options_.region_id, seq++}, hlc);
    if (!version.ok()) return version.status();  // nothing staged yet
    next[i] = MakeStoredItem(std::move(version).value());
  }
  const conflict::VersionVector deps = RemoteAppliedLocked();
  seq = first_seq;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!mutations[i]) continue;
    Change change;
    change.origin = options_.region_id;
    change.seq = seq++;
    change.table_name = items[i].table->name;
    change.key_suffix = model::KeySuffix(keys[i]);
    change.version_bytes = EncodeStoredItem(next[i]);
    change.deps = deps;
    change.hlc_millis = hlc.millis();
    change.txn_first = first_seq;
    change.txn_count = count;
    StageLogLocked(change.origin, change.seq, EncodeChange(change));
    result.writes[i].new_item = ItemView(StageItemLocked(
        *items[i].table, keys[i], std::move(next[i]), change.version_bytes, *current[i]));
    result.writes[i].seq = change.seq;
  }
  last_seq_ = seq - 1;
  result.seq = count > 0 ? last_seq_ : 0;
  if (token) StageTokenLocked(*token, now_ms, result.seq);
  commit.Unlock();
  if (mode == CommitMode::kNow && result.seq != 0) {
    MERIDIAN_RETURN_IF_ERROR(WriteGroupAndWait(result.seq));
  }
  return result;
}

Result<std::vector<std::optional<model::Item>>> Store::GetItemsAtSnapshot(
    const std::vector<ItemRef>& items, std::vector<Status>* item_status) const {
  item_status->assign(items.size(), Status::Ok());
  bool conflict = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!TransactionReady(*items[i].table)) {
      (*item_status)[i] = Status::Conflict("the table is being copied from a peer");
      conflict = true;
    }
  }
  if (conflict) return std::vector<std::optional<model::Item>>();
  const ScopedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.get();
  std::vector<std::optional<model::Item>> out(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string key = model::ItemKey(items[i].table->table_id, items[i].pk,
                                           items[i].sk ? &*items[i].sk : nullptr);
    rocksdb::PinnableSlice value;
    auto s = db_->Get(ro, items_cf_, key, &value);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return Status::IOError("get: " + s.ToString());
    auto stored = DecodeStoredItem(std::string_view(value.data(), value.size()));
    if (!stored.ok()) return stored.status();
    if (!stored->tombstone()) out[i] = stored->item();
  }
  return out;
}

Status Store::ApplyRemoteUnit(std::vector<Change> unit, std::string* bytes,
                              RemoteApplyStats* stats) {
  // Records already applied (a duplicate delivery) are skipped; the rest must be next.
  size_t first = 0;
  for (; first < unit.size(); ++first) {
    bool skip = false;
    MERIDIAN_RETURN_IF_ERROR(CheckNextRemote(unit[first], stats, &skip));
    if (!skip) break;
  }
  if (first == unit.size()) return Status::Ok();

  struct Target {
    std::shared_ptr<const TableInfo> table;  // null: not held here (only recorded)
    std::string key;
    conflict::ItemVersion remote;
  };
  std::vector<Target> targets(unit.size());
  std::vector<Mutex*> stripes;
  {
    ReaderMutexLock catalog(&catalog_mu_);
    for (size_t i = first; i < unit.size(); ++i) {
      auto it = tables_.find(unit[i].table_name);
      if (it == tables_.end()) continue;
      auto remote = conflict::DecodeItemVersion(unit[i].version_bytes);
      if (!remote.ok()) return remote.status();
      if (hlc_->Observe(remote->hlc).skewed) ++skew_events_;
      targets[i] = Target{it->second, model::TablePrefix(it->second->table_id) + unit[i].key_suffix,
                          std::move(remote).value()};
      stripes.push_back(&LockFor(targets[i].key));
    }
  }
  for (size_t i = first; i < unit.size(); ++i) {
    for (size_t j = first; j < i; ++j) {
      if (targets[i].table && targets[j].table && targets[i].key == targets[j].key) {
        return Status::InvalidArgument("a transaction unit writes one item twice");
      }
    }
  }
  const StripeLocks locked(std::move(stripes));
  std::vector<std::optional<PreparedMerge>> prepared(unit.size());
  for (size_t i = first; i < unit.size(); ++i) {
    if (!targets[i].table) continue;
    auto merge = PrepareMerge(targets[i].key, std::move(targets[i].remote), unit[i].version_bytes,
                              /*adopt=*/false);
    if (!merge.ok()) return merge.status();
    prepared[i] = std::move(merge).value();
  }
  MutexLock commit(&commit_mu_);
  if (!failed_.ok()) return failed_;
  for (size_t i = first; i < unit.size(); ++i) {
    if (prepared[i] && StageMergeLocked(*targets[i].table, std::move(*prepared[i])) ==
                           conflict::MergeAction::kMerged) {
      ++stats->merged;
    }
    if (targets[i].table)
      CountReplicatedWrite(targets[i].table->name, unit[i].version_bytes.size());
    StageLogLocked(unit[i].origin, unit[i].seq, std::move(bytes[i]));
    // Changes of an origin apply one after the other (remote_mu_ is held throughout).
    MERIDIAN_CHECK(unit[i].seq == applied_[unit[i].origin] + 1);
    applied_[unit[i].origin] = unit[i].seq;
    ++stats->applied;
  }
  return Status::Ok();
}

Status Store::LoadFences() {
  auto fences = ReadVectorMarks(keys::kFencePrefix);
  if (!fences.ok()) return fences.status();
  MutexLock commit(&commit_mu_);
  fences_ = std::move(fences).value();
  has_fences_.store(!fences_.empty(), std::memory_order_release);
  return Status::Ok();
}

}  // namespace meridian::store
