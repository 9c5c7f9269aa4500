// Private to store/: fixed meta keys and fixed-width integer encodings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/key_codec.h"

namespace meridian::store::keys {

inline constexpr const char* kSeq = "seq";
inline constexpr const char* kNextTableId = "next_table_id";

// 8 bytes big-endian, so byte order is numeric order (log keys).
inline std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}
inline uint64_t DecodeU64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}
inline std::string CountKey(uint32_t table_id) { return "count/" + std::to_string(table_id); }
inline std::string BytesKey(uint32_t table_id) { return "bytes/" + std::to_string(table_id); }
inline std::string TableBegin(uint32_t table_id) { return model::TablePrefix(table_id); }

}  // namespace meridian::store::keys
