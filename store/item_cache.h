// A bounded cache of decoded stored items by item key, in front of RocksDB: a hit skips
// the memtable/SST lookup and the decode. Kept coherent with committed state:
//  - the commit path calls Update() with every version it wrote, in commit order;
//  - a reader that missed fills with Fill(), which is refused when the key's shard saw an
//    Update/Invalidate after the reader's BeginFill() (so a slow reader never installs a
//    version older than a concurrent commit).
// Thread-safe; sharded to keep lock hold times short.
//
// A hit is one probe of an open-addressing table (keys held inline) and one slot, marked
// referenced: eviction is CLOCK (second chance) rather than exact LRU, so a hit moves
// nothing (an LRU list splice touched two more nodes on every read).
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "store/item_codec.h"

namespace meridian::store {

// The memory a decoded item takes, estimated from its stored (packed) size: the charge of
// cached and staged versions.
inline size_t DecodedCharge(size_t stored_bytes) { return stored_bytes * 5 + 64; }

class ItemCache {
 public:
  // capacity_bytes == 0 disables the cache (every call is a no-op / miss).
  explicit ItemCache(size_t capacity_bytes);

  // The cached version (tombstones included), or nullptr.
  std::shared_ptr<const StoredItem> Get(std::string_view key);
  // A token for Fill: call before reading RocksDB.
  uint64_t BeginFill(std::string_view key);
  // Installs what RocksDB returned for `key` unless a commit touched the shard since
  // BeginFill returned `token`.
  void Fill(std::string_view key, uint64_t token, std::shared_ptr<const StoredItem> item,
            size_t charge);
  // The commit path: `item` is now the committed version of `key`.
  void Update(std::string_view key, std::shared_ptr<const StoredItem> item, size_t charge);
  // The commit path: the committed version of `key` is not known here; forget it.
  void Invalidate(std::string_view key);
  // Bytes charged for the cached versions now (at most the capacity).
  size_t used_bytes();

 private:
  struct Slot {
    std::string key;  // empty: a free slot
    std::shared_ptr<const StoredItem> item;
    size_t charge = 0;
    bool referenced = false;  // read since the clock hand last passed
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct KeyEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  struct Shard {
    Mutex mu;
    boost::unordered_flat_map<std::string, uint32_t, KeyHash, KeyEq> index GUARDED_BY(mu);
    std::vector<Slot> slots GUARDED_BY(mu);  // the clock's ring
    std::vector<uint32_t> free_slots GUARDED_BY(mu);
    size_t hand GUARDED_BY(mu) = 0;
    size_t used GUARDED_BY(mu) = 0;
    uint64_t generation GUARDED_BY(mu) = 0;  // bumped by every Update/Invalidate
  };
  Shard& ShardFor(std::string_view key);
  // Installs `item` for `key`, replacing a cached version, then evicts down to capacity.
  void PutLocked(Shard& shard, std::string_view key, std::shared_ptr<const StoredItem> item,
                 size_t charge) REQUIRES(shard.mu);
  void EraseLocked(Shard& shard, std::string_view key) REQUIRES(shard.mu);
  void FreeSlotLocked(Shard& shard, uint32_t slot) REQUIRES(shard.mu);

  static constexpr size_t kShards = 16;
  size_t shard_capacity_;
  std::vector<Shard> shards_;
};

}  // namespace meridian::store
