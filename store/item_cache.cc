#include "store/item_cache.h"

namespace meridian::store {

namespace {
// What an entry costs beyond its item: index slot, ring slot, shared_ptr control block.
constexpr size_t kEntryOverhead = 128;
}  // namespace

ItemCache::ItemCache(size_t capacity_bytes)
    : shard_capacity_(capacity_bytes / kShards), shards_(capacity_bytes ? kShards : 0) {}

size_t ItemCache::used_bytes() {
  size_t total = 0;
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    total += shard.used;
  }
  return total;
}

ItemCache::Shard& ItemCache::ShardFor(std::string_view key) {
  return shards_[KeyHash{}(key) % shards_.size()];
}

std::shared_ptr<const StoredItem> ItemCache::Get(std::string_view key) {
  if (shards_.empty()) return nullptr;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return nullptr;
  Slot& slot = shard.slots[it->second];
  slot.referenced = true;
  return slot.item;
}

uint64_t ItemCache::BeginFill(std::string_view key) {
  if (shards_.empty()) return 0;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  return shard.generation;
}

void ItemCache::Fill(std::string_view key, uint64_t token, std::shared_ptr<const StoredItem> item,
                     size_t charge) {
  if (shards_.empty()) return;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  if (shard.generation != token || shard.index.contains(key)) return;
  PutLocked(shard, key, std::move(item), charge);
}

void ItemCache::Update(std::string_view key, std::shared_ptr<const StoredItem> item,
                       size_t charge) {
  if (shards_.empty()) return;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  ++shard.generation;
  PutLocked(shard, key, std::move(item), charge);
}

void ItemCache::Invalidate(std::string_view key) {
  if (shards_.empty()) return;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  ++shard.generation;
  EraseLocked(shard, key);
}

void ItemCache::EraseLocked(Shard& shard, std::string_view key) {
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return;
  const uint32_t slot = it->second;
  shard.index.erase(it);
  FreeSlotLocked(shard, slot);
}

void ItemCache::FreeSlotLocked(Shard& shard, uint32_t slot) {
  Slot& s = shard.slots[slot];
  shard.used -= s.charge;
  s = Slot{};
  shard.free_slots.push_back(slot);
}

void ItemCache::PutLocked(Shard& shard, std::string_view key,
                          std::shared_ptr<const StoredItem> item, size_t charge) {
  charge += key.size() + kEntryOverhead;
  if (charge > shard_capacity_) {
    EraseLocked(shard, key);  // an older version must not stay behind
    return;
  }
  auto it = shard.index.find(key);
  const bool inserted = it == shard.index.end();
  if (inserted) {
    it = shard.index.emplace(std::string(key), 0).first;
    if (shard.free_slots.empty()) {
      it->second = static_cast<uint32_t>(shard.slots.size());
      shard.slots.emplace_back();
    } else {
      it->second = shard.free_slots.back();
      shard.free_slots.pop_back();
    }
    shard.slots[it->second].key.assign(key);
  }
  Slot& slot = shard.slots[it->second];
  shard.used += charge - slot.charge;
  slot.item = std::move(item);
  slot.charge = charge;
  slot.referenced = !inserted;  // an entry written again is kept over one only read once
  // CLOCK: the hand clears referenced slots and evicts the first unreferenced one. Every
  // referenced slot is cleared on the first turn, so the loop ends within two turns.
  while (shard.used > shard_capacity_) {
    if (shard.hand >= shard.slots.size()) shard.hand = 0;
    Slot& victim = shard.slots[shard.hand];
    const auto at = static_cast<uint32_t>(shard.hand++);
    if (victim.key.empty()) continue;
    if (victim.referenced) {
      victim.referenced = false;
      continue;
    }
    shard.index.erase(victim.key);
    FreeSlotLocked(shard, at);
  }
}

}  // namespace meridian::store
