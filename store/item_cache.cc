#include "store/item_cache.h"

#include <functional>

namespace meridian::store {

ItemCache::ItemCache(size_t capacity_bytes)
    : shard_capacity_(capacity_bytes / kShards), shards_(capacity_bytes ? kShards : 0) {}

ItemCache::Shard& ItemCache::ShardFor(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

std::shared_ptr<const StoredItem> ItemCache::Get(std::string_view key) {
  if (shards_.empty()) return nullptr;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->item;
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
  if (shard.generation != token || shard.index.count(key)) return;
  InsertLocked(shard, key, std::move(item), charge);
}

void ItemCache::Update(std::string_view key, std::shared_ptr<const StoredItem> item,
                       size_t charge) {
  if (shards_.empty()) return;
  Shard& shard = ShardFor(key);
  MutexLock lock(&shard.mu);
  ++shard.generation;
  EraseLocked(shard, key);
  InsertLocked(shard, key, std::move(item), charge);
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
  shard.used -= it->second->charge;
  auto node = it->second;
  shard.index.erase(it);
  shard.lru.erase(node);
}

void ItemCache::InsertLocked(Shard& shard, std::string_view key,
                             std::shared_ptr<const StoredItem> item, size_t charge) {
  charge += key.size() + 128;  // list node, index slot, shared_ptr control block
  if (charge > shard_capacity_) return;
  shard.lru.push_front(Entry{std::string(key), std::move(item), charge});
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
  shard.used += charge;
  while (shard.used > shard_capacity_) {
    Entry& victim = shard.lru.back();
    shard.used -= victim.charge;
    shard.index.erase(victim.key);
    shard.lru.pop_back();
  }
}

}  // namespace meridian::store
