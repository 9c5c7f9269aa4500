// Private to store/: fixed meta keys, fixed-width integers and the stats snapshot format.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/big_endian.h"
#include "model/key_codec.h"
#include "store/table_info.h"

namespace rocksdb {
class CompactionFilter;
}
namespace meridian::conflict {
class PhysicalClock;
}

namespace meridian::store {
// A compaction filter that drops ClientRequestToken records older than
// kTransactTokenTtlMs by `clock` (store_tokens.cc).
std::unique_ptr<rocksdb::CompactionFilter> NewExpiredTokenFilter(conflict::PhysicalClock* clock);
}  // namespace meridian::store

namespace meridian::store::keys {

inline constexpr const char* kNextTableId = "next_table_id";
inline constexpr const char* kStats = "stats";
inline constexpr const char* kApplied = "applied";
// Regions ever heard from, as a version vector with placeholder seqs (log trimming).
inline constexpr const char* kKnownRegions = "known_regions";
// "backfill/<table>" -> the applied vector a snapshot must reflect (a replica CREATING here)
inline const std::string kBackfillPrefix = "backfill/";
// "token/<time ms BE>/<ClientRequestToken>" -> time ms (8) | last seq (8) | request digest:
// in time order, so inserts land at the (cache-hot) end of the memtable.
inline const std::string kTokenPrefix = "token/";
// Until 2026-12: "txn_token/<ClientRequestToken>" -> the same value (rewritten at Open).
inline const std::string kLegacyTokenPrefix = "txn_token/";
inline std::string TokenKey(uint64_t time_ms, std::string_view token);
// "fence/<table>" -> the vector a copy of the table reflected (Store::FenceTable)
inline const std::string kFencePrefix = "fence/";
// "index_backfill/<index_id BE>" -> table_id: an index being filled (store_index.cc)
inline const std::string kIndexBackfillPrefix = "index_backfill/";
// "pitr/<table_id BE>" -> enabled ms (8) | period days (8): PITR on here (store_history.cc)
inline const std::string kPitrPrefix = "pitr/";

// 8 bytes big-endian, so byte order is numeric order.
inline std::string EncodeU64(uint64_t v) { return BigEndian(v, 8); }

inline std::string TokenKey(uint64_t time_ms, std::string_view token) {
  std::string key = kTokenPrefix + EncodeU64(time_ms) + "/";
  key.append(token);
  return key;
}
inline uint64_t DecodeU64(std::string_view s) { return ReadBigEndian(s, 8); }
inline std::string TableBegin(uint32_t table_id) { return model::TablePrefix(table_id); }

// seq | {table_id (8) | item_count (8) | size_bytes (8)}*
inline std::string EncodeStats(uint64_t seq, const std::map<uint32_t, TableStats>& stats) {
  std::string out = EncodeU64(seq);
  for (const auto& [id, s] : stats)
    out += EncodeU64(id) + EncodeU64(s.item_count) + EncodeU64(s.size_bytes);
  return out;
}
inline uint64_t DecodeStats(std::string_view in, std::map<uint32_t, TableStats>* stats) {
  const uint64_t seq = DecodeU64(in);
  for (size_t pos = 8; pos + 24 <= in.size(); pos += 24) {
    (*stats)[static_cast<uint32_t>(DecodeU64(in.substr(pos)))] =
        TableStats{DecodeU64(in.substr(pos + 8)), DecodeU64(in.substr(pos + 16))};
  }
  return seq;
}

}  // namespace meridian::store::keys

namespace meridian::store {
inline void ApplyStatsDelta(int64_t count_delta, int64_t bytes_delta, TableStats* stats) {
  stats->item_count = static_cast<uint64_t>(
      std::max<int64_t>(0, static_cast<int64_t>(stats->item_count) + count_delta));
  stats->size_bytes = static_cast<uint64_t>(
      std::max<int64_t>(0, static_cast<int64_t>(stats->size_bytes) + bytes_delta));
}
}  // namespace meridian::store
